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
/** Latin-1 whitespace as `String.prototype.trim` removes it (\t\n\v\f\r, space, U+00A0). */
const TRIMMED = new Uint8Array(256)
for (const c of [9, 10, 11, 12, 13, 32, 160]) TRIMMED[c] = 1

/** `\s` as JavaScript's regexes read it: the whitespace `String.prototype.trim` removes. */
export const isJsSpace = (c: number): boolean =>
  c < 256
    ? TRIMMED[c] === 1
    : c === 0x1680 ||
      (c >= 0x2000 && c <= 0x200a) ||
      c === 0x2028 ||
      c === 0x2029 ||
      c === 0x202f ||
      c === 0x205f ||
      c === 0x3000 ||
      c === 0xfeff

/** Only trimmed whitespace from `from` to the next comma or `end`. */
const onlySpaceUntilComma = (s: string, from: number, end: number): boolean => {
  for (let k = from; k < end; k++) {
    const c = s.charCodeAt(k)
    if (c === 44) return true
    if (!isJsSpace(c)) return false
  }
  return true
}

/** By Latin-1 code: 1 ends a sentence (`.;:?!()`), 2 is a comma, 0 neither. */
const SENTENCE = new Uint8Array(256)
for (const c of ".;:?!()") SENTENCE[c.charCodeAt(0)] = 1
SENTENCE[44] = 2

/**
 * Items of the longest inline list in a sentence: "x, y and z" or "x, y, or z" (short items
 * separated by commas, the last joined by and/or), or three or more comma-separated short items.
 * Sentences end at `.;:?!()`; each comma-separated part is trimmed and split at its first
 * standalone "and" or "or". Read in place, over index ranges.
 */
const inlineListItems = (lower: string): number => {
  if (!lower.includes(",")) return 0
  let best = 0
  const n = lower.length
  let ss = 0
  while (ss <= n) {
    let se = ss
    let comma = false
    for (; se < n; se++) {
      const c = lower.charCodeAt(se)
      const k = c < 256 ? SENTENCE[c] : 0
      if (k === 0) continue
      if (k === 1) break
      comma = true
    }
    if (comma) {
      let run = 0
      let ps = ss
      while (ps <= se) {
        // One pass over the part: its trimmed bounds, its spaces, and its first standalone
        // "and" or "or" (`y`) with the spaces before the last character ahead of it and before
        // the first character after it.
        let k = ps
        while (k < se && lower.charCodeAt(k) !== 44 && isJsSpace(lower.charCodeAt(k))) k++
        const from = k
        let spaces = 0
        let last = -1
        let spacesAtLast = 0
        let y = -1
        let len = 0
        let before = 0
        let firstAfter = -1
        let spacesAtFirstAfter = 0
        for (; k < se; k++) {
          const c = lower.charCodeAt(k)
          if (c === 44) break
          if (c === 32) {
            spaces++
            continue
          }
          if (isJsSpace(c)) continue
          if (y < 0 && (c === 97 || c === 111) && (k === from || lower.charCodeAt(k - 1) === 32)) {
            const word = c === 97 ? "and" : "or"
            if (lower.startsWith(word, k)) {
              const end = k + word.length
              if (lower.charCodeAt(end) === 32 || onlySpaceUntilComma(lower, end, se)) {
                y = k
                len = word.length
                // Words in the part before it, trimmed: up to the last character ahead of it.
                before = last < 0 ? 0 : 1 + spacesAtLast
              }
            }
          } else if (y >= 0 && firstAfter < 0 && k >= y + len + 1) {
            firstAfter = k
            spacesAtFirstAfter = spaces
          }
          last = k
          spacesAtLast = spaces
        }
        ps = k + 1
        if (last < 0) continue
        const after = firstAfter < 0 ? 0 : 1 + spacesAtLast - spacesAtFirstAfter
        if (y >= 0 && before <= 4 && after <= 4 && after > 0) {
          run += before === 0 ? 1 : 2
          if (run >= 3) best = Math.max(best, run)
          run = 0
        } else if (1 + spacesAtLast <= 4) {
          run++
          if (run >= 3) best = Math.max(best, run)
        } else run = 0
      }
    }
    ss = se + 1
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
    if (start < 0) {
      if (upper && (i === 0 || !isWordChar(raw.charCodeAt(i - 1)))) start = i
      else if (c >= 97 && c <= 122) {
        // The rest of a lower-case run cannot start an acronym (each letter follows a word character).
        while (i + 1 < raw.length) {
          const d = raw.charCodeAt(i + 1)
          if (d < 97 || d > 122) break
          i++
        }
      }
      continue
    }
    const lowerCase = c >= 97 && c <= 122
    if (upper || isDigit(c)) continue
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

/** What `countText` looks at, by Latin-1 code: 0 for everything else (letters, most punctuation). */
const COUNTED = new Uint8Array(256)
for (const c of [9, 10, 11, 12, 13, 32, 160, 44, 46, 59, 63]) COUNTED[c] = 1
for (let c = 48; c <= 57; c++) COUNTED[c] = 1

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
    if (c < 256 && COUNTED[c] === 0) {
      // Not a digit, separator, question mark or whitespace: it ends a number and a space run.
      inNumber = false
      prevSpace = false
      continue
    }
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

/**
 * `s.replace(/\s+/g, " ")` on a Latin-1 string: each run of whitespace becomes one space. Pieces
 * between runs are sliced and joined, not matched by the regex engine.
 */
const collapseSpace = (s: string): string => {
  let out = ""
  let from = 0
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i)
    if (!isSpace(c)) {
      i++
      continue
    }
    let j = i + 1
    while (j < s.length && isSpace(s.charCodeAt(j))) j++
    if (j - i > 1 || c !== 32) {
      out += `${s.slice(from, i)} `
      from = j
    }
    i = j
  }
  return from === 0 ? s : out + s.slice(from)
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
    lower = collapseSpace(lower)
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
