/**
 * `POST /v1/chat/completions`: one Conductor request per call, answered in OpenAI's shapes —
 * a `chat.completion`, or SSE `chat.completion.chunk`s ending in `data: [DONE]`. Streaming stays
 * honest under failover (docs/openai.md): a model cut mid-answer is continued by the next one
 * (the client sees one answer); answers with a format or tools are held until validated; an
 * answer that must be discarded after it was streamed ends the stream with an error event, never
 * with `finish_reason: "stop"`. Until its first byte a stream can still fail with a proper HTTP
 * status. A client that disconnects cancels the request.
 */
import type { Context } from "hono"
import type { ConductorResult, RequestHandle } from "../../conductor.js"
import { type ConductorError, isConductorError } from "../../domain/errors.js"
import type { ToolCall } from "../../domain/events.js"
import { readJsonBody } from "../body.js"
import {
  cancelOnAbort,
  conductorSummary,
  decisionHeaders,
  decisionOf,
  eventsOf,
} from "../conductor-summary.js"
import type { ApiDeps } from "../deps.js"
import { type StreamEncoding, type StreamMode, startStream } from "../stream-policy.js"
import { translateChatRequest } from "./chat-request.js"
import { codeFor, fromConductorError, openaiError } from "./errors.js"
import { resolveModel } from "./models.js"

/** A stream sends its head by this long even before any output, then keeps the connection alive. */
const HEAD_AFTER_MS = 10_000
const KEEPALIVE_MS = 15_000
const FINGERPRINT = "conductor"

const toolCallsOf = (calls: ReadonlyArray<ToolCall>) =>
  calls.map((c, index) => ({
    index,
    id: c.id,
    type: "function" as const,
    function: { name: c.name, arguments: JSON.stringify(c.arguments) },
  }))

const usageOf = (r: ConductorResult) => ({
  prompt_tokens: r.usage.promptTokens,
  completion_tokens: r.usage.evalTokens,
  total_tokens: r.usage.promptTokens + r.usage.evalTokens,
})

const errorResponse = (c: Context, e: ConductorError): Response => {
  const { status, body, headers } = fromConductorError(e)
  for (const [k, v] of Object.entries(headers)) c.header(k, v)
  return c.json(body, status as 400)
}

export const chatCompletions =
  (deps: ApiDeps, maxRequestBytes: number) =>
  async (c: Context): Promise<Response> => {
    if (deps.draining()) return c.json(openaiError(503, "the server is shutting down", "draining"), 503)
    const body = await readJsonBody(c, maxRequestBytes)
    if (!body.ok) return c.json(openaiError(body.status, body.message, "invalid_request"), body.status)
    const translated = translateChatRequest(body.value, { get: (n) => c.req.header(n) })
    if (!translated.ok) return c.json(openaiError(400, translated.message, "invalid_request"), 400)
    const t = translated.value
    if (t.request.model !== undefined) {
      const m = resolveModel(deps.conductor, t.request.model)
      if (!m.ok) return c.json(m.body, m.status as 400)
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
    }
    let handle: RequestHandle
    try {
      handle = deps.conductor.submit(t.request)
    } catch (e) {
      if (isConductorError(e)) return errorResponse(c, e)
      throw e
    }
    const signal = c.req.raw.signal
    const unwatch = cancelOnAbort(handle, signal)
    c.header("x-conductor-request-id", handle.id)
    if (!t.stream) {
      try {
        const r = await handle.result
        c.header("x-conductor-model", r.model)
        c.header("x-conductor-tier", r.tier)
        c.header("x-conductor-reason", r.reason)
        return c.json({
          id: `chatcmpl-${handle.id}`,
          object: "chat.completion",
          created: Math.floor(Date.now() / 1000),
          model: r.model,
          system_fingerprint: FINGERPRINT,
          choices: [
            {
              index: 0,
              message: {
                role: "assistant",
                content: r.toolCalls.length > 0 && r.text === "" ? null : r.text,
                ...(r.toolCalls.length > 0 ? { tool_calls: toolCallsOf(r.toolCalls) } : {}),
                ...(r.thinking !== "" ? { reasoning: r.thinking } : {}),
              },
              logprobs: null,
              finish_reason: r.finishReason,
            },
          ],
          usage: usageOf(r),
          conductor: conductorSummary(handle.id, decisionOf(handle), eventsOf(handle), r),
        })
      } catch (e) {
        if (signal.aborted) return c.body(null, 499 as 400)
        if (isConductorError(e)) return errorResponse(c, e)
        throw e
      } finally {
        unwatch()
      }
    }
    return streamCompletion(c, handle, t.streamMode, t.includeUsage, unwatch)
  }

/** OpenAI's SSE encoding of an answer (`chat.completion.chunk`s, then `data: [DONE]`). */
const sseEncoding = (id: string, includeUsage: boolean): StreamEncoding => {
  const created = Math.floor(Date.now() / 1000)
  const event = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`
  const chunk = (
    model: string,
    delta: Record<string, unknown>,
    finish: string | null = null,
    extra: Record<string, unknown> = {},
  ) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    system_fingerprint: FINGERPRINT,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
    ...extra,
  })
  return {
    begin: (model) => event(chunk(model, { role: "assistant", content: "" })),
    piece: (model, p) =>
      [
        p.thinking !== undefined ? event(chunk(model, { reasoning: p.thinking })) : "",
        p.content !== undefined ? event(chunk(model, { content: p.content })) : "",
        p.toolCalls !== undefined ? event(chunk(model, { tool_calls: toolCallsOf(p.toolCalls) })) : "",
      ].join(""),
    end: (model, r, summary) => {
      const tail = includeUsage
        ? event(chunk(model, {}, r.finishReason)) +
          event({ ...chunk(model, {}, null), choices: [], usage: usageOf(r), conductor: summary })
        : event(chunk(model, {}, r.finishReason, { conductor: summary }))
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

/** The SSE answer; resolves once the head can be sent (first output, the end, or HEAD_AFTER_MS). */
const streamCompletion = async (
  c: Context,
  handle: RequestHandle,
  mode: StreamMode,
  includeUsage: boolean,
  done: () => void,
): Promise<Response> => {
  const started = await startStream(handle, sseEncoding(`chatcmpl-${handle.id}`, includeUsage), {
    mode,
    headAfterMs: HEAD_AFTER_MS,
    keepAliveMs: KEEPALIVE_MS,
    onEnd: done,
  })
  if (!started.ok)
    return started.error !== undefined ? errorResponse(c, started.error) : c.body(null, 499 as 400)
  return new Response(started.body, {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      ...decisionHeaders(handle.id, started.model, decisionOf(handle)),
    },
  })
}
