/**
 * The simulator's prose answers: general QA (a few sentences), reasoning (numbered steps and a
 * conclusion), a summary (bullet points) and creative pieces (haiku, poem, story, slogans), each
 * small template lists filled with the prompt's words and grown to a natural length.
 */

import { countPieces } from "./pieces.js"
import { POETIC_WORDS, slotsFor, type TextContext } from "./prompt.js"
import { between, pick, shuffled } from "./random.js"
import { cap, fill, grow } from "./templates.js"

export const GENERAL = [
  "{A} is mainly about how {b} fits into the bigger picture.",
  "In short, {a} depends on the context and on what you want to achieve with {b}.",
  "A good way to think about {a} is as a set of trade-offs rather than a single rule.",
  "Most sources agree that {a} and {b} are closely related, although the details vary.",
  "If you are just starting out, focus on the basics of {a} before worrying about {c}.",
  "The short answer is that it depends on {b}, but the usual approach works well in most cases.",
  "Many people find {a} easier to grasp with a concrete example involving {c}.",
  "Let me know if you would like more detail on {a} or a worked example.",
]

export const general = (c: TextContext): string => {
  const order = shuffled(c.rng, GENERAL)
  const lines = grow(0, [1, 4, between(c.rng, 22, 52)], (i) => fill(order[i] ?? "", c.slots))
  return lines.join(" ")
}

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

export const reasoning = (c: TextContext): string => {
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

export const summary = (c: TextContext): string => {
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

export const creative = (c: TextContext): string => {
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
