/**
 * Feedback input, checked the same way for every entry point (library `handle.feedback`,
 * WebSocket `{"type":"feedback","id","score"}`, HTTP `POST /v1/feedback {requestId, score}`):
 * a score is a number from 0 (useless) to 1 (right), a request id is one Conductor could have
 * accepted. Problems name their field.
 */
import { type ConductorError, conductorError } from "../domain/errors.js"

const ID = /^[A-Za-z0-9._:-]{1,128}$/

export interface Feedback {
  readonly requestId: string
  readonly score: number
}

export type Checked =
  | { readonly ok: true; readonly value: Feedback }
  | { readonly ok: false; readonly error: ConductorError }

const bad = (message: string): Checked => ({ ok: false, error: conductorError("BadRequest", message) })

/** Check a score and a request id (`idField`/`scoreField` name them in messages). */
export const checkFeedback = (
  requestId: unknown,
  score: unknown,
  idField = "requestId",
  scoreField = "score",
): Checked => {
  if (typeof requestId !== "string" || !ID.test(requestId)) {
    return bad(`${idField}: expected the id of a request (1 to 128 letters, digits or . _ : -)`)
  }
  if (typeof score !== "number" || !Number.isFinite(score) || score < 0 || score > 1) {
    return bad(`${scoreField}: expected a number from 0 to 1, got ${JSON.stringify(score) ?? String(score)}`)
  }
  return { ok: true, value: { requestId, score } }
}

/** The error for feedback on a request Conductor does not know (transports answer 404 / unknown_request). */
export const unknownRequest = (requestId: string): ConductorError =>
  conductorError(
    "BadRequest",
    `requestId: no answered request '${requestId}' is known (feedback applies to completed requests, kept for learning.retention)`,
    { details: { requestId, unknownRequest: true } },
  )

export const isUnknownRequest = (e: ConductorError): boolean => e.details?.unknownRequest === true

/** Check an HTTP body `{requestId, score}` (no other fields). */
export const checkFeedbackBody = (body: unknown): Checked => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return bad("request: expected a JSON object {requestId, score}")
  }
  const o = body as Record<string, unknown>
  const extra = Object.keys(o).filter((k) => k !== "requestId" && k !== "score")
  if (extra.length > 0) return bad(`${extra[0]}: unknown field (expected requestId and score)`)
  return checkFeedback(o.requestId, o.score)
}
