/**
 * What `/api/chat` and `/api/generate` share: read and translate the body, answer a residency
 * request (an empty one: load or unload through Conductor's scheduler, never forwarded), check
 * a named model, submit, and answer in the endpoint's shape — one object (`stream: false`), or
 * NDJSON chunks under the shared streaming policy (`../stream-policy.ts`). The decision goes in
 * headers and, in the final object, a `conductor` summary. A client that disconnects or aborts
 * cancels its request: generation stops and the lease returns.
 */
import type { Context } from "hono"
import type { RequestHandle } from "../../conductor.js"
import { isConductorError } from "../../domain/errors.js"
import { readJsonBody } from "../body.js"
import { conductorSummary, decisionHeaders, decisionOf, eventsOf, watchClient } from "../conductor-summary.js"
import type { ApiDeps } from "../deps.js"
import { lookupModel } from "../model-field.js"
import { startStream } from "../stream-policy.js"
import { fromConductorError, notFoundMessage, ollamaError } from "./errors.js"
import { NDJSON, ndjsonEncoding } from "./ndjson.js"
import type { AnswerShape } from "./responses.js"
import type { OllamaCall, Translated } from "./translate.js"

/** A stream sends its head by this long even before any output, then keeps the connection alive. */
const HEAD_AFTER_MS = 10_000
const KEEPALIVE_MS = 15_000

export interface Endpoint {
  /** `chat` or `generate`: Ollama's word in "does not support …". */
  readonly name: "chat" | "generate"
  readonly translate: (body: unknown, headers: { get(name: string): string | undefined }) => Translated
  readonly shapeFor: (call: Extract<OllamaCall, { kind: "answer" }>) => AnswerShape
  /** The load/unload answer (no request to shape). */
  readonly residencyShape: AnswerShape
}

export const answerRoute =
  (deps: ApiDeps, endpoint: Endpoint) =>
  async (c: Context): Promise<Response> => {
    if (deps.draining()) return ollamaError(c, 503, "the server is shutting down")
    const body = await readJsonBody(c, deps.maxRequestBytes)
    if (!body.ok) return ollamaError(c, body.status, body.message)
    const translated = endpoint.translate(body.value, { get: (n) => c.req.header(n) })
    if (!translated.ok) return ollamaError(c, 400, translated.message)
    const call = translated.value
    if (call.kind === "route") {
      return c.json(
        endpoint.residencyShape.residency(call.model, "load", {
          loaded: null,
          note: `${call.model} routes each query to a model: nothing to load`,
        }),
      )
    }
    const named = call.kind === "answer" ? call.request.model : call.model
    if (named !== undefined) {
      const m = lookupModel(deps.conductor, named)
      if (!m.ok) return ollamaError(c, 404, notFoundMessage(named))
      if (m.info.kind !== "chat" && call.kind !== "unload") {
        return ollamaError(c, 400, `"${m.info.name}" does not support ${endpoint.name}`)
      }
    }
    if (call.kind !== "answer") return residency(c, deps, call, endpoint.residencyShape)

    let handle: RequestHandle
    try {
      handle = deps.conductor.submit(call.request)
    } catch (e) {
      if (isConductorError(e)) return fromConductorError(c, e)
      throw e
    }
    const client = watchClient(c, handle)
    const unwatch = client.unwatch
    const shape = endpoint.shapeFor(call)
    if (!call.stream) {
      try {
        const r = await handle.result
        const summary = conductorSummary(handle.id, decisionOf(handle), eventsOf(handle), r)
        for (const [k, v] of Object.entries(decisionHeaders(handle.id, r.model, r))) c.header(k, v)
        return c.json(shape.final(r.model, r, summary, true))
      } catch (e) {
        if (client.gone()) return c.body(null, 499 as 400)
        if (isConductorError(e)) return fromConductorError(c, e)
        throw e
      } finally {
        unwatch()
      }
    }
    const started = await startStream(handle, ndjsonEncoding(shape), {
      mode: call.streamMode,
      headAfterMs: HEAD_AFTER_MS,
      keepAliveMs: KEEPALIVE_MS,
      onEnd: unwatch,
    })
    if (!started.ok) {
      return started.error !== undefined ? fromConductorError(c, started.error) : c.body(null, 499 as 400)
    }
    return new Response(started.body, {
      status: 200,
      headers: {
        "content-type": NDJSON,
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
        ...decisionHeaders(handle.id, started.model, decisionOf(handle)),
      },
    })
  }

/** Load (queued and loaded under the VRAM budget like any request) or unload (now, or once idle). */
const residency = async (
  c: Context,
  deps: ApiDeps,
  call: Extract<OllamaCall, { kind: "load" | "unload" }>,
  shape: AnswerShape,
): Promise<Response> => {
  try {
    if (call.kind === "unload") {
      const r = deps.conductor.unload(call.model)
      c.header("x-conductor-model", r.model)
      return c.json(shape.residency(r.model, "unload", { state: r.state }))
    }
    const r = await deps.conductor.load(call.model, { signal: c.req.raw.signal })
    c.header("x-conductor-model", r.model)
    return c.json(shape.residency(r.model, "load", { loadMs: Math.round(r.loadMs * 1000) / 1000 }))
  } catch (e) {
    if (c.req.raw.signal.aborted) return c.body(null, 499 as 400)
    if (isConductorError(e)) return fromConductorError(c, e)
    throw e
  }
}
