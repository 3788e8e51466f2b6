/**
 * Complexity scoring, 0–10, over five dimensions: structural (0–2), reasoning depth (0–3),
 * context need (0–2), domain expertise (0–2) and output detail (0–1). Each dimension sums
 * evidence read from the text and is capped:
 *   structural — length, clauses, enumerations, deliverables and chained actions, sequencing;
 *   reasoning  — the strongest cognitive operation asked for, further operations, constraints,
 *                and depth from the subject (a proof in advanced mathematics, an implementation
 *                of a concurrent or distributed system, weighing evidence);
 *   context    — the volume of material to digest (retrieved documents, referenced papers,
 *                chapters, transcripts, pages, years of statements);
 *   domain     — expert vocabulary per field (advanced terms count double), breadth across
 *                fields, acronyms, scale;
 *   output     — requested depth, form constraints (word counts, verses, "show your working"),
 *                minus requested brevity.
 * The tier thresholds (3.5 / 7.0 by default) live in configuration. This file caps and totals the
 * dimensions (complexity-dimensions.ts reads the evidence; complexity-patterns.ts holds the patterns).
 */
import type { ComplexityBreakdown, RoutingContext } from "../domain/decision.js"
import type { TaskType } from "../domain/task.js"
import {
  contextEvidence,
  domainEvidence,
  outputEvidence,
  type Reading,
  reasoningEvidence,
  structuralEvidence,
} from "./complexity-dimensions.js"
import { PASTE_CUE } from "./complexity-patterns.js"
import { isJsSpace, type QueryText, readQuery } from "./text.js"

const round = (n: number) => Math.round(n * 100) / 100
/**
 * Evidence → dimension score: evidence × EVIDENCE_GAIN, capped to the dimension's range. The gain
 * is a calibration, fitted once on the golden set (test/routing/golden-queries.ts) so that the
 * default thresholds 3.5 / 7.0 separate its tiers; the weights in complexity-dimensions.ts stay
 * readable as relative evidence.
 */
const EVIDENCE_GAIN = 1.2
const cap = (n: number, max: number) => Math.max(0, Math.min(max, EVIDENCE_GAIN * n))

export interface ComplexityResult extends ComplexityBreakdown {
  /** Tokens of source material the query implies (documents it refers to, plus its own length). */
  readonly estimatedContextTokens: number
}

/**
 * Where the material pasted into the prompt begins ("TL;DR this: '…'", "List the action items
 * from these notes: …"): a long tail after a colon, or a long quoted passage. The instruction
 * before it is what the request asks; the material only adds context to digest.
 */
const materialStart = (raw: string): number | undefined => {
  const colon = raw.indexOf(": ")
  if (
    colon > 0 &&
    colon < 120 &&
    raw.length - colon > 120 &&
    PASTE_CUE.test(raw.slice(0, colon).toLowerCase())
  ) {
    return colon
  }
  // A long quoted passage that runs to the end of the prompt.
  const start = quoteOpening(raw, 160)
  if (start < 0) return undefined
  const tail = raw.trimEnd()
  const closes = /["”’'][.!?)]*$/.test(tail)
  return closes && tail.length - start > 100 ? start : undefined
}

const isQuote = (c: number): boolean => c === 34 || c === 39 || c === 0x201c || c === 0x2018

/**
 * Where the first quote opening a passage is — the leftmost match of `/(?:^|[:\s])["“‘']/`: a
 * quote at the start, or after a colon or whitespace — when that match starts at or before
 * `limit`; -1 otherwise. A scan, not the regex, so the text is read only up to the limit.
 */
const quoteOpening = (raw: string, limit: number): number => {
  if (raw.length > 0 && isQuote(raw.charCodeAt(0))) return 0
  const end = Math.min(raw.length - 1, limit + 1)
  for (let p = 0; p < end; p++) {
    const c = raw.charCodeAt(p)
    if ((c === 58 || isJsSpace(c)) && isQuote(raw.charCodeAt(p + 1))) return p + 1
  }
  return -1
}

export const scoreComplexity = (
  q: QueryText,
  context: RoutingContext | undefined,
  task?: TaskType,
): ComplexityResult => {
  const split = materialStart(q.raw)
  if (split !== undefined) {
    // Score the instruction; the pasted material counts only as context to digest.
    return scoreText(readQuery(q.raw.slice(0, split)), context, task, Math.ceil((q.length - split) / 4))
  }
  return scoreText(q, context, task, 0)
}

/** The five dimensions, in the order their signals are noted, each capped and rounded. */
const scoreText = (
  q: QueryText,
  context: RoutingContext | undefined,
  task: TaskType | undefined,
  materialTokens: number,
): ComplexityResult => {
  const t = q.lower
  const reading: Reading = { q, t, found: q.open, hasDigit: q.numbers > 0, task, context, materialTokens }
  const signals: string[] = []
  const st = structuralEvidence(reading, signals)
  const dm = domainEvidence(reading, signals)
  const rs = reasoningEvidence(reading, { equations: st.equations, ...dm }, signals)
  const cx = contextEvidence(reading, rs.ops, signals)
  const out = outputEvidence(reading, rs.ops, signals)

  const s = round(cap(st.structural + out.structural, 2))
  const r = round(cap(rs.reasoning + cx.synthesis + cx.longMaterial, 3))
  const c = round(cap(cx.context, 2))
  const d = round(cap(dm.domain + rs.notation, 2))
  const o = round(cap(out.output, 1))
  return {
    total: round(s + r + c + d + o),
    structural: s,
    reasoning: r,
    context: c,
    domain: d,
    output: o,
    signals,
    estimatedContextTokens: cx.totalTokens,
  }
}
