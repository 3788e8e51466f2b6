/**
 * The simulated server's text generator: the deterministic "natural answer" of a fake model. The
 * last user message of the prompt is sorted into a task shape by keyword rules (code, summary,
 * maths, creative, reasoning, general; JSON whenever `format` is set), small template lists are
 * filled with words taken from the prompt, and the text is cut into token-sized pieces. Every
 * choice comes from a PRNG seeded by (model, prompt, seed, format), so a request always gets the
 * same answer. The engine streams the pieces and applies num_predict; nothing here knows of either.
 */

export interface TextRequest {
  readonly model: string
  /** The prompt, or for chat the messages flattened as "role: content" lines (last user message last). */
  readonly prompt: string
  readonly seed: number
  /** Ollama's `format`: "json" or a JSON Schema object; undefined for free text. */
  readonly format?: "json" | Readonly<Record<string, unknown>> | undefined
  /**
   * Models whose name suggests a code model (coder, codellama, deepseek-coder, starcoder) answer code
   * more readily.
   */
}

type Rng = () => number
type Lang = "python" | "typescript" | "javascript" | "sql" | "bash" | "rust" | "go"
type Schema = Readonly<Record<string, unknown>>

/** Words from the prompt that fill the templates: the main topic and two related ones. */
interface Slots {
  readonly a: string
  readonly b: string
  readonly c: string
}

/** What every generator reads. */
interface Ctx {
  readonly rng: Rng
  /** The last user message, lowercased. */
  readonly text: string
  /** Topic words of that message, most frequent first, in their original case. */
  readonly words: ReadonlyArray<string>
  readonly slots: Slots
}

// ---- hashing and randomness

/** Stable 32-bit FNV-1a hash of a string's UTF-16 code units. */
export const hashString = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** A mulberry32 PRNG seeded with `hashString(key)`: a function giving floats in [0, 1). */
export const seededRandom = (key: string): (() => number) => {
  let state = hashString(key)
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pick = <T>(rng: Rng, xs: ReadonlyArray<T>): T => xs[Math.floor(rng() * xs.length)] as T
const between = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1))
const shuffled = <T>(rng: Rng, xs: ReadonlyArray<T>): T[] => {
  const out = [...xs]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    const t = out[i] as T
    out[i] = out[j] as T
    out[j] = t
  }
  return out
}

// ---- pieces and templates

/** A newline, a word or one punctuation mark (with the spaces before it), or trailing spaces. */
const PIECE = /\n|[ \t]*[\p{L}\p{N}_]+|[ \t]*[^\s\p{L}\p{N}_]|[ \t]+|\s/gu
const tokenize = (text: string): string[] => text.match(PIECE) ?? []
const countPieces = (text: string): number => text.match(PIECE)?.length ?? 0

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)

/** Replaces {a} {b} {c} with the slots, {A} {B} {C} with the slots capitalised. */
const fill = (template: string, s: Slots): string =>
  template.replace(/\{([abcABC])\}/g, (_, k: string) => {
    const v = s[k.toLowerCase() as keyof Slots]
    return k === k.toLowerCase() ? v : cap(v)
  })

/**
 * Parts from `make` until the text reaches `target` pieces (counting `base` for the fixed text) or
 * `max` parts, at least `min`; then, while still short, one `tail` appended to each part in turn.
 */
const grow = (
  base: number,
  range: readonly [min: number, max: number, target: number],
  make: (i: number) => string,
  tail?: (i: number) => string,
): string[] => {
  const [min, max, target] = range
  const parts: string[] = []
  let n = base
  while (parts.length < min || (n < target && parts.length < max)) {
    const p = make(parts.length)
    parts.push(p)
    n += countPieces(p)
  }
  for (let i = 0; tail !== undefined && n < target && i < parts.length; i++) {
    const t = tail(i)
    parts[i] = `${parts[i] ?? ""}${t}`
    n += countPieces(t)
  }
  return parts
}

// ---- reading the prompt

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
const FALLBACK_WORDS = ["this topic", "the details", "the context"]
const POETIC_WORDS = ["the evening", "the river", "the quiet", "the light"]

