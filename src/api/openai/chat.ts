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
import type { RoutingDecision } from "../../domain/decision.js"
import { type ConductorError, isConductorError } from "../../domain/errors.js"
import type { ConductorEvent, ToolCall } from "../../domain/events.js"
import { readJsonBody } from "../body.js"
import type { ApiDeps } from "../deps.js"
import { type StreamMode, translateChatRequest } from "./chat-request.js"
import { codeFor, fromConductorError, openaiError } from "./errors.js"
import { resolveModel } from "./models.js"

/** A stream sends its head by this long even before any output, then keeps the connection alive. */
const HEAD_AFTER_MS = 10_000
const KEEPALIVE_MS = 15_000
const FINGERPRINT = "conductor"

/** The `conductor` object: why this model, what was tried, what to check. */
const conductorObject = (
  id: string,
  decision: RoutingDecision | undefined,
  events: ReadonlyArray<ConductorEvent>,
  result?: ConductorResult,
) => ({
  requestId: id,
  ...(decision !== undefined
    ? {
        routed: {
          model: decision.model,
          tier: decision.tier,
          taskType: decision.taskType,
          complexity: decision.complexity,
          confidence: decision.confidence,
          reason: decision.reason,
          chain: [decision.model, ...decision.fallbacks],
        },
      }
    : {}),
  fallbacks: events.flatMap((e) =>
    e.type === "fallback" ? [{ from: e.from, to: e.to, reason: e.reason }] : [],
  ),
  ...(result !== undefined
    ? {
        model: result.model,
        attempts: result.attempts,
        labels: result.labels,
        warnings: result.warnings,
        timings: result.timings,
      }
    : {}),
})

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
    const onAbort = () => handle.cancel()
    signal.addEventListener("abort", onAbort, { once: true })
    const decision = (): RoutingDecision | undefined => {
      let d: RoutingDecision | undefined
      handle.observe((e) => {
        if (e.type === "routed") d = e.decision
      })()
      return d
    }
    c.header("x-conductor-request-id", handle.id)
    if (!t.stream) {
      try {
        const r = await handle.result
        c.header("x-conductor-model", r.model)
        c.header("x-conductor-tier", r.tier)
        c.header("x-conductor-reason", r.reason)
        const events: ConductorEvent[] = []
        handle.observe((e) => events.push(e))()
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
          conductor: conductorObject(handle.id, decision(), events, r),
        })
      } catch (e) {
        if (signal.aborted) return c.body(null, 499 as 400)
        if (isConductorError(e)) return errorResponse(c, e)
        throw e
      } finally {
        signal.removeEventListener("abort", onAbort)
      }
    }
    return streamCompletion(c, handle, t.streamMode, t.includeUsage, decision, () =>
      signal.removeEventListener("abort", onAbort),
    )
  }

/** The SSE answer; resolves once the head can be sent (first output, the end, or HEAD_AFTER_MS). */
const streamCompletion = async (
  c: Context,
  handle: RequestHandle,
  mode: StreamMode,
  includeUsage: boolean,
  decision: () => RoutingDecision | undefined,
  done: () => void,
): Promise<Response> => {
  const encoder = new TextEncoder()
  const created = Math.floor(Date.now() / 1000)
  const id = `chatcmpl-${handle.id}`
  let model = decision()?.model ?? "auto"
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let closed = false
  // Invariant: `written` is true once a content, reasoning or role chunk left; after that a
  // discarded answer can only end the stream with an error.
  let written = false
  let text = ""
  let thinking = ""
  const events: ConductorEvent[] = []
  let keepalive: ReturnType<typeof setInterval> | undefined
  /** The SSE head has been returned: from then on a failure travels in the stream. */
  let responded = false
  let headNow!: () => void
  const head = new Promise<void>((resolve) => {
    headNow = resolve
  })
  const headTimer = setTimeout(() => headNow(), HEAD_AFTER_MS)
  let failedEarly: ConductorError | undefined

  const send = (data: unknown) => {
    if (closed) return
    controller.enqueue(encoder.encode(`data: ${JSON.stringify(data)}\n\n`))
  }
  const chunk = (
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
  const begin = () => {
    if (written) return
    written = true
    headNow()
    send(chunk({ role: "assistant", content: "" }))
  }
  const finish = () => {
    if (closed) return
    closed = true
    clearTimeout(headTimer)
    if (keepalive !== undefined) clearInterval(keepalive)
    unobserve()
    done()
    try {
      controller.close()
    } catch {
      // The client went away first.
    }
  }
  const fail = (message: string, code: string) => {
    send({ error: { message, type: "server_error", param: null, code } })
    finish()
  }

  const body = new ReadableStream<Uint8Array>({
    start(ctl) {
      controller = ctl
    },
    cancel() {
      handle.cancel()
      finish()
    },
  })

  const unobserve = handle.observe((e) => {
    events.push(e)
    switch (e.type) {
      case "started":
        model = e.model
        return
      case "token":
        if (mode === "buffered") {
          text += e.text
          return
        }
        begin()
        send(chunk({ content: e.text }))
        return
      case "thinking":
        if (mode === "buffered") {
          thinking += e.text
          return
        }
        begin()
        send(chunk({ reasoning: e.text }))
        return
      case "restart":
        if (mode === "buffered" || !written) {
          text = ""
          thinking = ""
          return
        }
        // Streamed text cannot be taken back: this answer ends here, as an error.
        handle.cancel()
        fail(
          `the answer from ${model} failed validation after it was streamed; ${e.model} would answer afresh, but streamed text cannot be taken back (use x-conductor-stream: buffered to have failover hidden)`,
          "stream_restart",
        )
        return
      case "completed": {
        model = e.model
        headNow()
        begin()
        if (thinking !== "") send(chunk({ reasoning: thinking }))
        if (text !== "") send(chunk({ content: text }))
        if (e.toolCalls !== undefined && e.toolCalls.length > 0)
          send(chunk({ tool_calls: toolCallsOf(e.toolCalls) }))
        void handle.result.then((r) => {
          const summary = { conductor: conductorObject(handle.id, decision(), events, r) }
          if (includeUsage) {
            send(chunk({}, r.finishReason))
            send({ ...chunk({}, null), choices: [], usage: usageOf(r), ...summary })
          } else send(chunk({}, r.finishReason, summary))
          if (!closed) controller.enqueue(encoder.encode("data: [DONE]\n\n"))
          finish()
        })
        return
      }
      case "failed":
      case "cancelled": {
        if (responded) {
          fail(
            e.type === "failed" ? e.message : "the request was cancelled",
            e.type === "failed" ? codeFor(e.reason) : "cancelled",
          )
          return
        }
        // Nothing sent yet: the client gets a proper HTTP error instead of a stream.
        void handle.result.catch((err: unknown) => {
          failedEarly = isConductorError(err) ? err : undefined
          closed = true
          headNow()
        })
        return
      }
      default:
        return
    }
  })

  await head
  clearTimeout(headTimer)
  if (closed && !written) {
    unobserve()
    done()
    return failedEarly !== undefined ? errorResponse(c, failedEarly) : c.body(null, 499 as 400)
  }
  responded = true
  keepalive = setInterval(() => {
    if (!closed) controller.enqueue(encoder.encode(": keep-alive\n\n"))
  }, KEEPALIVE_MS)
  const d = decision()
  return new Response(body, {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      "x-conductor-request-id": handle.id,
      "x-conductor-model": model,
      ...(d !== undefined ? { "x-conductor-tier": d.tier, "x-conductor-reason": d.reason } : {}),
    },
  })
}
