/**
 * `POST /api/embed` (`input`: a string or an array of them; `truncate`, `dimensions`) →
 * `{model, embeddings, total_duration, load_duration, prompt_eval_count}`, and the legacy `POST
 * /api/embeddings` (`prompt` → `{embedding}`), on an embedding model scheduled under the VRAM
 * budget like every request (`Conductor.embed`). `model` is a registry embedding model, or
 * `auto` for the default one. No input is a residency request, as for chat: a load, or with
 * `keep_alive: 0` an unload. A client that disconnects cancels the request.
 */
import type { Context } from "hono"
import type { EmbedResponse } from "../../conductor.js"
import { isConductorError } from "../../domain/errors.js"
import { readJsonBody } from "../body.js"
import type { ApiDeps } from "../deps.js"
import { lookupModel } from "../model-field.js"
import { fromConductorError, notFoundMessage, ollamaError } from "./errors.js"
import { parseKeepAlive } from "./keep-alive.js"

type Json = Record<string, unknown>

const ns = (ms: number): number => Math.round(ms * 1e6)

interface EmbedCall {
  /** Undefined: the default embedding model (`auto`). */
  readonly model: string | undefined
  readonly input: string | ReadonlyArray<string>
  readonly unload: boolean
}

/** Check the fields both endpoints share; `input` is already extracted. */
const check = (
  c: Context,
  deps: ApiDeps,
  b: Json,
  input: string | ReadonlyArray<string> | undefined,
  problems: string[],
): EmbedCall | Response => {
  if (typeof b.model !== "string" || b.model === "") {
    problems.push("model: required (an embedding model, or auto for the default one)")
  }
  let unload = false
  if (b.keep_alive !== undefined && b.keep_alive !== null) {
    const k = parseKeepAlive(b.keep_alive)
    if ("error" in k) problems.push(k.error)
    else unload = k.zero
  }
  if (problems.length > 0) return ollamaError(c, 400, problems.join("; "))
  const model = b.model === "auto" ? undefined : (b.model as string)
  if (model !== undefined) {
    const m = lookupModel(deps.conductor, model)
    if (!m.ok) return ollamaError(c, 404, notFoundMessage(model))
    if (m.info.kind !== "embedding")
      return ollamaError(c, 400, `"${m.info.name}" does not support embeddings`)
  }
  return { model, input: input ?? [], unload }
}

const isEmpty = (input: string | ReadonlyArray<string>): boolean =>
  typeof input === "string" ? input === "" : input.length === 0

/** Embed, or load/unload when there is nothing to embed; `answer` shapes the vectors. */
const run = async (
  c: Context,
  deps: ApiDeps,
  call: EmbedCall,
  extra: Json,
  answer: (r: EmbedResponse) => Json,
  empty: (model: string, conductor: Json) => Json,
): Promise<Response> => {
  const signal = c.req.raw.signal
  try {
    if (isEmpty(call.input)) {
      if (call.model === undefined) {
        return ollamaError(
          c,
          400,
          `model: ${call.unload ? "an unload" : "a load"} request (no input) must name an embedding model, not auto`,
        )
      }
      if (call.unload) {
        const r = deps.conductor.unload(call.model)
        return c.json(empty(r.model, { state: r.state }))
      }
      const r = await deps.conductor.load(call.model, { signal })
      return c.json(empty(r.model, { loadMs: Math.round(r.loadMs * 1000) / 1000 }))
    }
    const r = await deps.conductor.embed(
      {
        input: call.input as string | string[],
        ...(call.model !== undefined ? { model: call.model } : {}),
        ...extra,
      },
      { signal },
    )
    c.header("x-conductor-request-id", r.id)
    c.header("x-conductor-model", r.model)
    return c.json(answer(r))
  } catch (e) {
    if (signal.aborted) return c.body(null, 499 as 400)
    if (isConductorError(e)) return fromConductorError(c, e)
    throw e
  }
}

const body = async (c: Context, deps: ApiDeps): Promise<Json | Response> => {
  if (deps.draining()) return ollamaError(c, 503, "the server is shutting down")
  const read = await readJsonBody(c, deps.maxRequestBytes)
  if (!read.ok) return ollamaError(c, read.status, read.message)
  const b = read.value
  if (typeof b !== "object" || b === null || Array.isArray(b)) {
    return ollamaError(c, 400, "request: expected a JSON object")
  }
  return b as Json
}

export const embed = (deps: ApiDeps) => async (c: Context) => {
  const b = await body(c, deps)
  if (b instanceof Response) return b
  const problems: string[] = []
  const input = b.input
  const texts =
    input === undefined || input === null
      ? undefined
      : typeof input === "string" || (Array.isArray(input) && input.every((s) => typeof s === "string"))
        ? (input as string | string[])
        : undefined
  if (input !== undefined && input !== null && texts === undefined) {
    problems.push("input: expected a string or an array of strings")
  }
  const extra: Json = {}
  if (b.truncate !== undefined && b.truncate !== null) {
    if (typeof b.truncate !== "boolean") problems.push("truncate: expected a boolean")
    else extra.truncate = b.truncate
  }
  if (b.dimensions !== undefined && b.dimensions !== null && b.dimensions !== 0) {
    if (!Number.isInteger(b.dimensions) || (b.dimensions as number) < 1)
      problems.push("dimensions: expected an integer ≥ 1")
    else extra.dimensions = b.dimensions
  }
  const call = check(c, deps, b, texts, problems)
  if (call instanceof Response) return call
  return run(
    c,
    deps,
    call,
    extra,
    (r) => ({
      model: r.model,
      embeddings: r.embeddings,
      total_duration: ns(r.timings.totalMs),
      load_duration: ns(r.timings.loadMs),
      prompt_eval_count: r.usage.promptTokens,
    }),
    (model, conductor) => ({ model, embeddings: [], conductor }),
  )
}

/** The legacy endpoint: one text, one vector. */
export const embeddings = (deps: ApiDeps) => async (c: Context) => {
  const b = await body(c, deps)
  if (b instanceof Response) return b
  const problems: string[] = []
  if (b.prompt !== undefined && b.prompt !== null && typeof b.prompt !== "string") {
    problems.push("prompt: expected a string")
  }
  const call = check(c, deps, b, typeof b.prompt === "string" ? b.prompt : undefined, problems)
  if (call instanceof Response) return call
  return run(
    c,
    deps,
    call,
    {},
    (r) => ({ embedding: r.embeddings[0] ?? [] }),
    (_model, conductor) => ({ embedding: [], conductor }),
  )
}
