/**
 * One pass over the query text shared by classification and complexity scoring: the lowercased
 * text plus cheap structural counts, and the gate scan saying which routing patterns may match.
 * Everything downstream tests regexes against `lower`.
 */
import { routingPatterns, type Scan } from "./gate.js"

export interface QueryText {
  /** Original text, trimmed (head and tail only for very long prompts), in Latin-1. */
  readonly raw: string
  /** Characters in the whole prompt. */
  readonly length: number
  /** Lowercased, whitespace collapsed. */
  readonly lower: string
  readonly words: number
  readonly commas: number
  readonly questions: number
  /** Runs of digits (numbers) in the text. */
  readonly numbers: number
  /** Upper-case acronyms (2–6 letters, e.g. GDPR, API), counted in the original text. */
  readonly acronyms: number
  /** Items of the longest enumeration: `a, b, and c` or numbered/bulleted lines. */
  readonly enumeration: number
  readonly hasCodeBlock: boolean
  /** Greek letters or mathematical symbols in the original text (they are blanked in `raw`). */
  readonly mathSymbols: boolean
  /** Where the routing patterns' literals occur (see `gate.ts`); patterns register at module load. */
  readonly open: Scan
}

const LIST_ITEM = /^\s*(?:\d+[.)]|[-*•])\s+\S/gm
/**
 * Items of the longest inline list in a sentence: "x, y and z" or "x, y, or z" (short items
 * separated by commas, the last joined by and/or), or three or more comma-separated short items.
 */
const wordCount = (s: string): number => {
  if (s === "") return 0
  let n = 1
  for (let i = s.indexOf(" "); i >= 0; i = s.indexOf(" ", i + 1)) n++
  return n
}

/** Splits "x and y" / "x or y" at the first joining word; undefined when there is none. */
const splitJoined = (part: string): [string, string] | undefined => {
  const padded = ` ${part} `
  const a = padded.indexOf(" and ")
  const o = padded.indexOf(" or ")
  const at = a < 0 ? o : o < 0 ? a : Math.min(a, o)
  if (at < 0) return undefined
  const len = at === a ? 5 : 4
  return [padded.slice(0, at).trim(), padded.slice(at + len).trim()]
}

const inlineListItems = (lower: string): number => {
  if (!lower.includes(",")) return 0
  let best = 0
  for (const sentence of lower.split(/[.;:?!()]/)) {
    if (!sentence.includes(",")) continue
    let run = 0
    for (const raw of sentence.split(",")) {
      const part = raw.trim()
      if (part === "") continue
      const joined = splitJoined(part)
      if (
        joined !== undefined &&
        wordCount(joined[0]) <= 4 &&
        wordCount(joined[1]) <= 4 &&
        joined[1] !== ""
      ) {
        run += joined[0] === "" ? 1 : 2
        if (run >= 3) best = Math.max(best, run)
        run = 0
      } else if (wordCount(part) <= 4) {
        run++
        if (run >= 3) best = Math.max(best, run)
      } else run = 0
    }
  }
  return best
}

const countMatches = (re: RegExp, s: string): number => {
  re.lastIndex = 0
  let n = 0
  while (re.exec(s) !== null) n++
  return n
}

const isLatin1 = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false
  return true
}
const NOT_ACRONYMS = new Set([
  "I",
  "A",
  "OK",
  "US",
  "UK",
  "TL",
  "DR",
  "FYI",
  "ASAP",
  "PS",
  "AM",
  "PM",
  "AND",
  "THE",
])

/**
 * Long prompts (a pasted document with a question) are analysed on their head and tail only:
 * instructions sit at either end, and scanning cost stays bounded whatever the prompt's size.
 * Token estimates still use the full length.
 */
const ANALYSIS_HEAD = 1500
const ANALYSIS_TAIL = 700

/**
 * Typographic punctuation → ASCII; anything else outside Latin-1 → space. A plain loop: regexes
 * over two-byte strings are exactly what this avoids. Also reports Greek letters and maths symbols.
 */
const toLatin1 = (s: string): { readonly text: string; readonly math: boolean } => {
  const out = Buffer.allocUnsafe(s.length)
  let math = false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c <= 0xff) out[i] = c
    else if (c === 0x2018 || c === 0x2019) out[i] = 39
    else if (c === 0x201c || c === 0x201d) out[i] = 34
    else if (c === 0x2013 || c === 0x2014) out[i] = 45
    else {
      if ((c >= 0x391 && c <= 0x3c9) || (c >= 0x2200 && c <= 0x22ff)) math = true
      out[i] = 32
    }
  }
  return { text: out.toString("latin1"), math }
}

