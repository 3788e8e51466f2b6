/**
 * A streamed chat completion: OpenAI's Server-Sent Events encoding of an answer
 * (`chat.completion.chunk`s, then `data: [DONE]`) under the streaming policy both facades share
 * (`../stream-policy.ts`, docs/openai.md "Streaming and failover"). The first delta carries the
 * role; text and reasoning go out as deltas; tool calls as one delta of indexed calls; then the
 * finish chunk and, with `include_usage`, a usage chunk with `choices: []`; the last chunk
 * carries the `conductor` object. A failure after the head is an error event (`{"error": {…}}`,
 * which OpenAI's SDKs raise) and no `[DONE]`; before the head, an HTTP error.
 */
import type { Context } from "hono"
import type { RequestHandle } from "../../conductor.js"
import { conductorError } from "../../domain/errors.js"
import { decisionHeaders, decisionOf } from "../conductor-summary.js"
import { type StreamEncoding, type StreamMode, startStream } from "../stream-policy.js"
import { FINGERPRINT, toolCallsOf, usageOf } from "./chat-response.js"
import { codeFor, errorResponse } from "./errors.js"

/** A stream sends its head by this long even before any output, then keeps the connection alive. */
const HEAD_AFTER_MS = 10_000
const KEEPALIVE_MS = 15_000

/** OpenAI's SSE encoding of an answer. */
const sseEncoding = (id: string, includeUsage: boolean): StreamEncoding => {
  const created = Math.floor(Date.now() / 1000)
  const event = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`
  const chunk = (model: string, delta: Record<string, unknown>, finish: string | null = null) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    system_fingerprint: FINGERPRINT,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  })
  return {
    begin: (model) => event(chunk(model, { role: "assistant", content: "" })),
    piece: (model, p) =>
      [
        p.thinking !== undefined ? event(chunk(model, { reasoning: p.thinking })) : "",
        p.content !== undefined ? event(chunk(model, { content: p.content })) : "",
        p.toolCalls !== undefined ? event(chunk(model, { tool_calls: toolCallsOf(p.toolCalls, true) })) : "",
      ].join(""),
    end: (model, r, summary) => {
      const tail = includeUsage
        ? event(chunk(model, {}, r.finishReason)) +
          event({ ...chunk(model, {}), choices: [], usage: usageOf(r.usage), conductor: summary })
        : event({ ...chunk(model, {}, r.finishReason), conductor: summary })
      return `${tail}data: [DONE]\n\n`
    },
    error: (f) =>
      event({
        error: {
          message: f.message,
          type: "server_error",
          param: null,
          code:
            f.kind === "restart"
              ? "stream_restart"
              : f.kind === "cancelled" || f.reason === undefined
                ? "cancelled"
                : codeFor(f.reason),
        },
      }),
    keepAlive: () => ": keep-alive\n\n",
  }
}

/** The SSE answer, or the HTTP error when the request failed before any output. */
export const streamCompletion = async (
  c: Context,
  handle: RequestHandle,
  settings: { readonly mode: StreamMode; readonly includeUsage: boolean },
  done: () => void,
): Promise<Response> => {
  const started = await startStream(handle, sseEncoding(`chatcmpl-${handle.id}`, settings.includeUsage), {
    mode: settings.mode,
    headAfterMs: HEAD_AFTER_MS,
    keepAliveMs: KEEPALIVE_MS,
    onEnd: done,
  })
  if (!started.ok) {
    // Cancelled: by the client (gone, it reads nothing) or by a draining server (it is told).
    if (c.req.raw.signal.aborted) return c.body(null, 499 as 200)
    return errorResponse(c, started.error ?? conductorError("Cancelled", "the request was cancelled"))
  }
  // Through the context, so that CORS and the other headers set on it go too.
  return c.body(started.body, 200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
    "x-conductor-stream": settings.mode,
    ...decisionHeaders(handle.id, started.model, decisionOf(handle)),
  })
}
