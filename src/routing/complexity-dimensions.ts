/**
 * The complexity scorer's five dimensions, each a function that sums the evidence it reads from
 * the query (uncapped; complexity.ts caps and totals them) and notes its signals in order:
 * structural (size and shape), domain expertise (expert terms, breadth, scale), reasoning depth
 * (operations, constraints, subject depth), context need (source material to digest) and output
 * detail (requested depth and form). Where one dimension's evidence depends on another's reading,
 * it is passed in or handed back explicitly (`equations`, the operations found, the notation that
 * adds to domain, synthesis and long material that add to reasoning, form that adds to structure).
 * The patterns they run are in complexity-patterns.ts.
 */
import type { RoutingContext } from "../domain/decision.js"
import type { TaskType } from "../domain/task.js"
import {
  COMMON_LONG,
  G,
  G_DOMAINS,
  G_DURATION,
  G_FORM_LENGTH,
  G_OPERATIONS,
  G_SCALE_NUMBER,
  IMPLIED_OPERATION,
  TOKENS_PER_SOURCE,
  WORD_NUMBERS,
} from "./complexity-patterns.js"
import { gatedCount, gatedDistinctCount, gatedExec, gatedTest, type Scan } from "./gate.js"
import type { QueryText } from "./text.js"

/** The query as every dimension reads it. */
export interface Reading {
  readonly q: QueryText
  /** The lowercased text. */
  readonly t: string
  /** The gate's scan of it: which patterns may match. */
  readonly found: Scan
  readonly hasDigit: boolean
  readonly task: TaskType | undefined
  readonly context: RoutingContext | undefined
  /** Tokens of material pasted after the instruction (0 when none). */
  readonly materialTokens: number
}

/** `\w` (without the `u` flag) on a character code. */
const isWordChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95

const count = (raw: string | undefined) => Number(raw) || WORD_NUMBERS[raw ?? ""] || 2

