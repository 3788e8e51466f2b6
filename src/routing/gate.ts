/**
 * Cheap prefilters for the routing regexes. Most of the classifier's and the complexity scorer's
 * patterns cannot match most queries; running each one costs a scan of the text. A gate is the
 * set of literal words a pattern cannot match without (derived from the pattern's source), and
 * one pass over the query's word starts finds which of those literals occur. A pattern whose
 * gate finds nothing is skipped. Gates are necessary conditions only: the regex still decides.
 */

import { type CompiledTrie, childOf, LiteralTrie, NODE } from "./literal-trie.js"

/** Literal prefixes a match must start with, or `undefined` when none can be derived. */
export interface Gate {
  /** Literals that must start at a word boundary (the branch began with `\b`). */
  readonly words: ReadonlyArray<string>
  /** Literals that may occur anywhere. */
  readonly anywhere: ReadonlyArray<string>
  /** A branch is anchored with `^`: it can only match at offset 0. */
  readonly start: boolean
}

const splitTopLevel = (src: string): string[] => {
  const parts: string[] = []
  let depth = 0
  let inClass = false
  let start = 0
  for (let i = 0; i < src.length; i++) {
    const c = src[i]
    if (c === "\\") {
      i++
      continue
    }
    if (inClass) {
      if (c === "]") inClass = false
      continue
    }
    if (c === "[") inClass = true
    else if (c === "(") depth++
    else if (c === ")") depth--
    else if (c === "|" && depth === 0) {
      parts.push(src.slice(start, i))
      start = i + 1
    }
  }
  parts.push(src.slice(start))
  return parts
}

const closingParen = (src: string, open: number): number => {
  let depth = 0
  let inClass = false
  for (let i = open; i < src.length; i++) {
    const c = src[i]
    if (c === "\\") {
      i++
      continue
    }
    if (inClass) {
      if (c === "]") inClass = false
      continue
    }
    if (c === "[") inClass = true
    else if (c === "(") depth++
    else if (c === ")" && --depth === 0) return i
  }
  return -1
}

