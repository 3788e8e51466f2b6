/**
 * The reasoning a simulated thinking model writes before its answer (Ollama's `thinking` field):
 * a few sentences about the question's topic words, longer for higher think levels, deterministic
 * per (model, seed, message, level). The engine streams it as `thinking` chunks before the answer.
 */
import { tokenPieces } from "./text/pieces.js"
import { contextOf, fillSlots, pickFrom } from "./text/prompt.js"

/** Ollama's think levels (`think: true` is "medium"). */
export type ThinkLevel = "low" | "medium" | "high" | "max"

const OPENINGS = [
  "Okay, the user is asking about {a}.",
  "Let me think about {a}.",
  "Hmm, this question is about {a}.",
  "Alright, I need to work out what matters about {a}.",
]

const STEPS = [
  " First, I should consider how {a} relates to {b}.",
  " {B} matters here, so I should mention it.",
  " I need to be careful not to confuse {b} with {c}.",
  " Maybe a short example involving {c} would help.",
  " Let me check whether anything important about {a} is missing.",
  " Wait, is {c} really relevant? Probably, but only briefly.",
  " The answer should be clear and not too long.",
  " I should double-check the reasoning about {b} before answering.",
]

const CLOSINGS = [
  " So I'll explain {a}, mentioning {b} and {c}.",
  " Alright, I'll answer now.",
  " That should be enough to write a good answer.",
]

const STEPS_PER_LEVEL: Readonly<Record<ThinkLevel, number>> = { low: 1, medium: 3, high: 5, max: 7 }

/** The reasoning for `message` (the last user message, or a tool result being read) as token pieces. */
export const thinkingTokens = (
  model: string,
  seed: number,
  message: string,
  level: ThinkLevel,
): ReadonlyArray<string> => {
  const c = contextOf(JSON.stringify(["think", model, seed, level, message]), message)
  const steps = STEPS.filter(() => c.rng() < 0.8).slice(0, STEPS_PER_LEVEL[level])
  const text = [pickFrom(c, OPENINGS), ...steps, pickFrom(c, CLOSINGS)].map((t) => fillSlots(t, c)).join("")
  return tokenPieces(text)
}
