/**
 * The cache of answers: a model's answer is a pure function of model, seed, format and prompt (as
 * Ollama's is with a fixed seed), so repeated prompts (load tests, agents' retries) are served from
 * a small bounded LRU instead of being written again (answer.ts).
 */
import { answerTokens, type TextRequest } from "./answer.js"

/** Answers by what determines them; a bounded LRU (Map order is recency: a hit moves to the end). */
const answers = new Map<string, ReadonlyArray<string>>()
const ANSWERS_KEPT = 512

/** The answer a model gives, as tokens: from the cache, or written and kept. */
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
