/**
 * Reading the prompt: the last user message of a flattened chat, its topic words (content words,
 * most frequent first) and the slots the templates are filled with; together with a PRNG they make
 * the `TextContext` every generator reads.
 */
import { pick, type Rng, seededRandom, shuffled } from "./random.js"
import { fill, type Slots } from "./templates.js"

/** What every generator reads. */
export interface TextContext {
  readonly rng: Rng
  /** The last user message, lowercased. */
  readonly text: string
  /** Topic words of that message, most frequent first, in their original case. */
  readonly words: ReadonlyArray<string>
  readonly slots: Slots
}

const STOP = new Set(
  `a an the and or but if then else of to in on at by for with from into onto about as is are was were be been
  being it its this that these those there here what which who whom whose when where why how do does did done
  can could should would will shall may might must i me my we our you your he she they them their his her not
  no yes please thanks hello some any all each every more most very just also only than like so such own same
  other use using used work works get got make makes made take takes give show tell let want need know think
  write implement fix refactor create build generate explain describe summarise summarize summary
  calculate compute solve prove function functions class method script query program code snippet poem
  haiku story lyrics song slogan python typescript javascript sql bash shell rust golang node following
  below above text whether one two three four five six seven eight nine ten few many way ways thing things
  something out over under between after before while compare contrast versus analyse analyze evaluate
  design discuss consider happen happens short long brief simple small quick good best new come names
  article passage paragraph document`.split(/\s+/),
)
const WORD = /\p{L}[\p{L}\p{N}]*/gu
export const FALLBACK_WORDS = ["this topic", "the details", "the context"]
export const POETIC_WORDS = ["the evening", "the river", "the quiet", "the light"]

/** The content of the last "user:" line onwards, or the whole prompt. */
export const lastUserMessage = (prompt: string): string => {
  const at = prompt.lastIndexOf("\nuser:")
  if (at >= 0) return prompt.slice(at + 6)
  return prompt.startsWith("user:") ? prompt.slice(5) : prompt
}

const atSentenceStart = (s: string, index: number): boolean => {
  let j = index - 1
  while (j >= 0 && s.charAt(j) === " ") j--
  return j < 0 || ".!?:\n".includes(s.charAt(j))
}

/** Content words, most frequent first then by first appearance; capitalised sentence starts lowered. */
export const topicWords = (message: string): string[] => {
  const seen = new Map<string, { word: string; n: number; first: number }>()
  for (const m of message.matchAll(WORD)) {
    const key = m[0].toLowerCase()
    if (key.length < 3 || STOP.has(key)) continue
    const entry = seen.get(key)
    if (entry !== undefined) entry.n++
    else {
      const plain = /^\p{Lu}\p{Ll}*$/u.test(m[0]) && atSentenceStart(message, m.index)
      seen.set(key, { word: plain ? key : m[0], n: 1, first: seen.size })
    }
  }
  return [...seen.values()]
    .sort((x, y) => y.n - x.n || x.first - y.first)
    .slice(0, 8)
    .map((e) => e.word)
}

/** The main topic (two words when they stand together in the message) and two others, shuffled. */
export const slotsFor = (
  rng: Rng,
  text: string,
  words: ReadonlyArray<string>,
  fallback = FALLBACK_WORDS,
): Slots => {
  const [w0 = "", w1 = ""] = words
  const pair = w1 !== "" && text.includes(`${w0} ${w1}`.toLowerCase())
  const a = pair ? `${w0} ${w1}` : w0
  const rest = shuffled(rng, words.slice(pair ? 2 : 1))
  const b =
    rest[0] ??
    pick(
      rng,
      fallback.filter((w) => w !== a),
    )
  return {
    a,
    b,
    c:
      rest[1] ??
      pick(
        rng,
        fallback.filter((w) => w !== a && w !== b),
      ),
  }
}

/** The context of `message` (one message's text, not a flattened chat), seeded by `key`. */
export const contextOf = (key: string, message: string, fallback = FALLBACK_WORDS): TextContext => {
  const rng = seededRandom(key)
  const found = topicWords(message)
  const words = found.length > 0 ? found : fallback
  const text = message.toLowerCase()
  return { rng, text, words, slots: slotsFor(rng, text, words) }
}

/** A template with {a} {b} {c} (or capitalised) filled from the context's slots. */
export const fillSlots = (template: string, c: TextContext): string => fill(template, c.slots)

/** One of `xs`, drawn from the context's PRNG. */
export const pickFrom = <T>(c: TextContext, xs: ReadonlyArray<T>): T => pick(c.rng, xs)
