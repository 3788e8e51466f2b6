/**
 * Ollama's OpenAI-compatible endpoints (`/v1/chat/completions`, `/v1/completions`,
 * `/v1/embeddings`, `/v1/models`, `/v1/models/{model}`) as Ollama serves them: a translation
 * layer like its middleware (middleware/openai.go, openai/openai.go) — the OpenAI request becomes
 * the engine's Ollama request (`openai-requests.ts`), and the engine's Ollama answer is rewritten
 * in OpenAI's shapes, quirks included: ids `chatcmpl-N` / `cmpl-N` with N < 999, `system_fingerprint:
 * "fp_ollama"`, the finish reason on its own empty-delta chunk, a mid-stream failure as an empty
 * chunk ending the stream without `[DONE]`, errors as `{"error": {message, type, param, code}}`
 * with Ollama's status codes.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import type { WireChatChunk, WireGenerateChunk, WireToolCall } from "../ollama/wire.js"
import { collectChat, collectGenerate } from "./answers.js"
import { float32Base64, vectorJson } from "./embeddings.js"
import type { SimEngine, SimResponse } from "./engine.js"
import { failureOf, parseObject, sendJsonText } from "./http-io.js"
import { parseModelName } from "./model-name.js"
import { toChatRequest, toCompletionRequest, toEmbedRequest } from "./openai-requests.js"
import type { Route } from "./route.js"
import { seededRandom } from "./text/random.js"

type Json = Record<string, unknown>

/** openai.NewError: the type follows the status. */
const errorBody = (status: number, message: string) => ({
  error: {
    message,
    type: status === 400 ? "invalid_request_error" : status === 404 ? "not_found_error" : "api_error",
    param: null,
    code: null,
  },
})

const send = (res: ServerResponse, status: number, body: unknown): void => {
  // Go's json.Encoder ends the body with a newline.
  sendJsonText(res, status, `${JSON.stringify(body)}\n`)
}

const sendFailure = (res: ServerResponse, e: unknown): void => {
  const { status, message } = failureOf(e)
  send(res, status, errorBody(status, message))
}

const unix = (iso: string | undefined): number => {
  const t = iso === undefined ? Number.NaN : Date.parse(iso)
  return Math.floor((Number.isNaN(t) ? Date.now() : t) / 1000)
}

/** Per-server ids as Ollama draws them (`rand.Intn(999)`), from a seeded PRNG. */
const idsFor = new WeakMap<SimEngine, () => number>()
const nextId = (engine: SimEngine, prefix: string): string => {
  let rng = idsFor.get(engine)
  if (rng === undefined) {
    rng = seededRandom(`${engine.seed}|openai-ids`)
    idsFor.set(engine, rng)
  }
  return `${prefix}-${Math.floor(rng() * 999)}`
}

const toolCallsOf = (calls: ReadonlyArray<WireToolCall> | undefined) =>
  (calls ?? []).map((c) => ({
    id: c.id ?? "",
    index: c.function.index ?? 0,
    type: "function",
    function: { name: c.function.name, arguments: JSON.stringify(c.function.arguments) },
  }))

const usageOf = (p: { prompt_eval_count?: number; eval_count?: number }) => ({
  prompt_tokens: p.prompt_eval_count ?? 0,
  completion_tokens: p.eval_count ?? 0,
  total_tokens: (p.prompt_eval_count ?? 0) + (p.eval_count ?? 0),
})

/** Open an SSE answer and return a writer that waits when the client reads slowly. */
const sse = (res: ServerResponse) => {
  res.writeHead(200, { "Content-Type": "text/event-stream", "Transfer-Encoding": "chunked" })
  return async (data: unknown): Promise<void> => {
    const line = typeof data === "string" ? `data: ${data}\n\n` : `data: ${JSON.stringify(data)}\n\n`
    if (!res.write(line)) await new Promise((resolve) => res.once("drain", resolve))
  }
}

/** Run `call` with a signal aborted when the client disconnects; the response is cancelled then. */
const withAbort = async <R extends SimResponse>(
  res: ServerResponse,
  call: (signal: AbortSignal) => Promise<R>,
): Promise<R | undefined> => {
  const controller = new AbortController()
  let response: R | undefined
  res.on("close", () => {
    if (res.writableFinished) return
    controller.abort()
    if (response?.kind === "stream") void response.cancel()
  })
  response = await call(controller.signal)
  if (controller.signal.aborted) {
    if (response.kind === "stream") await response.cancel()
    return undefined
  }
  return response
}

