/**
 * Warning labels (the design notes' transparency rules): what the reader of an answer should
 * check before relying on it. Mathematical answers carry `verify_calculations`, code answers
 * `review_code`, and queries in a high-stakes domain `high_stakes:<domain>` (medical, legal,
 * tax). A pure function of the task and the query's text; the domain patterns are gated like the
 * routing patterns (gate.ts), so the query's one scan says which of them can match.
 */
import type { TaskType } from "../domain/task.js"
import { gatedTest, routingPatterns } from "./gate.js"
import type { QueryText } from "./text.js"

export const HIGH_STAKES_DOMAINS = ["medical", "legal", "tax"] as const
export type HighStakesDomain = (typeof HIGH_STAKES_DOMAINS)[number]

const DOMAIN_PATTERNS: ReadonlyArray<readonly [HighStakesDomain, RegExp]> = [
  [
    "medical",
    /\b(?:diagnos[ei]s|diagnosed|symptoms?|dos(?:e|es|age|ing)|medications?|medicines?|prescri(?:be|bed|ption)s?|side[- ]effects?|contraindicat\w*|drug interactions?|overdose|antibiotics?|antidepressants?|insulin|chemotherapy|pregnan(?:t|cy)|blood pressure|cholesterol|tumou?rs?|cancer|seizures?|stroke|heart attack|surgery|vaccin\w*|allerg(?:y|ies|ic)|warfarin|ibuprofen|paracetamol|acetaminophen|opioids?|\d+\s?mg)\b/,
  ],
  [
    "legal",
    /\b(?:lawsuits?|sue|suing|sued|liabilit(?:y|ies)|liable|lawyers?|attorneys?|solicitors?|court|judge|statutes?|legally|illegal|legal advice|indemnif\w+|custody|evict(?:ion|ed)?|landlord|tenancy|copyright infringement|trademark|negligence|plaintiff|defendant|subpoena|breach of contract|non-compete|divorce|probate|immigration law|visa refusal)\b/,
  ],
  [
    "tax",
    /\b(?:tax(?:es|able|ed|ation)?|irs|hmrc|vat|deductions?|deductible|capital gains|tax returns?|w-2|1099|withholding|self-assessment|inheritance tax|estate tax)\b/,
  ],
]

/** Every pattern the labels run (for the gate tests). */
export const LABEL_PATTERNS = (): ReadonlyArray<RegExp> => DOMAIN_PATTERNS.map(([, re]) => re)

const GATED = DOMAIN_PATTERNS.map(([domain, re]) => ({
  label: `high_stakes:${domain}`,
  gated: routingPatterns.gate(re),
}))

/** The labels for an answer to a query of `task` whose text is `q`. */
export const labelsFor = (task: TaskType, q: QueryText): ReadonlyArray<string> => {
  const labels: string[] = []
  if (task === "mathematical") labels.push("verify_calculations")
  if (task === "code_generation") labels.push("review_code")
  for (const d of GATED) if (gatedTest(d.gated, q.lower, q.open)) labels.push(d.label)
  return labels
}
