/**
 * Feedback over the WebSocket: the client message `{"type":"feedback","id","score"}` (any
 * request's id, not only this connection's) is checked here and handed to Conductor, which
 * records it for the learner; the server answers `{"type":"feedback_recorded","id","score"}`, or
 * an `error` (`invalid_message` for a bad envelope or score, `unknown_request` for an id
 * Conductor has no answer for, `invalid_request` when learning is off).
 */
import type { Conductor } from "../conductor.js"
import { isConductorError } from "../domain/errors.js"
import { checkFeedback, isUnknownRequest } from "../learning/feedback.js"
import type { ErrorMessage } from "./protocol.js"

export interface FeedbackMessage {
  readonly type: "feedback"
  readonly id: string
  readonly score: number
}

export interface FeedbackRecorded {
  readonly type: "feedback_recorded"
  readonly id: string
  readonly score: number
}

type Decoded =
  | { readonly ok: true; readonly message: FeedbackMessage }
  | { readonly ok: false; readonly error: ErrorMessage }

/** Decode a `feedback` message's envelope (a JSON object with `type: "feedback"`). */
export const decodeFeedback = (o: Readonly<Record<string, unknown>>): Decoded => {
  const id = typeof o.id === "string" ? o.id : undefined
  const fail = (message: string): Decoded => ({
    ok: false,
    error: { type: "error", code: "invalid_message", message, ...(id !== undefined ? { id } : {}) },
  })
  const extra = Object.keys(o).filter((k) => k !== "type" && k !== "id" && k !== "score")
  if (extra.length > 0) return fail(`${extra[0]}: unknown field`)
  const checked = checkFeedback(o.id, o.score, "id")
  if (!checked.ok) return fail(checked.error.message)
  return { ok: true, message: { type: "feedback", id: checked.value.requestId, score: checked.value.score } }
}

/** Record the feedback and say how it went. */
export const answerFeedback = (
  conductor: Conductor,
  m: FeedbackMessage,
  send: (message: FeedbackRecorded | ErrorMessage) => void,
): void => {
  try {
    conductor.feedback(m.id, m.score)
  } catch (e) {
    if (!isConductorError(e)) throw e
    send({
      type: "error",
      code: isUnknownRequest(e) ? "unknown_request" : "invalid_request",
      message: e.message,
      id: m.id,
    })
    return
  }
  send({ type: "feedback_recorded", id: m.id, score: m.score })
}