/** Code-like tokens: `obj.method(`, `call()`, or `backticked` text. A scan, not a regex: cheap on long text. */
const codeLike = (raw: string): boolean => {
  if (raw.includes("`") && /`[^`]+`/.test(raw)) return true
  for (let i = raw.indexOf("("); i > 0; i = raw.indexOf("(", i + 1)) {
    if (raw.charCodeAt(i + 1) === 41 && isWordChar(raw.charCodeAt(i - 1))) return true
    let j = i - 1
    while (j >= 0 && isWordChar(raw.charCodeAt(j))) j--
    if (j < i - 1 && j > 0 && raw.charCodeAt(j) === 46 && isWordChar(raw.charCodeAt(j - 1))) return true
  }
  return false
}

/**
 * Formal notation in the original text: exponents (`^`), differentials (`\bd[xyt]\b`), matrices
 * (`[[`), subscripts (`\b[a-z]_[a-z0-9]`) — how many of the four kinds occur. One scan for the
 * two that need word boundaries.
 */
const notationCues = (raw: string): number => {
  let n = (raw.includes("^") ? 1 : 0) + (raw.includes("[[") ? 1 : 0)
  const startsWord = (p: number) => p === 0 || !isWordChar(raw.charCodeAt(p - 1))
  for (let p = raw.indexOf("d"); p >= 0; p = raw.indexOf("d", p + 1)) {
    const next = raw.charCodeAt(p + 1)
    if (
      (next === 120 || next === 121 || next === 116) &&
      !isWordChar(raw.charCodeAt(p + 2)) &&
      startsWord(p)
    ) {
      n++
      break
    }
  }
  for (let u = raw.indexOf("_", 1); u >= 0; u = raw.indexOf("_", u + 1)) {
    const before = raw.charCodeAt(u - 1)
    const after = raw.charCodeAt(u + 1)
    if (
      before >= 97 &&
      before <= 122 &&
      ((after >= 97 && after <= 122) || (after >= 48 && after <= 57)) &&
      startsWord(u - 1)
    ) {
      n++
      break
    }
  }
  return n
}

/** Distinct long (10+ letters) uncommon words and hyphenated compounds: a domain-agnostic jargon hint. */
const jargon = (lower: string): number => {
  let seen: Set<string> | undefined
  // The maximal runs of [a-z-]; a run is sliced only when it can count: 10+ characters, or a
  // hyphen inside (not at either end) of a run of 7+.
  let start = 0
  let hyphen = false
  for (let i = 0; i <= lower.length; i++) {
    const c = i < lower.length ? lower.charCodeAt(i) : 0
    if (c >= 97 && c <= 122) continue
    if (c === 45) {
      hyphen = true
      continue
    }
    const len = i - start
    if (len >= 7) {
      const compound = hyphen && lower.charCodeAt(start) !== 45 && lower.charCodeAt(i - 1) !== 45
      if (len >= 10 || compound) {
        const w = lower.slice(start, i)
        if ((len >= 10 && !COMMON_LONG.has(w)) || compound) {
          seen ??= new Set()
          seen.add(w)
        }
      }
    }
    start = i + 1
    hyphen = false
  }
  return seen?.size ?? 0
}

/** Structural: size and shape of the request (length, clauses, enumeration, deliverables, sequencing). */
export const structuralEvidence = (
  { q, t, found }: Reading,
  signals: string[],
): { readonly structural: number; readonly equations: number } => {
  let structural = q.words >= 150 ? 1.2 : q.words >= 60 ? 0.9 : q.words >= 30 ? 0.6 : q.words >= 15 ? 0.3 : 0
  if (structural > 0) signals.push(`length ${q.words} words`)
  const clauses = gatedCount(G.clauses, t, found)
  if (clauses > 0) {
    structural += Math.min(0.9, 0.15 * clauses)
    signals.push(`clauses ${clauses}`)
  }
  if (q.enumeration >= 3) {
    structural += Math.min(0.8, 0.4 + 0.1 * (q.enumeration - 3))
    signals.push(`enumeration ${q.enumeration}`)
  }
  const deliverables = gatedDistinctCount(G.deliverable, t, found)
  if (deliverables >= 2) {
    structural += Math.min(0.8, 0.2 * (deliverables - 1))
    signals.push(`deliverables ${deliverables}`)
  }
  if (q.questions >= 2) {
    structural += 0.4
    signals.push(`questions ${q.questions}`)
  }
  if (gatedTest(G.sequence, t, found)) {
    structural += 0.4
    signals.push("sequenced")
  }
  if (gatedTest(G.conditional, t, found)) {
    structural += 0.2
    signals.push("conditional")
  }
  let equations = 0
  for (let i = t.indexOf("="); i >= 0; i = t.indexOf("=", i + 1)) equations++
  if (equations >= 2) {
    structural += Math.min(0.9, 0.3 * equations)
    signals.push(`equations ${equations}`)
  }
  return { structural, equations }
}

/** Domain expertise: distinct expert terms (advanced ones double), breadth across fields, jargon, scale. */
export const domainEvidence = (
  { q, t, found, hasDigit }: Reading,
  signals: string[],
): { readonly domain: number; readonly advancedMath: number; readonly advancedSystems: number } => {
  let domain = 0
  let fields = 0
  let terms = 0
  let advancedMath = 0
  let advancedSystems = 0
  for (const d of G_DOMAINS) {
    const basic = gatedDistinctCount(d.re, t, found)
    const advanced = d.advanced !== undefined ? gatedDistinctCount(d.advanced, t, found) : 0
    if (basic + advanced === 0) continue
    fields++
    terms += basic + 2 * advanced
    if (d.field === "mathematics") advancedMath = advanced
    if (d.field === "software-architecture" || d.field === "systems-programming") advancedSystems += advanced
    signals.push(`${d.field}(${basic}${advanced > 0 ? `+${advanced} advanced` : ""})`)
  }
  domain += Math.min(1.6, 0.4 * terms)
  if (fields >= 2) domain += 0.4
  const unusual = jargon(t)
  if (unusual > 0) {
    domain += Math.min(0.9, 0.15 * unusual)
    signals.push(`jargon ${unusual}`)
  }
  if (q.acronyms > 0) {
    domain += Math.min(0.6, 0.2 * q.acronyms)
    signals.push(`acronyms ${q.acronyms}`)
  }
  if ((hasDigit && gatedTest(G_SCALE_NUMBER, t, found)) || gatedTest(G.scaleWords, t, found)) {
    domain += 0.8
    signals.push("scale")
  }
  if (codeLike(q.raw)) {
    domain += 0.3
    signals.push("code-like")
  }
  return { domain, advancedMath, advancedSystems }
}

/**
 * Reasoning depth: the strongest operation asked for (or the one the task implies), further
 * operations, constraints, and depth from the subject. Formal notation, read on the way, is domain
 * evidence (`notation`, added to domain).
 */
export const reasoningEvidence = (
  { q, t, found, task }: Reading,
  seen: { readonly equations: number; readonly advancedMath: number; readonly advancedSystems: number },
  signals: string[],
): { readonly reasoning: number; readonly ops: ReadonlyArray<string>; readonly notation: number } => {
  const { equations, advancedMath, advancedSystems } = seen
  let reasoning = 0
  const ops: string[] = []
  for (const op of G_OPERATIONS) {
    if (!gatedTest(op.gated, t, found)) continue
    reasoning += ops.length === 0 ? op.weight : Math.min(0.5, op.weight / 2)
    ops.push(op.name)
  }
  const implied = task !== undefined ? IMPLIED_OPERATION[task] : undefined
  if (implied !== undefined && !ops.includes(implied.name)) {
    reasoning += ops.length === 0 ? implied.weight : Math.min(0.5, implied.weight / 2)
    ops.push(implied.name)
  }
  if (ops.length > 0) signals.push(...ops)
  const constraints = gatedDistinctCount(G.constraints, t, found)
  if (constraints > 0) {
    reasoning += Math.min(0.9, 0.3 * constraints)
    signals.push(`constraints ${constraints}`)
  }
  const mathOp = ops.includes("proof") || ops.includes("calculation")
  if (mathOp && advancedMath > 0) {
    reasoning += 1.5
    signals.push("advanced mathematics")
  } else if (mathOp && (gatedTest(G.intermediateMath, t, found) || equations >= 2)) {
    reasoning += 0.8
    signals.push("multi-step mathematics")
  }
  let notationCount = 0
  notationCount += notationCues(q.raw)
  if (equations >= 2) notationCount++
  if (q.mathSymbols) notationCount++
  let notation = 0
  if (notationCount > 0) {
    notation = Math.min(0.6, 0.2 * notationCount)
    signals.push(`notation ${notationCount}`)
  }
  const actions = gatedDistinctCount(G.actions, t, found)
  if (actions >= 2) {
    reasoning += Math.min(2, 1 + 0.5 * (actions - 2))
    signals.push(`workflow ${actions} steps`)
  }
  if (ops.includes("implementation") && advancedSystems > 0) {
    reasoning += 1
    signals.push("hard systems implementation")
  }
  if (ops.includes("implementation") && (q.enumeration >= 3 || gatedTest(G.scope, t, found))) {
    reasoning += 0.8
    signals.push("broad implementation scope")
  }
  return { reasoning, ops, notation }
}

/**
 * Context need: how much source material must be digested (retrieved documents, counted or single
 * sources, periods of records, literature, the query's own length and pasted material). Digesting
 * several sources is synthesis and a long document is harder to condense: both add to reasoning
 * (`synthesis`, `longMaterial`).
 */
export const contextEvidence = (
  { q, t, found, context, materialTokens }: Reading,
  ops: ReadonlyArray<string>,
  signals: string[],
): {
  readonly context: number
  readonly totalTokens: number
  readonly synthesis: number
  readonly longMaterial: number
} => {
  let sourceTokens = 0
  const docs = context?.retrievedDocs ?? 0
  if (docs > 0) {
    sourceTokens += docs * 1200
    signals.push(`retrieved docs ${docs}`)
  }
  let sources = docs
  const counted = gatedExec(G.counted, t, found)
  const period = gatedExec(G.period, t, found)
  const single = gatedExec(G.single, t, found)
  if (counted) {
    sources = Math.max(sources, count(counted[1]))
    sourceTokens += count(counted[1]) * (TOKENS_PER_SOURCE[counted[2] ?? ""] ?? 2000)
    signals.push(`sources ${counted[1]} ${counted[2]}`)
  } else if (period) {
    const n = count(period[1]) * (period[2] === "years" ? 8 : period[2] === "quarters" ? 2 : 1)
    sources = Math.max(sources, n)
    sourceTokens += n * 3000
    signals.push(`sources ${period[1]} ${period[2]}`)
  } else if (single && materialTokens === 0) {
    const pages = Number(single[1]) || 0
    const hours = count(single[2]) || 0
    const noun = single[3] ?? ""
    // A plural without a count ("the attached case files") is taken as a few.
    const plural = noun.endsWith("s") && noun !== "thesis" && noun !== "notes" && noun !== "docs" ? 3 : 1
    const duration = single[2] === undefined ? gatedExec(G_DURATION, t, found) : null
    const tokens =
      pages > 0
        ? pages * 600
        : single[2] !== undefined
          ? hours * 4000
          : duration !== null
            ? count(duration[1]) * 4000
            : plural * (TOKENS_PER_SOURCE[noun] ?? 2000)
    sourceTokens += tokens
    sources = Math.max(sources, single[2] === undefined && pages === 0 && noun.endsWith("s") ? 3 : 1)
    signals.push(
      `source ${pages > 0 ? `${pages}-page ` : single[2] !== undefined ? `${single[2]}-hour ` : ""}${noun}`,
    )
  }
  if (!counted && gatedTest(G.literature, t, found)) {
    sourceTokens += 3 * 8000
    sources = Math.max(sources, 3)
    signals.push("literature")
  }
  // Digesting several sources into one answer is synthesis, whatever verb asked for it.
  let synthesis = 0
  if (sources >= 2 && ops.length > 0 && !ops.includes("synthesis")) {
    synthesis = 0.5
    signals.push("multi-source synthesis")
  }
  const ownTokens = Math.ceil(q.length / 4) + materialTokens
  if (materialTokens > 0) signals.push(`inline material ~${materialTokens} tokens`)
  const totalTokens = sourceTokens + ownTokens
  // Context need grows with the log of the material: 1.5k tokens ≈ 0.3, 6k ≈ 1.4, 12k+ ≈ 2.
  let contextScore = totalTokens >= 1000 ? Math.min(2, 0.55 * Math.log2(totalTokens / 1000)) : 0
  // Condensing a long document is harder than condensing a paragraph.
  let longMaterial = 0
  if ((ops.includes("summary") || ops.includes("synthesis")) && sourceTokens >= 5000) {
    longMaterial = sourceTokens >= 15000 ? 1 : 0.5
    signals.push("long material")
  }
  if (contextScore === 0 && docs > 0) contextScore = 0.5
  const minCtx = context?.minContextWindow ?? 0
  if (minCtx >= 32000) {
    contextScore += 0.5
    signals.push(`min context ${minCtx}`)
  }
  if (ownTokens >= 1500) signals.push(`long input ~${ownTokens} tokens`)
  return { context: contextScore, totalTokens, synthesis, longMaterial }
}

/**
 * Output detail: requested depth, explanation, form constraints (word counts, verses, "show your
 * working"), minus requested brevity. Form constraints also shape the request (`structural`).
 */
export const outputEvidence = (
  { q, t, found, hasDigit }: Reading,
  ops: ReadonlyArray<string>,
  signals: string[],
): { readonly output: number; readonly structural: number } => {
  let output = 0
  let structural = 0
  if (gatedTest(G.deep, t, found)) {
    output += 0.5
    signals.push("depth requested")
  }
  const explained = gatedDistinctCount(G.explain, t, found)
  if (explained > 0) output += Math.min(0.6, 0.3 * explained)
  const forms =
    gatedDistinctCount(G.form, t, found) + (hasDigit && gatedTest(G_FORM_LENGTH, t, found) ? 1 : 0)
  if (forms > 0) {
    output += Math.min(0.8, 0.4 * forms)
    structural = Math.min(0.6, 0.3 * forms)
    signals.push(`form constraints ${forms}`)
  }
  if (q.enumeration >= 3) output += 0.3
  if (ops.length >= 2) output += 0.2
  if (gatedTest(G.worked, t, found)) {
    output += 0.5
    signals.push("worked answer")
  }
  if (gatedTest(G.brief, t, found)) {
    output -= 0.6
    signals.push("brevity requested")
  }
  return { output, structural }
}
