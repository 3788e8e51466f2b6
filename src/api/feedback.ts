/**
 * `POST /v1/feedback {requestId, score}`: a score from 0 (useless) to 1 (right) for an answered
 * request, for the learner (docs/learning.md). 202 with the feedback when it is queued for the
 * store; 400 for a bad body, a bad score or learning off; 404 when no answered request has that
 * id. Errors are in OpenAI's shape, like the rest of `/v1`.
 */
import { Hono } from "hono"
import { isConductorError } from "../domain/errors.js"
import { checkFeedbackBody, isUnknownRequest } from "../learning/feedback.js"
import { readJsonBody } from "./body.js"
import type { ApiDeps } from "./deps.js"
import { openaiError } from "./openai/errors.js"

/** A feedback body is small; anything larger is not one. */
const MAX_BODY_BYTES = 4096

export const feedbackRoutes = (deps: ApiDeps): Hono => {
  const app = new Hono()
  app.post("/feedback", async (c) => {
    const body = await readJsonBody(c, MAX_BODY_BYTES)
    if (!body.ok) return c.json(openaiError(body.status, body.message, "invalid_request"), body.status)
    const checked = checkFeedbackBody(body.value)
    if (!checked.ok) return c.json(openaiError(400, checked.error.message, "invalid_request"), 400)
    const { requestId, score } = checked.value
    try {
      deps.conductor.feedback(requestId, score)
    } catch (e) {
      if (!isConductorError(e)) throw e
      const unknown = isUnknownRequest(e)
      return c.json(
        openaiError(unknown ? 404 : 400, e.message, unknown ? "unknown_request" : "invalid_request"),
        unknown ? 404 : 400,
      )
    }
    return c.json({ requestId, score }, 202)
  })
  return app
}
