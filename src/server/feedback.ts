/**
 * Feedback over the WebSocket: the client message `{"type":"feedback","id","score"}` names one of
 * this connection's requests by the client's id, like `cancel` — running, or among its last
 * ANSWERED_KEPT ended ones (`AnsweredIds` keeps their server ids) — and is handed to Conductor
 * under the server's id for the learner. The server answers `{"type":"feedback_recorded","id",
 * "score"}`, or an `error`: `invalid_message` for a bad envelope or score, `unknown_request` for
 * an id this connection has no such request for (or one that ended without an answer),
 * `invalid_request` when learning is off.
 */
import type { Conductor } from "../conductor.js"
import { isConductorError } from "../domain/errors.js"
import { checkFeedback, isUnknownRequest } from "../learning/feedback.js"
import type { ErrorMessage } from "./error-message.js"

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

/** Ended requests of one connection remembered for feedback. */
export const ANSWERED_KEPT = 1000

/** A connection's ended requests, the client's id to the server's, the latest ANSWERED_KEPT. */
export class AnsweredIds {
  private readonly ids = new Map<string, string>()

  remember(clientId: string, serverId: string): void {
    this.ids.delete(clientId)
    this.ids.set(clientId, serverId)
    if (this.ids.size > ANSWERED_KEPT) this.ids.delete(this.ids.keys().next().value as string)
  }

  get(clientId: string): string | undefined {
    return this.ids.get(clientId)
  }
}

/** Record the feedback for the request Conductor knows as `serverId`, and say how it went. */
export const answerFeedback = (
  conductor: Conductor,
  m: FeedbackMessage,
  serverId: string | undefined,
  send: (message: FeedbackRecorded | ErrorMessage) => void,
): void => {
  if (serverId === undefined) {
    send({
      type: "error",
      code: "unknown_request",
      message: `id: no request '${m.id}' of this connection is running or recently ended`,
      id: m.id,
    })
    return
  }
  try {
    conductor.feedback(serverId, m.score)
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
