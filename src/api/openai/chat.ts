/**
 * `POST /v1/chat/completions`: one Conductor request per call, answered in OpenAI's shapes — a
 * `chat.completion` (here), or SSE chunks (`chat-stream.ts`, under the shared streaming policy).
 * The body is translated by `chat-request.ts`; a model the request names must be a chat model of
 * the registry that the backend has (else 404 `model_not_found`), and one that can call tools
 * when the request offers them (as routing picks only such models). Routing transparency:
 * `x-conductor-request-id`, `-model`, `-tier` and `-reason` headers and the `conductor` object.
 * A client that disconnects or aborts cancels the request.
 */
import type { Context } from "hono"
import type { RequestHandle } from "../../conductor.js"
import { isConductorError } from "../../domain/errors.js"
import { readJsonBody } from "../body.js"
import { conductorSummary, decisionHeaders, decisionOf, eventsOf, watchClient } from "../conductor-summary.js"
import type { ApiDeps } from "../deps.js"
import { translateChatRequest } from "./chat-request.js"
import { completionOf } from "./chat-response.js"
import { streamCompletion } from "./chat-stream.js"
import { errorResponse, openaiError } from "./errors.js"
import { resolveModel } from "./models.js"

export const chatCompletions =
  (deps: ApiDeps) =>
  async (c: Context): Promise<Response> => {
    if (deps.draining()) return c.json(openaiError(503, "the server is shutting down", "draining"), 503)
    const body = await readJsonBody(c, deps.maxRequestBytes)
    if (!body.ok) return c.json(openaiError(body.status, body.message, "invalid_request"), body.status)
    const translated = translateChatRequest(body.value, { get: (n) => c.req.header(n) })
    if (!translated.ok) return c.json(openaiError(400, translated.message, "invalid_request"), 400)
    const t = translated.value
    if (t.request.model !== undefined) {
      const m = resolveModel(deps.conductor, t.request.model)
      if (!m.ok) return c.json(m.body, m.status)
      if (m.info.kind !== "chat") {
        return c.json(
          openaiError(
            400,
            `model: '${m.info.name}' is an embedding model; use /v1/embeddings`,
            "invalid_model",
          ),
          400,
        )
      }
      if (t.request.tools !== undefined && !m.info.capabilities.includes("tools")) {
        return c.json(
          openaiError(
            400,
            `model: '${m.info.name}' cannot call tools; name a model with the tools capability (GET /v1/models) or use auto`,
            "model_lacks_tools",
          ),
          400,
        )
      }
    }
    let handle: RequestHandle
    try {
      handle = deps.conductor.submit(t.request)
    } catch (e) {
      if (isConductorError(e)) return errorResponse(c, e)
      throw e
    }
    c.header("x-conductor-request-id", handle.id)
    const client = watchClient(c, handle)
    const unwatch = client.unwatch
    if (t.stream) {
      return streamCompletion(c, handle, { mode: t.streamMode, includeUsage: t.includeUsage }, unwatch)
    }
    try {
      const r = await handle.result
      for (const [k, v] of Object.entries(decisionHeaders(handle.id, r.model, r))) c.header(k, v)
      return c.json(
        completionOf(handle.id, r, conductorSummary(handle.id, decisionOf(handle), eventsOf(handle), r)),
      )
    } catch (e) {
      // The client is gone; nobody reads this.
      if (client.gone()) return c.body(null, 499 as 200)
      if (isConductorError(e)) return errorResponse(c, e)
      throw e
    } finally {
      unwatch()
    }
  }
