/**
 * Featurisation for the routing classifier, shared by inference (classifier.ts) and the training
 * script (training/routing/), so both see exactly the same numbers. Two kinds of feature:
 *   sparse — hashed word unigrams, their crude stems and bigrams, the first word, the first
 *            bigram and the last word, read from the lowercased query's first HEAD and last
 *            TAIL characters (digits folded to `0`), plus each rule signal that fired; each
 *            occurrence is one index into a table of 2^bits rows, valued 1/√(occurrences).
 *            (Character 3- and 4-grams were tried: no better on validation, four times the work.)
 *   dense  — the rules' own view (task scores and winner, complexity dimensions, rule tier) and
 *            structure (length, numbers, questions, acronyms, lists, code fences, lines).
 * Allocation-free on the hot path: indices go into a reused Int32Array, dense values into a
 * reused Float64Array. Hashes are 32-bit (Math.imul), so they are identical on every platform.
 */
import { TASK_TYPES, type TaskType } from "../domain/task.js"
import type { Classification } from "./classify.js"
import type { ComplexityResult } from "./complexity.js"
import type { QueryText } from "./text.js"

/** Bump when featurisation changes: weights trained on another version are refused. */
export const FEATURE_VERSION = 2
/** Characters analysed from the start and the end of the (lowercased, collapsed) query. */
export const HEAD = 640
export const TAIL = 192

export const DENSE_FEATURES = [
  "bias",
  "rule score code_generation",
  "rule score reasoning",
  "rule score mathematical",
  "rule score summarisation",
  "rule score creative",
  "rule score query_rewriting",
  "rule score rag_query",
  "rule score tool_use",
  "rule score general_qa",
  "rule task code_generation",
  "rule task reasoning",
  "rule task mathematical",
  "rule task summarisation",
  "rule task creative",
  "rule task query_rewriting",
  "rule task rag_query",
  "rule task tool_use",
  "rule task general_qa",
  "rule confidence",
  "complexity structural",
  "complexity reasoning",
  "complexity context",
  "complexity domain",
  "complexity output",
  "complexity total",
  "rule tier fast",
  "rule tier balanced",
  "rule tier quality",
  "log length",
  "log words",
  "numbers",
  "questions",
  "acronyms",
  "enumeration",
  "code fence",
  "maths symbols",
  "vision cue",
  "lines",
] as const
export const DENSE = DENSE_FEATURES.length

/**
 * Room for the sparse occurrences of one query: a word, its stem and a bigram per two characters,
 * three positional features, and the rule signals (capped).
 */
export const MAX_SPARSE = 2 * (HEAD + TAIL) + 160

export interface FeatureBuffer {
  /** Sparse row indices, `count` of them; duplicates are repeated occurrences. */
  readonly index: Int32Array
  count: number
  readonly dense: Float64Array
}

export const featureBuffer = (): FeatureBuffer => ({
  index: new Int32Array(MAX_SPARSE),
  count: 0,
  dense: new Float64Array(DENSE),
})

const SEED_WORD = 0x1b873593
const SEED_BIGRAM = 0x5bd1e995
const SEED_FIRST = 0x27d4eb2f
const SEED_FIRST_BIGRAM = 0x165667b1
const SEED_LAST = 0x68e31da4
const SEED_STEM = 0x3c6ef372
const SEED_SIGNAL = 0x510e527f

/** murmur3's finaliser: spreads a 32-bit key over all bits. */
const mix = (h: number): number => {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** Latin-1 code → the folded character: digits → '0', controls → space. */
const FOLD = new Uint8Array(256)
/** 1 where the character belongs to a word. */
const WORDISH = new Uint8Array(256)
for (let c = 0; c < 256; c++) {
  const digit = c >= 48 && c <= 57
  const letter = (c >= 97 && c <= 122) || (c >= 0xdf && c !== 0xf7)
  FOLD[c] = digit ? 48 : c < 32 ? 32 : c
  WORDISH[c] = digit || letter || c === 39 ? 1 : 0
}

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193

/** FNV-1a of a signal's text up to its first digit. */
const hashUntilDigit = (s: string): number => {
  let h = FNV_OFFSET
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) break
    h = Math.imul(h ^ c, FNV_PRIME)
  }
  return h >>> 0
}

const TASK_ORDER = Object.fromEntries(TASK_TYPES.map((t, i) => [t, i])) as Record<TaskType, number>

/**
 * Fills `out` with the query's features. `cls` and `cx` are the rules' verdicts on the same
 * text (computed without request context: the model reads the text only).
 */
