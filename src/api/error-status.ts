/**
 * The HTTP status for each Conductor failure reason, the same in every compatible API: a bad
 * request 400, an unknown model 404, a full queue 429 (with `Retry-After`), no model available,
 * an open breaker, an unreachable backend or no memory 503, a timeout 504, a crashed or invalid
 * answer 502, a cancelled request 499 (nginx's "client closed request", as Ollama uses it).
 */
import type { ConductorError, ErrorReason } from "../domain/errors.js"

const STATUS: Readonly<Record<ErrorReason, number>> = {
  BadRequest: 400,
  ModelNotFound: 404,
  QueueFull: 429,
  NoModelAvailable: 503,
  CircuitOpen: 503,
  Unavailable: 503,
  OutOfMemory: 503,
  Timeout: 504,
  Crashed: 502,
  ValidationFailed: 502,
  Cancelled: 499,
}

export const statusOf = (reason: ErrorReason): number => STATUS[reason]

/** `Retry-After` (whole seconds, at least 1) when the error says when to retry. */
export const retryHeaders = (e: ConductorError): Record<string, string> =>
  e.retryAfterMs !== undefined ? { "retry-after": String(Math.max(1, Math.ceil(e.retryAfterMs / 1000))) } : {}