/** The parts of a response in order; a failure after the first is returned as `failed`. */
async function* partsOf<P extends WireChatChunk | WireGenerateChunk>(
  r: SimResponse<P>,
): AsyncGenerator<{ part: P; failed: false } | { part: undefined; failed: true }> {
  if (r.kind === "single") {
    yield { part: r.body, failed: false }
    return
  }
  yield { part: r.first, failed: false }
  try {
    for (let x = await r.rest.next(); x.done !== true; x = await r.rest.next())
      yield { part: x.value, failed: false }
  } catch {
    yield { part: undefined, failed: true }
  }
}

// ---------------------------------------------------------------- /v1/chat/completions

const chatChunk = (
  id: string,
  created: number,
  model: string,
  delta: Json,
  finish: string | null = null,
) => ({
  id,
  object: "chat.completion.chunk",
  created,
  model,
  system_fingerprint: "fp_ollama",
  choices: [{ index: 0, delta, finish_reason: finish }],
})

/** openai.ToStreamChunks: one chunk per part, reasoning split from content when a part has both. */
const deltasOf = (m: WireChatChunk["message"], role: boolean): Json[] => {
  const calls = m.tool_calls !== undefined && m.tool_calls.length > 0 ? toolCallsOf(m.tool_calls) : undefined
  const thinking = m.thinking ?? ""
  const whole = (withRole: boolean): Json => ({
    ...(withRole ? { role: "assistant" } : {}),
    content: m.content,
    ...(thinking !== "" ? { reasoning: thinking } : {}),
    ...(calls !== undefined ? { tool_calls: calls } : {}),
  })
  if (thinking === "" || (m.content === "" && calls === undefined)) return [whole(role)]
  return [
    { ...(role ? { role: "assistant" } : {}), reasoning: thinking },
    { content: m.content, ...(calls !== undefined ? { tool_calls: calls } : {}) },
  ]
}

const chatCompletions = async (engine: SimEngine, req: IncomingMessage, res: ServerResponse) => {
  const body = await parseObject(req, "openai.ChatCompletionRequest", true)
  const ollama = toChatRequest(body)
  const stream = body.stream === true
  const includeUsage = stream && isUsageAsked(body.stream_options)
  const id = nextId(engine, "chatcmpl")
  const response = await withAbort(res, (signal) => engine.chat(ollama, signal))
  if (response === undefined) return
  if (!stream) {
    const r = await collectChat(response)
    const calls =
      r.message.tool_calls !== undefined && r.message.tool_calls.length > 0 ? r.message.tool_calls : undefined
    const reason = r.done_reason === "stop" && calls !== undefined ? "tool_calls" : r.done_reason || null
    send(res, 200, {
      id,
      object: "chat.completion",
      created: unix(r.created_at),
      model: r.model,
      system_fingerprint: "fp_ollama",
      choices: [
        {
          index: 0,
          message: {
            role: r.message.role,
            content: r.message.content,
            ...(r.message.thinking !== undefined && r.message.thinking !== ""
              ? { reasoning: r.message.thinking }
              : {}),
            ...(calls !== undefined ? { tool_calls: toolCallsOf(calls) } : {}),
          },
          finish_reason: reason,
        },
      ],
      usage: usageOf(r),
    })
    return
  }
  const write = sse(res)
  let created: number | undefined
  let firstSent = false
  let toolCallSent = false
  for await (const { part, failed } of partsOf(response)) {
    if (res.destroyed) return
    // A failure mid-stream reaches Ollama's writer as an `{"error"}` line it decodes into an
    // empty ChatResponse: one empty chunk (no model), and the stream ends without [DONE].
    const m = failed ? { role: "", content: "" } : part.message
    const model = failed ? "" : part.model
    created ??= unix(failed ? undefined : part.created_at)
    const trailer =
      !failed &&
      part.done &&
      firstSent &&
      m.content === "" &&
      (m.thinking ?? "") === "" &&
      (m.tool_calls ?? []).length === 0
    if (!trailer) {
      for (const delta of deltasOf(m, !firstSent)) {
        if (delta.tool_calls !== undefined) toolCallSent = true
        await write(chatChunk(id, created, model, delta))
      }
      firstSent = true
    }
    if (failed) break
    if (part.done) {
      const reason = (part.done_reason ?? "") === "" ? "stop" : (part.done_reason as string)
      await write(
        chatChunk(id, created, model, {}, reason === "stop" && toolCallSent ? "tool_calls" : reason),
      )
      if (includeUsage) {
        await write({ ...chatChunk(id, created, model, {}), choices: [], usage: usageOf(part) })
      }
      await write("[DONE]")
    }
  }
  res.end()
}

/** `stream_options.include_usage` (ignored unless streaming, as Ollama ignores it). */
const isUsageAsked = (o: unknown): boolean =>
  typeof o === "object" && o !== null && (o as Json).include_usage === true

// ---------------------------------------------------------------- /v1/completions