/** `\d` and `\w` (without the `u` flag) on a character code, without a one-character string; NaN is neither. */
const isDigit = (c: number): boolean => c >= 48 && c <= 57
const isWordChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95

/** Upper-case acronyms (GDPR, APIs), skipping a few common capitalised words. */
const countAcronyms = (raw: string): number => {
  let n = 0
  let start = -1
  for (let i = 0; i <= raw.length; i++) {
    const c = i < raw.length ? raw.charCodeAt(i) : 32
    const upper = c >= 65 && c <= 90
    const digit = c >= 48 && c <= 57
    const lowerCase = c >= 97 && c <= 122
    if (start < 0) {
      if (upper && (i === 0 || !isWordChar(raw.charCodeAt(i - 1)))) start = i
      continue
    }
    if (upper || digit) continue
    let end = i
    if (c === 115 /* s */) end = i + 1
    // Past the end, charCodeAt is NaN: not a word character.
    const bounded = !isWordChar(raw.charCodeAt(end))
    const len = i - start
    if (!lowerCase || c === 115) {
      if (bounded && len >= 2 && len <= 6 && !NOT_ACRONYMS.has(raw.slice(start, i))) n++
    }
    start = -1
  }
  return n
}

/** `\s` on a Latin-1 character code (the analysed text is Latin-1). */
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13) || c === 160

/** Counts over the lowercased text, in one pass; `collapse` when its whitespace must be collapsed first. */
interface Counts {
  commas: number
  questions: number
  numbers: number
  spaces: number
  collapse: boolean
}

const countText = (lower: string, out: Counts): void => {
  let commas = 0
  let questions = 0
  let numbers = 0
  let spaces = 0
  let inNumber = false
  let prevSpace = false
  let collapse = false
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i)
    const digit = c >= 48 && c <= 57
    if (digit && !inNumber) numbers++
    // "6.5" and "250,000" are one number each.
    inNumber = digit || (inNumber && (c === 46 || c === 44) && isDigit(lower.charCodeAt(i + 1)))
    if (c === 44 || c === 59) commas++
    else if (c === 63) questions++
    else if (c === 32) {
      spaces++
      if (prevSpace) collapse = true
      prevSpace = true
      continue
    }
    // `\s\s|[\t\n\r\f\v]`: a run of whitespace, or whitespace other than a space or U+00A0.
    if (isSpace(c)) {
      if (prevSpace || c !== 160) collapse = true
      prevSpace = true
    } else prevSpace = false
  }
  out.commas = commas
  out.questions = questions
  out.numbers = numbers
  out.spaces = spaces
  out.collapse = collapse
}

export const readQuery = (query: string): QueryText => {
  const full = query.trim()
  const window =
    full.length > ANALYSIS_HEAD + ANALYSIS_TAIL
      ? `${full.slice(0, ANALYSIS_HEAD)} ... ${full.slice(full.length - ANALYSIS_TAIL)}`
      : full
  // Keep the analysed text one-byte (Latin-1): typographic punctuation becomes ASCII and other
  // characters outside Latin-1 (Greek letters, CJK, emoji) become spaces. Regexes on two-byte
  // strings run separately compiled code that stays cold when such queries are rare.
  const latin1 = isLatin1(window) ? undefined : toLatin1(window)
  const raw = latin1?.text ?? window
  let lower = raw.toLowerCase()
  const counts: Counts = { commas: 0, questions: 0, numbers: 0, spaces: 0, collapse: false }
  countText(lower, counts)
  if (counts.collapse) {
    lower = lower.replace(/\s+/g, " ")
    countText(lower, counts)
  }
  const enumeration = Math.max(raw.includes("\n") ? countMatches(LIST_ITEM, raw) : 0, inlineListItems(lower))
  return {
    raw,
    length: full.length,
    lower,
    words: lower === "" ? 0 : counts.spaces + 1,
    commas: counts.commas,
    questions: counts.questions,
    numbers: counts.numbers,
    acronyms: countAcronyms(raw),
    enumeration,
    hasCodeBlock: raw.includes("```"),
    mathSymbols: latin1?.math ?? false,
    open: routingPatterns.scan(lower),
  }
}