/** The content of the last "user:" line onwards, or the whole prompt. */
const lastUserMessage = (prompt: string): string => {
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
const topicWords = (message: string): string[] => {
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
const slotsFor = (rng: Rng, text: string, words: ReadonlyArray<string>, fallback = FALLBACK_WORDS): Slots => {
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

// ---- task detection

/** A case-sensitive whole-word regex over alternatives (the text it runs on is lowercased). */
const anyOf = (...alternatives: ReadonlyArray<string>): RegExp =>
  new RegExp(`\\b(?:${alternatives.join("|")})\\b`)

const CODE_VERB =
  /\b(?:write|implement|fix|refactor|create|build|generate|code|debug|optimi[sz]e|rewrite|port|add)\b/
const CODE_THING = anyOf(
  "functions?|methods?|class(?:es)?|scripts?|quer(?:y|ies)|programs?|modules?|snippets?|code|endpoints?",
  "api|regex|algorithms?|unit tests?|cli|components?|bug",
)
/** "in/using <language>": group 1 the language, or group 2 for Go (only after in/using). */
const LANG_TARGET = anyOf(
  "(?:in|using|to|into|with) (python|typescript|javascript|sql|bash|shell|rust|golang|node(?:\\.?js)?|ts|js)",
  "(?:in|using) (go)",
)
const LANG_NAME =
  /\b(python|typescript|javascript|sql|postgres(?:ql)?|mysql|sqlite|bash|shell|rust|golang|node(?:\.?js)?)\b/
/** Any programming language, for a code model's looser reading of a request. */
const LANG_ANY =
  /\b(?:python|typescript|javascript|java|kotlin|swift|ruby|php|rust|golang|sql|bash|scala|haskell)\b/
const SUMMARY = /\b(?:summari[sz]e|summary|tl;?dr|key points|main points|recap|condense|gist|in a nutshell)\b/
const CREATIVE = anyOf(
  "poem|poetry|haiku|sonnet|limerick|verse|rhymes?|story|tale|lyrics|song|slogan|tagline|jingle|names? for",
)
const REASONING = anyOf(
  "why|explain|how (?:does|do|can|would|should|is|are)|analy[sz]e|analysis|compare|comparison|contrast",
  "versus|vs|trade-?offs?|pros and cons|design|architect|evaluate|assess|reason|step by step",
  "differences? between|should (?:i|we)",
)
const MATHS_WORD =
  /\b(?:calculate|compute|solve|prove|equation|integral|derivative|square root|factorial|arithmetic)\b/
const ARITH =
  /(-?\d+(?:\.\d+)?)(\s*[-+*/×÷]\s*|\s+(?:x|plus|minus|times|multiplied by|divided by)\s+)(-?\d+(?:\.\d+)?)/
const LINEAR = /(?<![\w.])(-?\d*)\s*\*?\s*([a-z])\b\s*([-+])\s*(\d+(?:\.\d+)?)\s*=\s*(-?\d+(?:\.\d+)?)/
const CODE_MODEL = /coder|code-?llama|codegemma|codestral|codeqwen|starcoder/i

const isMaths = (text: string): boolean => {
  if (MATHS_WORD.test(text) || LINEAR.test(text)) return true
  const m = ARITH.exec(text)
  if (m === null) return false
  const op = (m[2] ?? "").trim()
  return (op !== "-" && op !== "+") || /\b(?:what is|what's|how much|equals?)\b|[=?]/.test(text)
}

type Task = "code" | "summary" | "maths" | "creative" | "reasoning" | "general"

/**
 * Code (a code verb with a code artifact or "in <language>"), summary and creative compete by where
 * their keyword first appears ("write a story about a class" is a story); then maths, then a code
 * model reading any code word as a code request, then reasoning, then general QA.
 */
const detectTask = (text: string, codeModel: boolean): Task => {
  const thing = text.search(CODE_THING)
  const target = text.search(LANG_TARGET)
  const code = CODE_VERB.test(text) ? Math.min(...[thing, target].filter((i) => i >= 0)) : -1
  const firsts: ReadonlyArray<readonly [Task, number]> = [
    ["code", Number.isFinite(code) ? code : -1],
    ["summary", text.search(SUMMARY)],
    ["creative", text.search(CREATIVE)],
  ]
  const found = firsts.filter(([, at]) => at >= 0).sort((x, y) => x[1] - y[1])[0]
  if (found !== undefined) return found[0]
  if (isMaths(text)) return "maths"
  if (codeModel && (thing >= 0 || LANG_ANY.test(text))) return "code"
  if (REASONING.test(text)) return "reasoning"
  return "general"
}

// ---- general QA

const GENERAL = [
  "{A} is mainly about how {b} fits into the bigger picture.",
  "In short, {a} depends on the context and on what you want to achieve with {b}.",
  "A good way to think about {a} is as a set of trade-offs rather than a single rule.",
  "Most sources agree that {a} and {b} are closely related, although the details vary.",
  "If you are just starting out, focus on the basics of {a} before worrying about {c}.",
  "The short answer is that it depends on {b}, but the usual approach works well in most cases.",
  "Many people find {a} easier to grasp with a concrete example involving {c}.",
  "Let me know if you would like more detail on {a} or a worked example.",
]

const general = (c: Ctx): string => {
  const order = shuffled(c.rng, GENERAL)
  const lines = grow(0, [1, 4, between(c.rng, 22, 52)], (i) => fill(order[i] ?? "", c.slots))
  return lines.join(" ")
}

// ---- reasoning

const REASON_INTRO = [
  "Let's work through {a} step by step.",
  "Here is how I would reason about {a} and {b}.",
  "To answer this, it helps to break {a} into a few parts.",
  "There are a few things to weigh when thinking about {a}.",
]
const REASON_STEPS = [
  "**Clarify the goal**: decide what {a} has to achieve and which constraints on {b} are fixed.",
  "**Identify the main factors**: list {a}, {b} and {c}, and note how they interact in practice.",
  "**Compare the options**: weigh the cost of each approach to {a} against the benefit it brings to {b}.",
  "**Look at the evidence**: check how {a} behaves in real situations, not only in theory.",
  "**Consider the edge cases**: think about what happens to {b} when {a} fails or changes suddenly.",
  "**Estimate the impact**: a rough number for {c} is often enough to rank the choices.",
  "**Check the assumptions**: make sure the reasoning about {b} still holds if {a} is different.",
  "**Decide and iterate**: pick the simplest option for {a} and revisit it as {b} evolves.",
]
const REASON_TAILS = [
  " This matters because small differences in {a} tend to compound over time.",
  " In most real cases, this is where {b} makes the biggest difference.",
  " It is worth writing this down explicitly before moving on to the next step.",
  " Skipping this step is one of the most common sources of mistakes with {a}.",
  " A quick sketch or a small experiment with {c} usually settles this point.",
]
const REASON_END = [
  "In conclusion, {a} comes down to balancing {b} against simplicity and cost.",
  "Overall, the best answer for {a} is the one that keeps {b} predictable and easy to change.",
  "So the key is to treat {a} as a trade-off and decide with {b} in mind.",
  "In short: understand the constraints, compare the options, and let the evidence about {a} decide.",
]

const reasoning = (c: Ctx): string => {
  const intro = fill(pick(c.rng, REASON_INTRO), c.slots)
  const end = fill(pick(c.rng, REASON_END), c.slots)
  const steps = shuffled(c.rng, REASON_STEPS)
  const tails = shuffled(c.rng, REASON_TAILS)
  const count = between(c.rng, 3, 7)
  const parts = grow(
    countPieces(intro) + countPieces(end) + 2,
    [3, count, between(c.rng, 105, 300)],
    (i) => `${i + 1}. ${fill(steps[i] ?? "", c.slots)}`,
    (i) => fill(tails[i % tails.length] ?? "", c.slots),
  )
  return `${intro}\n\n${parts.join("\n")}\n\n${end}`
}

// ---- summary

const BULLETS = [
  "The main topic is {a}, with particular attention to how it shapes {b} over time.",
  "It explains why {a} matters and how changes in it affect {b} and {c}.",
  "Several examples show {a} in practice, including a few cases that involve {c}.",
  "The key risk is that {b} gets overlooked when {a} changes quickly or without a plan.",
  "It recommends reviewing {a} regularly and measuring {b} so that problems surface early.",
  "Overall, the text argues that {a} and {b} should be handled together rather than separately.",
  "A few open questions remain about {c} and its long-term effect on {a}.",
]
const BULLET_TAILS = [
  " This is the point the text returns to most often.",
  " The supporting evidence here is fairly strong.",
  " Readers are encouraged to apply this to their own situation.",
  " This is presented as the most practical takeaway.",
]

const summary = (c: Ctx): string => {
  const bullets = shuffled(c.rng, BULLETS)
  const tails = shuffled(c.rng, BULLET_TAILS)
  const parts = grow(
    3,
    [3, 5, between(c.rng, 62, 125)],
    (i) => `- ${fill(bullets[i] ?? "", c.slots)}`,
    (i) => tails[i % tails.length] ?? "",
  )
  return `Summary:\n${parts.join("\n")}`
}

// ---- maths

const MATHS_INTRO = [
  "Let's work it out step by step. We need to",
  "Here is the working. We need to",
  "To solve this, we",
  "Step by step, we",
]
const MATHS_LINES = [
  "First, write down what is given about {a} and {b}.",
  "Express the relationship between {a} and {b} as an equation.",
  "Simplify each side step by step, keeping track of every term.",
  "Substitute the known values and evaluate the expression.",
  "Finally, check the result against the original question about {a}.",
]
const PROOF_LINES = [
  "Assume the opposite: suppose the claim about {a} is false.",
  "Write this assumption down precisely in terms of {a} and {b}.",
  "Follow the consequences step by step, simplifying at each stage.",
  "This leads to a contradiction with what we know about {b}.",
  "Therefore the assumption was false, and the original claim holds.",
]

/** Numbers as the working shows them: integers exactly, other values to at most 4 decimals. */
const fmt = (n: number): string => String(Number(n.toFixed(4)))
const isInt = (s: string): boolean => /^-?\d+$/.test(s)

const OPS: Readonly<Record<string, string>> = {
  "×": "*",
  x: "*",
  times: "*",
  "multiplied by": "*",
  "÷": "/",
  "divided by": "/",
  plus: "+",
  minus: "-",
}

/** Working lines and the answer for `a op b`, exact for integers (BigInt) and rounded otherwise. */
const arithmetic = (a: string, op: string, b: string): { lines: string[]; answer: string } => {
  if (op === "/" && Number(b) === 0)
    return { lines: ["Division by zero is not defined."], answer: "undefined" }
  if (!isInt(a) || !isInt(b)) {
    const x = Number(a)
    const y = Number(b)
    const r = op === "+" ? x + y : op === "-" ? x - y : op === "*" ? x * y : x / y
    return { lines: [`${a} ${op} ${b} = ${fmt(r)}`, `So the result is ${fmt(r)}.`], answer: fmt(r) }
  }
  const x = BigInt(a)
  const y = BigInt(b)
  if (op === "+")
    return { lines: [`${x} + ${y} = ${x + y}`, `Check: ${x + y} - ${y} = ${x}`], answer: `${x + y}` }
  if (op === "-")
    return { lines: [`${x} - ${y} = ${x - y}`, `Check: ${x - y} + ${y} = ${x}`], answer: `${x - y}` }
  if (op === "*") {
    const r = x * y
    const units = y % 10n
    const tens = y - units
    const lines =
      y > 10n && units !== 0n
        ? [`${x} * ${y} = ${x} * ${tens} + ${x} * ${units}`, `= ${x * tens} + ${x * units}`, `= ${r}`]
        : [`${x} * ${y} = ${r}`]
    return { lines: y === 0n ? lines : [...lines, `Check: ${r} / ${y} = ${x}`], answer: `${r}` }
  }
  if (x % y === 0n)
    return { lines: [`${x} / ${y} = ${x / y}`, `Check: ${y} * ${x / y} = ${x}`], answer: `${x / y}` }
  const r = fmt(Number(x) / Number(y))
  return { lines: [`${x} / ${y} = ${x / y} remainder ${x % y}`, `${x} / ${y} ≈ ${r}`], answer: r }
}

const VERB: Readonly<Record<string, (a: string, b: string) => string>> = {
  "+": (a, b) => `add ${b} to ${a}.`,
  "-": (a, b) => `subtract ${b} from ${a}.`,
  "*": (a, b) => `multiply ${a} by ${b}.`,
  "/": (a, b) => `divide ${a} by ${b}.`,
}

/** `k·v ± b = c` solved for v. */
const linear = (m: RegExpExecArray): { lines: string[]; answer: string } => {
  const [, k = "", v = "x", sign = "+", b = "0", c = "0"] = m
  const coef = k === "" ? 1 : k === "-" ? -1 : Number(k)
  const rhs = sign === "+" ? Number(c) - Number(b) : Number(c) + Number(b)
  const kv = coef === 1 ? v : `${fmt(coef)}${v}`
  const step =
    sign === "+"
      ? `Subtract ${b} from both sides: ${kv} = ${fmt(rhs)}`
      : `Add ${b} to both sides: ${kv} = ${fmt(rhs)}`
  const lines = [`We need to solve ${m[0].trim()} for ${v}.`, step]
  if (coef === 0) return { lines, answer: rhs === 0 ? `any ${v}` : "no solution" }
  const r = fmt(rhs / coef)
  if (coef !== 1) lines.push(`Divide both sides by ${fmt(coef)}: ${v} = ${r}`)
  lines.push(`Check: ${coef === 1 ? "" : `${fmt(coef)} * `}${r} ${sign} ${b} = ${c}`)
  return { lines, answer: `${v} = ${r}` }
}

const maths = (c: Ctx): string => {
  const eq = LINEAR.exec(c.text)
  const ex = ARITH.exec(c.text)
  let worked: { lines: string[]; answer: string }
  if (eq !== null) worked = linear(eq)
  else if (ex !== null) {
    const [, a = "0", rawOp = "+", b = "0"] = ex
    const op = OPS[rawOp.trim()] ?? rawOp.trim()
    const w = arithmetic(a, op, b)
    const say = VERB[op]?.(a, b) ?? `evaluate ${a} ${op} ${b}.`
    worked = { lines: [`${pick(c.rng, MATHS_INTRO)} ${say}`, ...w.lines], answer: w.answer }
  } else {
    // The first and last lines of the pool frame the working; a random subset of the middle, in order.
    const proof = /\bprove\b/.test(c.text)
    const pool = proof ? PROOF_LINES : MATHS_LINES
    const middle = pool.slice(1, -1).filter(() => c.rng() < 0.6)
    worked = {
      lines: [pool[0] ?? "", ...middle, pool[pool.length - 1] ?? ""].map((l) => fill(l, c.slots)),
      answer: proof
        ? fill("the statement about {a} holds, as shown above.", c.slots)
        : `${between(c.rng, 2, 240)}`,
    }
  }
  return `${worked.lines.join("\n")}\nAnswer: ${worked.answer}`
}

// ---- creative

const HAIKU: ReadonlyArray<ReadonlyArray<string>> = [
  ["Soft {a} at first light,", "Quiet {a} drifting down,", "Under the {a} sky,", "Cold {a} on the glass,"],
  [
    "{B} whispers to the sleeping hills,",
    "a slow hush settles over {b} tonight,",
    "the old road still remembers {b},",
    "somewhere a bell answers {b} again,",
  ],
  ["and the day leans in.", "nothing left to say.", "{a} finds its way home.", "the kettle sings on."],
]
const POEM = [
  "In the hush of {a}, the hours grow thin,",
  "I keep a little of {b} folded in my hands,",
  "the light moves slowly where {a} has been,",
  "and every small thing learns to wait,",
  "we name the {b} and then we let it go,",
  "{A} returns the way the tide returns,",
  "softly, as if it always knew the way,",
  "and somewhere, {a} is singing still.",
  "the night is long, but {c} is longer,",
  "so here I stay, between {a} and {b}.",
]
const STORY_OPEN = [
  "Once, in a small town by the sea, there lived a woman who cared about {a} more than anything.",
  "Nobody in the village could remember a time before {a}, until the morning it disappeared.",
  "The first thing Sam noticed that winter was how quiet {a} had become.",
]
const STORY_MIDDLE = [
  "Every evening she walked past the old market, wondering what {b} might teach her.",
  "One day a stranger arrived with a question about {a} that nobody could answer.",
  "They searched for weeks, following rumours of {b} from one valley to the next.",
  "Along the way, a small kindness involving {c} changed everything.",
  "By spring, the whole town was talking about {a} again.",
]
const STORY_END = [
  "In the end, {a} was never really lost; it had only been waiting to be noticed.",
  "And from then on, whenever anyone mentioned {b}, they smiled and told this story.",
]
const SLOGANS = [
  "{A}: made for the way you live.",
  "Fresh {a}, every single day.",
  "Where {a} meets {b}.",
  "Think {a}. Think bigger.",
  "Simply better {a}, for everyone.",
  "{A} you can count on.",
  "{A} and {b}: one great idea.",
  "The {a} people talk about.",
]

const creative = (c: Ctx): string => {
  const { rng, text } = c
  const slots = slotsFor(rng, text, c.words, POETIC_WORDS)
  if (/\bhaiku/.test(text)) return HAIKU.map((lines) => fill(pick(rng, lines), slots)).join("\n")
  if (/\b(?:story|tale)\b/.test(text)) {
    const middle = shuffled(rng, STORY_MIDDLE)
    const open = fill(pick(rng, STORY_OPEN), slots)
    const end = fill(pick(rng, STORY_END), slots)
    const parts = grow(countPieces(open) + countPieces(end), [1, 4, between(rng, 50, 110)], (i) =>
      fill(middle[i] ?? "", slots),
    )
    return [open, ...parts, end].join("\n")
  }
  if (/\b(?:slogan|tagline|jingle|names?)\b/.test(text)) {
    return shuffled(rng, SLOGANS)
      .slice(0, between(rng, 4, 6))
      .map((s) => fill(s, slots))
      .join("\n")
  }
  const pool = shuffled(rng, POEM)
  const lines = grow(0, [4, 8, between(rng, 30, 95)], (i) => fill(pool[i] ?? "", slots))
  return cap(lines.join("\n").replace(/,$/, "."))
}

// ---- code

/** Everything a code template needs; the flags switch optional parts on. */
interface CodeCtx {
  readonly fn: string
  readonly arg: string
  readonly type: string
  readonly col: string
  readonly topic: string
  readonly word: string
  readonly limit: number
  readonly validate: boolean
  readonly log: boolean
  readonly sort: boolean
  readonly example: boolean
}

const LANG_LABEL: Readonly<Record<Lang, string>> = {
  python: "Python",
  typescript: "TypeScript",
  javascript: "JavaScript",
  sql: "SQL",
  bash: "Bash",
  rust: "Rust",
  go: "Go",
}
const LANG_ALIAS: Readonly<Record<string, Lang>> = {
  python: "python",
  typescript: "typescript",
  ts: "typescript",
  javascript: "javascript",
  js: "javascript",
  node: "javascript",
  nodejs: "javascript",
  "node.js": "javascript",
  sql: "sql",
  postgres: "sql",
  postgresql: "sql",
  mysql: "sql",
  sqlite: "sql",
  bash: "bash",
  shell: "bash",
  rust: "rust",
  golang: "go",
  go: "go",
}
const RESERVED = new Set(
  `class def function return for while if else let const var new type import from package func fn struct impl
  trait enum match loop select where group order limit table index join case default static public private
  interface delete insert update values set true false null none self this async await yield with strings fmt
  sort len append make range string int str list dict map vec print main`.split(/\s+/),
)

/** The requested language: "in/using X" first, then any language named, then hints; Python by default. */
const langFor = (text: string): Lang => {
  const m = LANG_TARGET.exec(text) ?? LANG_NAME.exec(text)
  const named = m === null ? undefined : LANG_ALIAS[m[1] ?? m[2] ?? ""]
  if (named !== undefined) return named
  if (/\b(?:quer(?:y|ies)|tables?|database|select|join)\b/.test(text)) return "sql"
  if (/\b(?:react|express|npm|browser|dom|frontend)\b/.test(text)) return "javascript"
  if (/\b(?:cron|command line|terminal)\b/.test(text)) return "bash"
  return "python"
}

const singular = (w: string): string =>
  w.endsWith("ies") ? `${w.slice(0, -3)}y` : w.endsWith("s") && !w.endsWith("ss") ? w.slice(0, -1) : w

const codeCtx = (c: Ctx, lang: Lang): CodeCtx => {
  const ids = c.words.map((w) => w.toLowerCase()).filter((w) => /^[a-z][a-z0-9]*$/.test(w))
  const arg = ids.findLast((w) => w.length > 3 && /[^s]s$/.test(w) && !RESERVED.has(w)) ?? "items"
  const rest = ids.filter((w) => w !== arg)
  const named = rest.length > 0 ? rest.slice(0, c.rng() < 0.4 ? 3 : 2) : ["process", arg]
  const parts = named.length === 1 && RESERVED.has(named[0] ?? "") ? ["handle", ...named] : named
  const snake = lang === "python" || lang === "rust" || lang === "sql" || lang === "bash"
  const fn = snake ? parts.join("_") : parts.map((w, i) => (i === 0 ? w : cap(w))).join("")
  return {
    fn,
    arg,
    type: cap(singular(arg)),
    col: rest.findLast((w) => w !== singular(arg) && !RESERVED.has(w)) ?? "name",
    topic: c.words.slice(0, 2).join(" ").toLowerCase() || "input",
    word: rest[0] ?? "example",
    limit: pick(c.rng, [5, 10, 20, 50, 100]),
    validate: c.rng() < 0.5,
    log: c.rng() < 0.5,
    sort: c.rng() < 0.5,
    example: c.rng() < 0.5,
  }
}

const opt = (on: boolean, lines: ReadonlyArray<string>): ReadonlyArray<string> => (on ? lines : [])

const python = (k: CodeCtx): ReadonlyArray<string> => [
  ...opt(k.log, ["import logging", "", "logger = logging.getLogger(__name__)", "", ""]),
  ...opt(k.validate, ["def _is_valid(item):", '    return item is not None and item != ""', "", ""]),
  `def ${k.fn}(${k.arg}, limit=${k.limit}):`,
  `    """Return up to \`limit\` ${k.topic} entries from ${k.arg}."""`,
  "    result = []",
  `    for item in ${k.arg}:`,
  k.validate ? "        if not _is_valid(item):" : "        if item is None:",
  "            continue",
  "        result.append(item)",
  "        if len(result) >= limit:",
  "            break",
  ...opt(k.log, [`    logger.info("kept %d of %d entries", len(result), len(${k.arg}))`]),
  k.sort ? "    return sorted(result, key=str)" : "    return result",
  ...opt(k.example, ["", "", 'if __name__ == "__main__":', `    print(${k.fn}(["${k.word}", "", None]))`]),
]

const typescript = (k: CodeCtx): ReadonlyArray<string> => {
  const params = `${k.arg}: ReadonlyArray<${k.type} | undefined>, limit = ${k.limit}`
  return [
    `export interface ${k.type} {`,
    "  readonly id: string",
    `  readonly ${k.col}: string`,
    "}",
    "",
    `export function ${k.fn}(${params}): ${k.type}[] {`,
    `  const result: ${k.type}[] = []`,
    `  for (const item of ${k.arg}) {`,
    k.validate
      ? '    if (item === undefined || item.id === "") continue'
      : "    if (item === undefined) continue",
    "    result.push(item)",
    "    if (result.length >= limit) break",
    "  }",
    ...opt(k.log, [`  console.debug("${k.fn}: kept", result.length, "entries")`]),
    k.sort ? "  return result.sort((x, y) => x.id.localeCompare(y.id))" : "  return result",
    "}",
    ...opt(k.example, ["", `console.log(${k.fn}([{ id: "1", ${k.col}: "${k.word}" }]))`]),
  ]
}

const javascript = (k: CodeCtx): ReadonlyArray<string> => [
  "/**",
  ` * Returns up to \`limit\` ${k.topic} entries from ${k.arg}.`,
  ` * @param {Array} ${k.arg}`,
  " * @param {number} limit",
  " */",
  `export function ${k.fn}(${k.arg}, limit = ${k.limit}) {`,
  "  const result = []",
  `  for (const item of ${k.arg}) {`,
  k.validate ? '    if (item == null || item === "") continue' : "    if (item == null) continue",
  "    result.push(item)",
  "    if (result.length >= limit) break",
  "  }",
  ...opt(k.log, [`  console.debug("${k.fn}: kept", result.length, "entries")`]),
  k.sort ? "  return result.sort()" : "  return result",
  "}",
  ...opt(k.example, ["", `console.log(${k.fn}(["${k.word}", null, ""]))`]),
]

const rust = (k: CodeCtx): ReadonlyArray<string> => [
  `/// Returns up to \`limit\` ${k.topic} entries from \`${k.arg}\`.`,
  `pub fn ${k.fn}(${k.arg}: &[String], limit: usize) -> Vec<String> {`,
  "    let mut result = Vec::new();",
  `    for item in ${k.arg} {`,
  k.validate ? "        if item.trim().is_empty() {" : "        if item.is_empty() {",
  "            continue;",
  "        }",
  "        result.push(item.clone());",
  "        if result.len() >= limit {",
  "            break;",
  "        }",
  "    }",
  ...opt(k.sort, ["    result.sort();"]),
  "    result",
  "}",
  ...opt(k.example, [
    "",
    "fn main() {",
    `    let input = vec!["${k.word}".to_string(), String::new()];`,
    `    println!("{:?}", ${k.fn}(&input, ${k.limit}));`,
    "}",
  ]),
  ...opt(k.log, [
    "",
    "#[cfg(test)]",
    "mod tests {",
    "    use super::*;",
    "",
    "    #[test]",
    "    fn skips_empty_entries() {",
    `        assert!(${k.fn}(&[String::new()], ${k.limit}).is_empty());`,
    "    }",
    "}",
  ]),
]

const go = (k: CodeCtx): ReadonlyArray<string> => {
  const imports = [k.example ? '"fmt"' : "", k.sort ? '"sort"' : "", k.validate ? '"strings"' : ""].filter(
    Boolean,
  )
  return [
    "package main",
    "",
    ...opt(imports.length > 0, ["import (", ...imports.map((i) => `\t${i}`), ")", ""]),
    `// ${k.fn} returns up to limit ${k.topic} entries from ${k.arg}.`,
    `func ${k.fn}(${k.arg} []string, limit int) []string {`,
    `\tresult := make([]string, 0, len(${k.arg}))`,
    `\tfor _, item := range ${k.arg} {`,
    k.validate ? '\t\tif strings.TrimSpace(item) == "" {' : '\t\tif item == "" {',
    "\t\t\tcontinue",
    "\t\t}",
    "\t\tresult = append(result, item)",
    "\t\tif len(result) >= limit {",
    "\t\t\tbreak",
    "\t\t}",
    "\t}",
    ...opt(k.sort, ["\tsort.Strings(result)"]),
    "\treturn result",
    "}",
    ...opt(k.example, [
      "",
      "func main() {",
      `\tfmt.Println(${k.fn}([]string{"${k.word}", ""}, ${k.limit}))`,
      "}",
    ]),
  ]
}

const bash = (k: CodeCtx): ReadonlyArray<string> => [
  "#!/usr/bin/env bash",
  "set -euo pipefail",
  "",
  ...opt(k.log, ['log() { echo "[$(date +%H:%M:%S)] $*" >&2; }', ""]),
  `# ${k.fn}: process ${k.topic} entries in a directory.`,
  `${k.fn}() {`,
  '  local target="$1"',
  "  local count=0",
  ...opt(k.validate, [
    '  if [ ! -d "$target" ]; then',
    '    echo "not a directory: $target" >&2',
    "    return 1",
    "  fi",
  ]),
  '  for item in "$target"/*; do',
  '    [ -e "$item" ] || continue',
  k.log ? '    log "processing $item"' : '    echo "processing $item"',
  "    count=$((count + 1))",
  "  done",
  '  echo "done: $count entries"',
  "}",
  "",
  `${k.fn} "$@"`,
]

const sql = (k: CodeCtx): ReadonlyArray<string> => [
  `-- ${k.topic}: ${k.fn}`,
  ...opt(k.log, [`CREATE INDEX IF NOT EXISTS idx_${k.arg}_created_at ON ${k.arg} (created_at);`, ""]),
  "WITH recent AS (",
  `  SELECT id, ${k.col}, created_at`,
  `  FROM ${k.arg}`,
  "  WHERE created_at >= CURRENT_DATE - INTERVAL '30 days'",
  ...opt(k.validate, [`    AND ${k.col} IS NOT NULL`]),
  ")",
  `SELECT ${k.col}, COUNT(*) AS total`,
  "FROM recent",
  `GROUP BY ${k.col}`,
  ...opt(k.example, ["HAVING COUNT(*) > 1"]),
  k.sort ? `ORDER BY total DESC, ${k.col}` : "ORDER BY total DESC",
  `LIMIT ${k.limit};`,
]

const TEMPLATES: Readonly<Record<Lang, (k: CodeCtx) => ReadonlyArray<string>>> = {
  python,
  typescript,
  javascript,
  sql,
  bash,
  rust,
  go,
}
const CODE_INTRO = [
  "Here is a {L} implementation of `{fn}`:",
  "Sure! Here's a small {L} version that handles {a}:",
  "Below is a self-contained {L} example for {a}:",
]
const CODE_OUTRO = [
  "The code skips empty entries early and keeps the main loop simple, so it is easy to extend for {a}.",
  "You can adjust the limit or add more validation depending on how {a} is used in your project.",
  "Keeping the logic in one small unit makes `{fn}` straightforward to test in isolation.",
]

const code = (c: Ctx): string => {
  const lang = langFor(c.text)
  const k = codeCtx(c, lang)
  const say = (t: string): string => fill(t, c.slots).replace("{L}", LANG_LABEL[lang]).replace("{fn}", k.fn)
  const body = TEMPLATES[lang](k).join("\n")
  const fence = "```"
  const intro = say(pick(c.rng, CODE_INTRO))
  return `${intro}\n\n${fence}${lang}\n${body}\n${fence}\n\n${say(pick(c.rng, CODE_OUTRO))}`
}

// ---- JSON

const JSON_PHRASES = [
  "{A} depends mostly on {b}.",
  "A short note about {a} and {b}.",
  "{A} is closely related to {c}.",
  "The key point is {a}.",
]

const isSchema = (v: unknown): v is Schema => typeof v === "object" && v !== null && !Array.isArray(v)
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined)
const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "") || "item"

/** The declared type: the first non-null one, else guessed from `properties` / `items`, else string. */
const typeOf = (s: Schema): string => {
  const t = s.type
  if (typeof t === "string") return t
  if (Array.isArray(t)) return t.find((x): x is string => typeof x === "string" && x !== "null") ?? "null"
  if (isSchema(s.properties)) return "object"
  return s.items !== undefined ? "array" : "string"
}

const stringFor = (key: string, s: Schema, c: Ctx): string => {
  const k = key.toLowerCase()
  const f = typeof s.format === "string" ? s.format : ""
  if (f === "email" || /e-?mail/.test(k)) return `${slug(c.slots.a)}@example.com`
  if (f === "uri" || /url|link|website/.test(k)) return `https://example.com/${slug(c.slots.a)}`
  if (f === "date-time") return "2024-05-17T09:30:00Z"
  if (f === "date" || /date|_at$/.test(k)) return "2024-05-17"
  if (/name|title|label|topic|category/.test(k)) return cap(c.slots.a)
  if (/(?:^|_)id$/.test(k)) return `${slug(c.slots.a)}-${between(c.rng, 1, 999)}`
  return fill(pick(c.rng, JSON_PHRASES), c.slots)
}

const numberFor = (key: string, s: Schema, rng: Rng, integer: boolean): number => {
  const unit = !integer && /confidence|score|probability|ratio|weight/.test(key.toLowerCase())
  const lo = num(s.minimum) ?? (integer ? 1 : 0)
  const hi = num(s.maximum) ?? (unit ? 1 : 100)
  const x = hi > lo ? lo + rng() * (hi - lo) : lo
  if (!integer) return Math.round(x * 100) / 100
  return Math.min(Math.floor(Math.max(hi, lo)), Math.max(Math.ceil(lo), Math.round(x)))
}

/** A value satisfying the schema's type (const, enum → first value, anyOf/oneOf → first branch). */
const valueFor = (schema: unknown, key: string, c: Ctx, depth: number): unknown => {
  if (!isSchema(schema)) return stringFor(key, {}, c)
  if ("const" in schema) return schema.const
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0]
  const branch = Array.isArray(schema.anyOf)
    ? schema.anyOf[0]
    : Array.isArray(schema.oneOf)
      ? schema.oneOf[0]
      : undefined
  if (branch !== undefined) return valueFor(branch, key, c, depth)
  switch (typeOf(schema)) {
    case "number":
      return numberFor(key, schema, c.rng, false)
    case "integer":
      return numberFor(key, schema, c.rng, true)
    case "boolean":
      return c.rng() < 0.5
    case "null":
      return null
    case "array": {
      const lo = num(schema.minItems) ?? 0
      const n = Math.max(lo, Math.min(num(schema.maxItems) ?? 3, between(c.rng, 2, 3)))
      const items = schema.items ?? {}
      if (depth > 4) return []
      if (
        isSchema(items) &&
        typeOf(items) === "string" &&
        items.enum === undefined &&
        items.format === undefined
      ) {
        return Array.from({ length: n }, (_, i) => c.words[i] ?? `${c.words[0] ?? "item"} ${i + 1}`)
      }
      return Array.from({ length: n }, () => valueFor(items, singular(key), c, depth + 1))
    }
    case "object": {
      const props = isSchema(schema.properties) ? schema.properties : {}
      const required = Array.isArray(schema.required)
        ? schema.required.filter((r) => typeof r === "string")
        : []
      const out: Record<string, unknown> = {}
      if (depth > 4) return out
      for (const name of [...Object.keys(props), ...required]) {
        if (!(name in out)) out[name] = valueFor(props[name] ?? {}, name, c, depth + 1)
      }
      return out
    }
    default:
      return stringFor(key, schema, c)
  }
}

/** A schema with a type or properties is followed; plain "json" (or an empty schema) gets a small answer. */
const json = (c: Ctx, format: "json" | Schema): string => {
  if (isSchema(format) && (format.type !== undefined || isSchema(format.properties))) {
    return JSON.stringify(valueFor(format, "", c, 0))
  }
  const answer = fill(pick(c.rng, GENERAL), c.slots)
  return JSON.stringify({ answer, confidence: Math.round((0.6 + c.rng() * 0.35) * 100) / 100 })
}

// ---- entry point

const GENERATORS: Readonly<Record<Task, (c: Ctx) => string>> = {
  code,
  summary,
  maths,
  creative,
  reasoning,
  general,
}

/**
 * The full natural answer as token pieces: each piece is a short string (a word with its leading
 * space, a newline, punctuation…). Concatenated they form the answer. Deterministic for
 * (model, prompt, seed, format).
 */
/** Answers by what determines them; a bounded LRU (Map order is recency: a hit moves to the end). */
const answers = new Map<string, ReadonlyArray<string>>()
const ANSWERS_KEPT = 512

/**
 * The answer a model gives, as tokens — a pure function of model, seed, format and prompt (as
 * Ollama's is with a fixed seed), so repeated prompts (load tests, agents' retries) are served
 * from a small cache instead of being written again.
 */
export const generateTokens = (req: TextRequest): ReadonlyArray<string> => {
  const key = JSON.stringify([req.model, req.seed, req.format ?? null, req.prompt])
  const known = answers.get(key)
  if (known !== undefined) {
    answers.delete(key)
    answers.set(key, known)
    return known
  }
  const tokens = Object.freeze(answerTokens(req))
  answers.set(key, tokens)
  if (answers.size > ANSWERS_KEPT) answers.delete(answers.keys().next().value as string)
  return tokens
}

/** The answer written from scratch (what `generateTokens` caches). */
export const answerTokens = (req: TextRequest): ReadonlyArray<string> => {
  const rng = seededRandom(JSON.stringify([req.model, req.seed, req.format ?? null, req.prompt]))
  const message = lastUserMessage(req.prompt).trim()
  const found = topicWords(message)
  const words = found.length > 0 ? found : FALLBACK_WORDS
  const text = message.toLowerCase()
  const c: Ctx = { rng, text, words, slots: slotsFor(rng, text, words) }
  if (req.format !== undefined) return tokenize(json(c, req.format))
  return tokenize(GENERATORS[detectTask(text, CODE_MODEL.test(req.model))](c))
}

// ---- building blocks for the other generators (thinking, tool calls)

/** What a generator reads from one message: a PRNG seeded by `key`, its topic words and slots. */
export type TextContext = Ctx

/** The context of `message` (one message's text, not a flattened chat), seeded by `key`. */
export const contextOf = (key: string, message: string, fallback = FALLBACK_WORDS): TextContext => {
  const rng = seededRandom(key)
  const found = topicWords(message)
  const words = found.length > 0 ? found : fallback
  const text = message.toLowerCase()
  return { rng, text, words, slots: slotsFor(rng, text, words) }
}

/**
 * A JSON value satisfying `schema` (objects carry every property, required ones included); `key`
 * is the property it is for (names such as email, url, date or confidence shape the value).
 */
export const schemaValue = (schema: unknown, c: TextContext, key = ""): unknown => valueFor(schema, key, c, 0)

/** Cut text into the simulator's token pieces (words with their leading space, punctuation, newlines). */
export const tokenPieces = (text: string): string[] => tokenize(text)

/** A template with {a} {b} {c} (or capitalised) filled from the context's slots. */
export const fillSlots = (template: string, c: TextContext): string => fill(template, c.slots)

/** One of `xs`, drawn from the context's PRNG. */
export const pickFrom = <T>(c: TextContext, xs: ReadonlyArray<T>): T => pick(c.rng, xs)