const completionChunk = (
  id: string,
  created: number,
  model: string,
  text: string,
  finish: string | null,
) => ({
  id,
  object: "text_completion",
  created,
  choices: [{ text, index: 0, finish_reason: finish }],
  model,
  system_fingerprint: "fp_ollama",
})

const completions = async (engine: SimEngine, req: IncomingMessage, res: ServerResponse) => {
  const body = await parseObject(req, "openai.CompletionRequest", true)
  const ollama = toCompletionRequest(body)
  const stream = body.stream === true
  const includeUsage = stream && isUsageAsked(body.stream_options)
  const id = nextId(engine, "cmpl")
  const response = await withAbort(res, (signal) => engine.generate(ollama, signal))
  if (response === undefined) return
  if (!stream) {
    const r = await collectGenerate(response)
    send(res, 200, {
      id,
      object: "text_completion",
      created: unix(r.created_at),
      model: r.model,
      system_fingerprint: "fp_ollama",
      choices: [{ text: r.response ?? "", index: 0, finish_reason: r.done_reason || null }],
      usage: usageOf(r),
    })
    return
  }
  const write = sse(res)
  for await (const { part, failed } of partsOf(response)) {
    if (res.destroyed) return
    // Every part is a chunk (thinking parts too, with empty text); each carries zero usage when
    // usage was asked for (CompleteWriter), the real usage follows on its own chunk.
    const chunk = completionChunk(
      id,
      Math.floor(Date.now() / 1000),
      failed ? "" : part.model,
      failed ? "" : (part.response ?? ""),
      failed || (part.done_reason ?? "") === "" ? null : (part.done_reason as string),
    )
    await write(
      includeUsage ? { ...chunk, usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } } : chunk,
    )
    if (failed) break
    if (part.done) {
      if (includeUsage) await write({ ...chunk, choices: [], usage: usageOf(part) })
      await write("[DONE]")
    }
  }
  res.end()
}

// ---------------------------------------------------------------- /v1/embeddings, /v1/models

const embeddings = async (engine: SimEngine, req: IncomingMessage, res: ServerResponse) => {
  const body = await parseObject(req, "openai.EmbedRequest", true)
  const { request, base64 } = toEmbedRequest(body)
  const controller = new AbortController()
  res.on("close", () => {
    if (!res.writableFinished) controller.abort()
  })
  const r = await engine.embed(request, controller.signal)
  if (controller.signal.aborted) return
  const data = r.embeddings
    .map(
      (v, i) =>
        `{"object":"embedding","embedding":${base64 ? JSON.stringify(float32Base64(v)) : vectorJson(v)},"index":${i}}`,
    )
    .join(",")
  const tokens = String(r.prompt_eval_count)
  sendJsonText(
    res,
    200,
    `{"object":"list","data":[${data}],"model":${JSON.stringify(r.model)},"usage":{"prompt_tokens":${tokens},"total_tokens":${tokens}}}\n`,
  )
}

const models = (engine: SimEngine, _req: IncomingMessage, res: ServerResponse) => {
  const list = engine.list()
  send(res, 200, {
    object: "list",
    data: list.models.map((m) => ({
      id: m.model,
      object: "model",
      created: unix(m.modified_at),
      owned_by: parseModelName(m.model).namespace,
    })),
  })
}

const model = (engine: SimEngine, _req: IncomingMessage, res: ServerResponse, name: string) => {
  const r = engine.show(name)
  send(res, 200, {
    id: name,
    object: "model",
    created: unix(r.modified_at),
    owned_by: parseModelName(name).namespace,
  })
}

/** Every failure of a /v1 handler is answered in OpenAI's error shape. */
const openai =
  (
    run: (
      engine: SimEngine,
      req: IncomingMessage,
      res: ServerResponse,
      params: Readonly<Record<string, string>>,
    ) => unknown,
  ) =>
  async (
    engine: SimEngine,
    req: IncomingMessage,
    res: ServerResponse,
    params: Readonly<Record<string, string>>,
  ) => {
    try {
      await run(engine, req, res, params)
    } catch (e) {
      if (res.destroyed) return
      if (res.headersSent) res.end()
      else sendFailure(res, e)
    }
  }

export const openaiRoutes: ReadonlyArray<Route> = [
  { method: "POST", path: "/v1/chat/completions", handler: openai(chatCompletions) },
  { method: "POST", path: "/v1/completions", handler: openai(completions) },
  { method: "POST", path: "/v1/embeddings", handler: openai(embeddings) },
  { method: "GET", path: "/v1/models", handler: openai(models) },
  {
    method: "GET",
    path: "/v1/models/:model",
    handler: openai((e, q, s, p) => model(e, q, s, p.model ?? "")),
  },
]