const LITERAL = /[a-z0-9 ,;:'’#&@%$£€!=<>"`/-]/
const ESCAPED_LITERAL = /[.+*?()[\]{}|^$\\/-]/

interface Prefix {
  readonly text: string
  readonly bounded: boolean
  /** Anchored at the start of the text (`^`): no literal needed, the offset is 0. */
  readonly start?: true
}

/** Literal texts a sequence can begin with; `complete` when the whole sequence is literal. */
interface Lead {
  readonly texts: ReadonlyArray<string>
  readonly complete: boolean
}

const MAX_PREFIXES = 300
/** Group expansion stops once every literal has this many characters. */
const HEAD = 4

/**
 * The literal texts a regex sequence must begin with: literal characters, and non-optional
 * groups whose alternatives are themselves literal (expanded: `<(?:a|b)>` → `<a>`, `<b>`).
 * Stops at the first construct that is not literal (a class, an optional part, `\w`…).
 */
const leadingLiterals = (src: string): Lead => {
  let texts: string[] = [""]
  let i = 0
  while (i < src.length) {
    const c = src[i] as string
    if (c === "(") {
      // Longer literals gain little precision, but expanding a group after HEAD characters
      // multiplies the candidates that share one bucket.
      if (texts.every((t) => t.length >= HEAD)) return { texts, complete: false }
      if (src[i + 1] === "?" && src[i + 2] !== ":") return { texts, complete: false } // lookaround
      const close = closingParen(src, i)
      if (close < 0) return { texts, complete: false }
      const quant = src[close + 1]
      if (quant === "*" || src.startsWith("{0", close + 1)) return { texts, complete: false }
      const inner = src.slice(src[i + 1] === "?" ? i + 3 : i + 1, close)
      const alts = splitTopLevel(inner).map(leadingLiterals)
      // An optional group (`(?:re)?payment`): each text continues with or without it.
      const expanded: string[] = quant === "?" ? [...texts] : []
      for (const t of texts) for (const a of alts) for (const x of a.texts) expanded.push(t + x)
      if (expanded.length > MAX_PREFIXES) return { texts, complete: false }
      texts = expanded
      if (!alts.every((a) => a.complete) || quant === "+" || quant === "{") return { texts, complete: false }
      i = close + (quant === "?" ? 2 : 1)
      continue
    }
    let ch: string
    let width: number
    if (c === "\\" && src[i + 1] === "d") {
      // A digit: expand to the ten digits (numbers are rare enough to gate on).
      const q = src[i + 2]
      if (q === "?" || q === "*" || (q === "{" && src.startsWith("{0", i + 2)))
        return { texts, complete: false }
      const expanded: string[] = []
      for (const t of texts) for (let d = 0; d <= 9; d++) expanded.push(t + d)
      if (expanded.length > MAX_PREFIXES) return { texts, complete: false }
      texts = expanded
      if (q === "+" || q === "{") return { texts, complete: false }
      i += 2
      continue
    } else if (c === "\\") {
      const n = src[i + 1] as string
      if (!ESCAPED_LITERAL.test(n)) return { texts, complete: false }
      ch = n
      width = 2
    } else if (LITERAL.test(c)) {
      ch = c
      width = 1
    } else return { texts, complete: false }
    const q = src[i + width]
    if (q === "?" || q === "*" || (q === "{" && src.startsWith("{0", i + width)))
      return { texts, complete: false }
    texts = texts.map((t) => t + ch)
    if (q === "+" || q === "{") return { texts, complete: false }
    i += width
  }
  return { texts, complete: true }
}

/** Prefixes of one alternative; undefined when it can start with something non-literal. */
const branchPrefixes = (branch: string, bounded: boolean): Prefix[] | undefined => {
  if (branch.startsWith("^")) return [{ text: "", bounded: true, start: true }]
  let i = 0
  let b = bounded
  while (branch.startsWith("\\b", i)) {
    b = true
    i += 2
  }
  const lead = leadingLiterals(branch.slice(i))
  // Single characters are too common to gate on, except digits and operator symbols.
  if (lead.texts.some((t) => t.length === 0 || (t.length === 1 && !/[0-9=+*/^%$£€#@<>]/.test(t))))
    return undefined
  return lead.texts.map((text) => ({ text, bounded: b }))
}

/** The gate of a pattern, or undefined when the pattern must always run. */
export const deriveGate = (re: RegExp): Gate | undefined => {
  if (re.flags.includes("i") || re.flags.includes("m")) return undefined
  const words: string[] = []
  const anywhere: string[] = []
  let start = false
  for (const branch of splitTopLevel(re.source)) {
    const ps = branchPrefixes(branch, false)
    if (ps === undefined) return undefined
    for (const p of ps) {
      if (p.start) start = true
      else (p.bounded ? words : anywhere).push(p.text)
    }
  }
  return { words, anywhere, start }
}

/** A pattern with its gate and its slot in the index. */
export interface Gated {
  readonly re: RegExp
  /** The same pattern, sticky and non-global: tried only where a gate literal occurs. */
  readonly sticky: RegExp
  /** The same pattern, non-global (for gate-less patterns). */
  readonly plain: RegExp
  readonly gate: Gate | undefined
  /** Slot in the scan's arrays; -1 for patterns that always run in full. */
  readonly id: number
  /** Slot of the `needs` literals (one of them must occur somewhere); -1 when none were given. */
  readonly needId: number
}

/**
 * Where each gated pattern's literals occur in one text: pattern `id`'s start offsets, ascending,
 * are `positions[offsets[id]]` up to (not including) `positions[offsets[id + 1]]`. Two flat arrays
 * rather than one array per pattern: a scan allocates two small arrays, whatever it finds.
 */
export interface Scan {
  readonly offsets: ReadonlyArray<number>
  readonly positions: ReadonlyArray<number>
}

/** Whether pattern `id`'s literals occur at all. */
const occurs = (scan: Scan, id: number): boolean =>
  (scan.offsets[id] as number) < (scan.offsets[id + 1] as number)

// The scan's working arrays, reused by every scan (scans are synchronous and never nest): the
// (pattern, offset) pairs in the order found, the last offset recorded per pattern, the count per
// pattern.
const PAIR_ID: number[] = []
const PAIR_POS: number[] = []
const LAST: number[] = []
const COUNT: number[] = []
let pairs = 0

/** JavaScript's `\b` word characters (without the `u` flag): [A-Za-z0-9_]. */
const isWordChar = (code: number): boolean =>
  (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95

const ANYWHERE = 1
const WORD = 2
/** Word characters by Latin-1 code (the scan's table before anywhere literals are added). */
const CLASSES = new Uint8Array(256)
for (let c = 0; c < 256; c++) if (isWordChar(c)) CLASSES[c] = WORD

/** Records offset `i` for the pattern `id` (once per offset). */
const record = (id: number, i: number): void => {
  if (LAST[id] === i) return
  LAST[id] = i
  COUNT[id] = (COUNT[id] as number) + 1
  PAIR_ID[pairs] = id
  PAIR_POS[pairs++] = i
}

/** Records offset `i` for every pattern of the literals that start at `i` (the trie's walk from there). */
const walk = (t: CompiledTrie, text: string, i: number): void => {
  let node = 0
  for (let k = i; k < text.length; k++) {
    node = childOf(t, node, text.charCodeAt(k))
    if (node === 0) return
    const from = t.nodes[NODE * node + 3] as number
    const to = from + ((t.nodes[NODE * node + 2] as number) >>> 8)
    for (let j = from; j < to; j++) record(t.ids[j] as number, i)
  }
}

/**
 * Gated patterns compiled into one lookup: the word literals in one trie walked from each word
 * start, the others in one walked from each character that starts one of them. Every match of a
 * gated pattern starts where one of its literals occurs, so the pattern is then tried (sticky) at
 * those offsets only: the cost follows the literals found, not the length of the text.
 */
export class GatedPatterns {
  /** Literals that must start a word (they begin with a word character). */
  private readonly words = new LiteralTrie()
  /** Literals that may start anywhere (and bounded ones that begin with a non-word character). */
  private readonly anywhere = new LiteralTrie()
  /**
   * Per Latin-1 character: ANYWHERE when it starts some anywhere literal (characters above 0xff
   * are always walked), WORD when it is a word character.
   */
  private readonly classes = CLASSES.slice()
  private readonly startIds: number[] = []
  private count = 0

  /**
   * Register a pattern. `needs`: literals of which at least one must start a word somewhere in
   * the text — a cheap AND-filter for patterns whose leading literals are common words ("the",
   * "in") but which also require a rarer word (a document noun, a service name).
   */
  gate(re: RegExp, needs?: ReadonlyArray<string>): Gated {
    const sticky = new RegExp(re.source, `${re.flags.replace("g", "")}y`)
    const plain = new RegExp(re.source, re.flags.replace("g", ""))
    const needId = needs !== undefined ? this.register({ words: needs, anywhere: [], start: false }) : -1
    const gate = deriveGate(re)
    if (gate === undefined) return { re, sticky, plain, gate, id: -1, needId }
    return { re, sticky, plain, gate, id: this.register(gate), needId }
  }

  private register(gate: Gate): number {
    const id = this.count++
    if (gate.start) this.startIds.push(id)
    const addAnywhere = (text: string) => {
      const c = text.charCodeAt(0)
      if (c < 256) this.classes[c] = (this.classes[c] as number) | ANYWHERE
      this.anywhere.add(text, id)
    }
    for (const w of gate.words) {
      // A bounded literal must start with a word character to be found at word starts.
      if (isWordChar(w.charCodeAt(0))) this.words.add(w, id)
      else addAnywhere(w)
    }
    for (const a of gate.anywhere) addAnywhere(a)
    return id
  }

  scan(text: string): Scan {
    const words = this.words.flat
    const anywhere = this.anywhere.flat
    const classes = this.classes
    const n = this.count
    for (let id = 0; id < n; id++) {
      LAST[id] = -1
      COUNT[id] = 0
    }
    pairs = 0
    // Anchored patterns may match at 0 whatever the literals.
    for (const id of this.startIds) record(id, 0)
    let prevWord = false
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i)
      const k = code > 0xff ? ANYWHERE : (classes[code] as number)
      if (k === 0) {
        prevWord = false
        continue
      }
      if ((k & ANYWHERE) !== 0) walk(anywhere, text, i)
      const word = (k & WORD) !== 0
      if (word && !prevWord) walk(words, text, i)
      prevWord = word
    }
    // Grouped by pattern (a counting sort: each pattern's offsets stay ascending).
    const offsets: number[] = new Array(n + 1)
    let total = 0
    for (let id = 0; id < n; id++) {
      offsets[id] = total
      total += COUNT[id] as number
      COUNT[id] = offsets[id] as number
    }
    offsets[n] = total
    const positions: number[] = new Array(total)
    for (let k = 0; k < pairs; k++) {
      const id = PAIR_ID[k] as number
      const at = COUNT[id] as number
      positions[at] = PAIR_POS[k] as number
      COUNT[id] = at + 1
    }
    return { offsets, positions }
  }
}

/** The leftmost match, like `re.exec` on a non-global pattern. */
export const gatedExec = (g: Gated, text: string, scan: Scan): RegExpExecArray | null => {
  if (g.needId >= 0 && !occurs(scan, g.needId)) return null
  if (g.id < 0) return g.plain.exec(text)
  const at = scan.positions
  const end = scan.offsets[g.id + 1] as number
  for (let i = scan.offsets[g.id] as number; i < end; i++) {
    g.sticky.lastIndex = at[i] as number
    const m = g.sticky.exec(text)
    if (m !== null) return m
  }
  return null
}

export const gatedTest = (g: Gated, text: string, scan: Scan): boolean => {
  if (g.needId >= 0 && !occurs(scan, g.needId)) return false
  if (g.id < 0) return g.plain.test(text)
  const at = scan.positions
  const end = scan.offsets[g.id + 1] as number
  for (let i = scan.offsets[g.id] as number; i < end; i++) {
    g.sticky.lastIndex = at[i] as number
    if (g.sticky.test(text)) return true
  }
  return false
}

/**
 * The matches of a pattern, left to right and non-overlapping like iterating a global regex (each
 * literal offset at or after the end of the previous match is tried in order): their starts into
 * `MATCH_STARTS` and ends into `MATCH_ENDS`, without building match arrays or strings (the sticky
 * `test` leaves a match's end in `lastIndex`). Returns how many. The scratch arrays are reused by every call (routing is
 * synchronous and these calls do not nest).
 */
const MATCH_STARTS: number[] = []
const MATCH_ENDS: number[] = []
const findMatches = (g: Gated, text: string, scan: Scan): number => {
  let n = 0
  if (g.needId >= 0 && !occurs(scan, g.needId)) return 0
  if (g.id < 0) {
    const re = g.re.global ? g.re : new RegExp(g.re.source, `${g.re.flags}g`)
    re.lastIndex = 0
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      MATCH_STARTS[n] = m.index
      MATCH_ENDS[n++] = m.index + m[0].length
      if (m[0] === "") re.lastIndex++
    }
    return n
  }
  const at = scan.positions
  const last = scan.offsets[g.id + 1] as number
  const sticky = g.sticky
  let end = 0
  for (let i = scan.offsets[g.id] as number; i < last; i++) {
    const pos = at[i] as number
    if (pos < end) continue
    sticky.lastIndex = pos
    if (sticky.test(text)) {
      const to = sticky.lastIndex
      MATCH_STARTS[n] = pos
      MATCH_ENDS[n++] = to
      end = pos + Math.max(1, to - pos)
    }
  }
  return n
}

/** How many matches a global regex would find (non-overlapping, left to right). */
export const gatedCount = (g: Gated, text: string, scan: Scan): number => findMatches(g, text, scan)

/** How many distinct texts those matches have (compared in place, character by character). */
export const gatedDistinctCount = (g: Gated, text: string, scan: Scan): number => {
  const n = findMatches(g, text, scan)
  let distinct = 0
  for (let k = 0; k < n; k++) {
    const from = MATCH_STARTS[k] as number
    const len = (MATCH_ENDS[k] as number) - from
    let seen = false
    for (let j = 0; j < k && !seen; j++) {
      const s = MATCH_STARTS[j] as number
      if ((MATCH_ENDS[j] as number) - s !== len) continue
      let c = 0
      while (c < len && text.charCodeAt(s + c) === text.charCodeAt(from + c)) c++
      seen = c === len
    }
    if (!seen) distinct++
  }
  return distinct
}

/** The one index every routing pattern registers in, so a query is scanned once. */
export const routingPatterns = new GatedPatterns()

/** The word literals an alternation of words begins with, for `needs` (e.g. a list of nouns). */
export const literalsOf = (alternation: string): ReadonlyArray<string> => {
  const g = deriveGate(new RegExp(`\\b(?:${alternation})`))
  if (g === undefined) throw new Error(`no literals derivable from ${alternation.slice(0, 40)}…`)
  return [...g.words, ...g.anywhere]
}
