/**
 * Ollama's streaming wire format: one JSON object per line (`application/x-ndjson`). A stream
 * ends with the `done: true` chunk, or with an `{"error": "..."}` line when the answer cannot
 * complete after it began (as Ollama does mid-stream; clients raise it). No comment syntax
 * exists, so a stream is kept alive with an empty chunk, which clients concatenate as nothing.
 */
import type { StreamEncoding } from "../stream-policy.js"
import type { AnswerShape } from "./responses.js"

export const NDJSON = "application/x-ndjson"

export const line = (v: unknown): string => `${JSON.stringify(v)}\n`

export const ndjsonEncoding = (shape: AnswerShape): StreamEncoding => ({
  begin: () => "",
  piece: (model, p) => line(shape.chunk(model, p)),
  end: (model, r, summary) => line(shape.final(model, r, summary, false)),
  error: (f) => line({ error: f.message }),
  keepAlive: (model) => line(shape.chunk(model, {})),
})