export const featurise = (
  q: QueryText,
  cls: Classification,
  cx: ComplexityResult,
  bits: number,
  out: FeatureBuffer,
): void => {
  const shift = 32 - bits
  const index = out.index
  let n = 0
  const text = q.lower
  const len = text.length
  let firstWord = 0
  let firstBigram = 0
  let lastWord = 0
  let words = 0
  // One or two segments: the head, and the tail when the text is longer than both.
  const segments = len > HEAD + TAIL ? 2 : 1
  for (let seg = 0; seg < segments; seg++) {
    const from = seg === 0 ? 0 : len - TAIL
    const to = seg === 0 ? (segments === 2 ? HEAD : len) : len
    let word = FNV_OFFSET
    let h1 = 0
    let h2 = 0
    let h3 = 0
    let e1 = 0
    let e2 = 0
    let e3 = 0
    let wlen = 0
    let inWord = false
    let prevWord = 0
    let havePrev = false
    for (let i = from; i <= to; i++) {
      const code = i < to ? text.charCodeAt(i) & 0xff : 32
      if (WORDISH[code] === 1) {
        h3 = h2
        h2 = h1
        h1 = word
        e3 = e2
        e2 = e1
        e1 = code
        wlen++
        word = Math.imul(word ^ (FOLD[code] as number), FNV_PRIME)
        inWord = true
        continue
      }
      if (!inWord) continue
      const w = word >>> 0
      index[n++] = mix(w ^ SEED_WORD) >>> shift
      // The stem: the word less a crude suffix (-ing, -ed, -es, -ly, -s), so inflections share a row.
      let stem = w
      if (wlen > 5 && e3 === 105 && e2 === 110 && e1 === 103) stem = h3 >>> 0
      else if (wlen > 4 && ((e2 === 101 && (e1 === 100 || e1 === 115)) || (e2 === 108 && e1 === 121)))
        stem = h2 >>> 0
      else if (wlen > 3 && e1 === 115 && e2 !== 115) stem = h1 >>> 0
      index[n++] = mix(stem ^ SEED_STEM) >>> shift
      wlen = 0
      if (havePrev) {
        const b = Math.imul(prevWord, 0x9e3779b1) ^ w
        index[n++] = mix(b ^ SEED_BIGRAM) >>> shift
        if (words === 1) firstBigram = b
      }
      if (words === 0) firstWord = w
      words++
      lastWord = w
      prevWord = w
      havePrev = true
      inWord = false
      word = FNV_OFFSET
    }
  }
  if (words > 0) {
    index[n++] = mix(firstWord ^ SEED_FIRST) >>> shift
    index[n++] = mix(lastWord ^ SEED_LAST) >>> shift
  }
  if (words > 1) index[n++] = mix(firstBigram ^ SEED_FIRST_BIGRAM) >>> shift
  // Each rule signal that fired (its text up to the first digit: "clauses 3" → "clauses ").
  const signals = cls.signals
  for (let i = 0; i < signals.length && n < MAX_SPARSE; i++)
    index[n++] = mix(hashUntilDigit(signals[i] as string) ^ SEED_SIGNAL) >>> shift
  const cxSignals = cx.signals
  for (let i = 0; i < cxSignals.length && n < MAX_SPARSE; i++)
    index[n++] = mix(hashUntilDigit(cxSignals[i] as string) ^ SEED_SIGNAL) >>> shift
  out.count = n

  const d = out.dense
  d.fill(0)
  d[0] = 1
  const scores = cls.scores
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i] as Classification["scores"][number]
    d[1 + TASK_ORDER[s.task]] = Math.min(s.score, 8) / 4
  }
  d[10 + TASK_ORDER[cls.type]] = 1
  d[19] = cls.confidence
  d[20] = cx.structural / 2
  d[21] = cx.reasoning / 3
  d[22] = cx.context / 2
  d[23] = cx.domain / 2
  d[24] = cx.output
  d[25] = cx.total / 10
  d[cx.total >= 7 ? 28 : cx.total >= 3.5 ? 27 : 26] = 1
  d[29] = Math.log2(1 + q.length) / 11
  d[30] = Math.log2(1 + q.words) / 9
  d[31] = Math.min(q.numbers, 10) / 10
  d[32] = Math.min(q.questions, 5) / 5
  d[33] = Math.min(q.acronyms, 6) / 6
  d[34] = Math.min(q.enumeration, 10) / 10
  d[35] = q.hasCodeBlock ? 1 : 0
  d[36] = q.mathSymbols ? 1 : 0
  d[37] = cls.needs.includes("vision") ? 1 : 0
  let lines = 0
  for (let i = q.raw.indexOf("\n"); i >= 0 && lines < 20; i = q.raw.indexOf("\n", i + 1)) lines++
  d[38] = lines / 20
}
