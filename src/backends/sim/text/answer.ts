/**
 * The simulated server's text generator: the deterministic "natural answer" of a fake model. The
 * last user message of the prompt is sorted into a task shape by keyword rules (task.ts: code,
 * summary, maths, creative, reasoning, general; JSON whenever `format` is set), small template
 * lists are filled with words taken from the prompt (prompt.ts, templates.ts), and the text is cut
 * into token-sized pieces (pieces.ts). Every choice comes from a PRNG seeded by (model, prompt,
 * seed, format) (random.ts), so a request always gets the same answer. The engine streams the
 * pieces and applies num_predict; nothing here knows of either.
 */
import { code } from "./code.js"
import { json } from "./json.js"
import { maths } from "./maths.js"
import { tokenize } from "./pieces.js"
import { FALLBACK_WORDS, lastUserMessage, slotsFor, type TextContext, topicWords } from "./prompt.js"
import { creative, general, reasoning, summary } from "./prose.js"
import { seededRandom } from "./random.js"
import { CODE_MODEL, detectTask, type Task } from "./task.js"

export interface TextRequest {
  readonly model: string
  /** The prompt, or for chat the messages flattened as "role: content" lines (last user message last). */
  readonly prompt: string
  readonly seed: number
  /** Ollama's `format`: "json" or a JSON Schema object; undefined for free text. */
  readonly format?: "json" | Readonly<Record<string, unknown>> | undefined
}

const GENERATORS: Readonly<Record<Task, (c: TextContext) => string>> = {
  code,
  summary,
  maths,
  creative,
  reasoning,
  general,
}

/**
 * The answer written from scratch, as token pieces: each piece is a short string (a word with its
 * leading space, a newline, punctuation…); concatenated they form the answer. Deterministic for
 * (model, prompt, seed, format); models whose name suggests a code model (coder, codellama,
 * starcoder…) answer code more readily.
 */
export const answerTokens = (req: TextRequest): ReadonlyArray<string> => {
  const rng = seededRandom(JSON.stringify([req.model, req.seed, req.format ?? null, req.prompt]))
  const message = lastUserMessage(req.prompt).trim()
  const found = topicWords(message)
  const words = found.length > 0 ? found : FALLBACK_WORDS
  const text = message.toLowerCase()
  const c: TextContext = { rng, text, words, slots: slotsFor(rng, text, words) }
  if (req.format !== undefined) return tokenize(json(c, req.format))
  return tokenize(GENERATORS[detectTask(text, CODE_MODEL.test(req.model))](c))
}
