/**
 * Ollama's `/api/chat` and `/api/generate` bodies → what Conductor does with them (pure). An
 * empty request (no messages; an empty prompt) is a residency request, as in Ollama: `keep_alive`
 * 0 unloads the model, anything else loads it (an alias has nothing to load: a no-op). Any other
 * request is a Conductor request: `model` is `auto`, `auto:<tier>` or a registry model; messages
 * map role for role (`tool_name` → `name`, tool calls with object arguments), options map to
 * Conductor's (`num_predict`, `temperature`, `top_p`, `seed`, `stop`; `num_ctx` and the sampler
 * knobs Conductor does not vary are ignored), `format` is "json" or a JSON Schema, `think` a
 * boolean or a level, `stream` defaults to true, and a normal request's `keep_alive` is checked
 * but ignored (Conductor owns residency). Fields Conductor cannot honour (`suffix`, `raw`,
 * `template`, `logprobs`) are refused, naming the field. Generate's `context` is Conductor's own
 * encoding of the conversation so far (`context.ts`), so sending it back continues it.
 */
import type { ConductorRequest } from "../../conductor.js"
import { applyKnobs } from "../knobs.js"
import { parseModelField } from "../model-field.js"
import { fallbackModeFor, type StreamMode, streamModeFor } from "../stream-policy.js"
import { decodeContext, type Turn } from "./context.js"
import { parseKeepAlive } from "./keep-alive.js"

export type OllamaCall =
  | {
      readonly kind: "answer"
      readonly request: ConductorRequest
      readonly stream: boolean
      readonly streamMode: StreamMode
      /** Generate only: the conversation before this prompt (decoded from `context`) and the prompt. */
      readonly turns?: { readonly history: ReadonlyArray<Turn>; readonly prompt: string }
    }
  | { readonly kind: "load" | "unload"; readonly model: string }
  /** A load request for an alias: nothing to load. */
  | { readonly kind: "route"; readonly model: string }

export type Translated =
  | { readonly ok: true; readonly value: OllamaCall }
  | { readonly ok: false; readonly message: string }

interface Headers {
  get(name: string): string | undefined
}

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)
const kind = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v)

// ---------------------------------------------------------------- shared fields

/** Ollama's options → Conductor's; the ones Conductor does not vary per request are ignored. */
const translateOptions = (v: unknown, problems: string[]): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  if (v === undefined || v === null) return out
  if (!isObject(v)) {
    problems.push(`options: expected an object, got ${kind(v)}`)
    return out
  }
  const n = v.num_predict
  if (n !== undefined && n !== null) {
    if (!Number.isInteger(n)) problems.push("options.num_predict: expected an integer")
    // -1 (no limit) and -2 (fill the context) leave the length to the model.
    else if ((n as number) > 0) out.numPredict = n
  }
  const t = v.temperature
  if (t !== undefined && t !== null) {
    if (typeof t !== "number" || !(t >= 0 && t <= 2))
      problems.push("options.temperature: expected a number from 0 to 2")
    else out.temperature = t
  }
  const p = v.top_p
  if (p !== undefined && p !== null) {
    if (typeof p !== "number" || !(p > 0 && p <= 1))
      problems.push("options.top_p: expected a number above 0 and at most 1")
    else out.topP = p
  }
  const seed = v.seed
  if (seed !== undefined && seed !== null) {
    if (!Number.isSafeInteger(seed)) problems.push("options.seed: expected an integer")
    // -1 is Ollama's "random".
    else if (seed !== -1) out.seed = seed
  }
  const stop = v.stop
  if (stop !== undefined && stop !== null) {
    const list = typeof stop === "string" ? [stop] : stop
    if (!Array.isArray(list) || !list.every((s) => typeof s === "string" && s !== "") || list.length > 16) {
      problems.push("options.stop: expected a string or an array of up to 16 non-empty strings")
    } else if (list.length > 0) out.stop = list
  }
  return out
}

/** The fields chat and generate share: model, format, think, stream, options, keep_alive, refusals. */
const common = (
  body: Json,
  headers: Headers,
  req: Record<string, unknown>,
  problems: string[],
): { stream: boolean; mode: StreamMode | undefined; model: string | undefined; unload: boolean } => {
  let model: string | undefined
  if (typeof body.model !== "string" || body.model === "") {
    problems.push("model: required (auto, auto:fast, auto:balanced, auto:quality or a model name)")
  } else {
    model = body.model
    const m = parseModelField(body.model)
    if ("error" in m) problems.push(m.error)
    else Object.assign(req, m)
  }
  const f = body.format
  if (f !== undefined && f !== null && f !== "") {
    if (f === "json") req.format = "json"
    else if (isObject(f)) req.format = f
    else problems.push(`format: expected "json" or a JSON Schema object, got ${JSON.stringify(f)}`)
  }
  const think = body.think
  if (think !== undefined && think !== null) {
    if (typeof think === "boolean") req.think = think
    else if (think === "high" || think === "medium" || think === "low") req.think = true
    else problems.push(`think: expected true, false, "high", "medium" or "low", got ${JSON.stringify(think)}`)
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== "boolean") {
    problems.push("stream: expected a boolean")
  }
  const stream = body.stream !== false
  const options = translateOptions(body.options, problems)
  if (Object.keys(options).length > 0) req.options = options
  let unload = false
  if (body.keep_alive !== undefined && body.keep_alive !== null) {
    const k = parseKeepAlive(body.keep_alive)
    if ("error" in k) problems.push(k.error)
    else unload = k.zero
  }
  if (body.logprobs === true) problems.push("logprobs: not supported")
  const mode = applyKnobs(body, headers, req, problems)
  return { stream, mode, model, unload }
}

/**
 * An empty request: load, or unload with keep_alive 0. An alias (`auto`, `auto:<tier>`) has
 * nothing to load — routing picks a model per query — so its load is a no-op (`ollama run auto`
 * sends one before its first prompt); unloading an alias names no model and is refused.
 */
const residency = (
  model: string | undefined,
  unload: boolean,
  empty: string,
  problems: string[],
): Translated => {
  if (problems.length > 0) return { ok: false, message: problems.join("; ") }
  const m = parseModelField(model as string)
  if ("error" in m) return { ok: false, message: m.error }
  if (m.model !== undefined) return { ok: true, value: { kind: unload ? "unload" : "load", model: m.model } }
  if (!unload) return { ok: true, value: { kind: "route", model: model as string } }
  return {
    ok: false,
    message: `model: an unload request (${empty}, keep_alive 0) must name a model; ${model} routes each query (GET /api/ps lists the loaded ones)`,
  }
}

const answer = (
  req: Record<string, unknown>,
  stream: boolean,
  mode: StreamMode | undefined,
  problems: string[],
  turns?: { readonly history: ReadonlyArray<Turn>; readonly prompt: string },
): Translated => {
  if (problems.length > 0) return { ok: false, message: problems.join("; ") }
  const streamMode = streamModeFor(req, mode)
  // Live streamed text cannot be taken back: a cut answer is continued by the next model; a held
  // (validated) answer is answered afresh (see fallbackModeFor).
  if (req.fallbackMode === undefined) {
    const fallbackMode = fallbackModeFor(stream, streamMode)
    if (fallbackMode !== undefined) req.fallbackMode = fallbackMode
  }
  return {
    ok: true,
    value: {
      kind: "answer",
      request: req as ConductorRequest,
      stream,
      streamMode,
      ...(turns !== undefined ? { turns } : {}),
    },
  }
}

// ---------------------------------------------------------------- chat

export const translateChat = (body: unknown, headers: Headers): Translated => {
  if (!isObject(body)) return { ok: false, message: `request: expected a JSON object, got ${kind(body)}` }
  const problems: string[] = []
  const req: Record<string, unknown> = {}
  const { stream, mode, model, unload } = common(body, headers, req, problems)
  const messages = body.messages
  if (messages === undefined || messages === null || (Array.isArray(messages) && messages.length === 0)) {
    return residency(model, unload, "no messages", problems)
  }
  if (!Array.isArray(messages)) {
    problems.push(`messages: expected an array of messages, got ${kind(messages)}`)
  } else {
    req.messages = messages.map((m, i) => translateMessage(m, `messages[${i}]`, problems))
  }
  if (body.tools !== undefined && body.tools !== null) {
    if (!Array.isArray(body.tools)) problems.push(`tools: expected an array, got ${kind(body.tools)}`)
    else if (body.tools.length > 0) req.tools = body.tools
  }
  return answer(req, stream, mode, problems)
}

const translateMessage = (m: unknown, at: string, problems: string[]): unknown => {
  if (!isObject(m)) {
    problems.push(`${at}: expected a message object, got ${kind(m)}`)
    return {}
  }
  const role = typeof m.role === "string" ? m.role.toLowerCase() : m.role
  if (role !== "system" && role !== "user" && role !== "assistant" && role !== "tool") {
    problems.push(`${at}.role: expected system, user, assistant or tool, got ${JSON.stringify(m.role)}`)
    return {}
  }
  const out: Record<string, unknown> = { role }
  if (typeof m.content === "string") out.content = m.content
  else if (m.content === undefined || m.content === null) out.content = ""
  else problems.push(`${at}.content: expected a string, got ${kind(m.content)}`)
  if (m.images !== undefined && m.images !== null) {
    if (!Array.isArray(m.images) || !m.images.every((x) => typeof x === "string" && x !== "")) {
      problems.push(`${at}.images: expected an array of base64-encoded images`)
    } else if (m.images.length > 0) out.images = m.images
  }
  if (m.tool_calls !== undefined && m.tool_calls !== null) {
    if (!Array.isArray(m.tool_calls)) {
      problems.push(`${at}.tool_calls: expected an array, got ${kind(m.tool_calls)}`)
    } else if (m.tool_calls.length > 0) {
      out.toolCalls = m.tool_calls.map((c, j) => toolCallIn(c, `${at}.tool_calls[${j}]`, problems))
    }
  }
  if (typeof m.tool_name === "string" && m.tool_name !== "") out.name = m.tool_name
  if (typeof m.tool_call_id === "string" && m.tool_call_id !== "") out.toolCallId = m.tool_call_id
  return out
}

const toolCallIn = (c: unknown, at: string, problems: string[]) => {
  const f = isObject(c) ? c.function : undefined
  if (!isObject(f) || typeof f.name !== "string" || f.name === "") {
    problems.push(`${at}.function.name: required`)
    return { name: "", arguments: {} }
  }
  let args: unknown = f.arguments ?? {}
  if (typeof args === "string") {
    try {
      args = JSON.parse(args)
    } catch {
      problems.push(`${at}.function.arguments: not valid JSON`)
      args = {}
    }
  }
  if (!isObject(args)) {
    problems.push(`${at}.function.arguments: expected an object`)
    args = {}
  }
  return {
    ...(isObject(c) && typeof c.id === "string" && c.id !== "" ? { id: c.id } : {}),
    name: f.name,
    arguments: args,
  }
}

// ---------------------------------------------------------------- generate

export const translateGenerate = (body: unknown, headers: Headers): Translated => {
  if (!isObject(body)) return { ok: false, message: `request: expected a JSON object, got ${kind(body)}` }
  const problems: string[] = []
  const req: Record<string, unknown> = {}
  const { stream, mode, model, unload } = common(body, headers, req, problems)
  for (const field of ["suffix", "template"] as const) {
    const v = body[field]
    if (v !== undefined && v !== null && v !== "") {
      problems.push(
        field === "suffix"
          ? "suffix: fill-in-the-middle is not supported (Conductor routes completions, not insertions)"
          : "template: not supported (each model's own template is used)",
      )
    }
  }
  if (body.raw === true) problems.push("raw: not supported (each model's own template is used)")
  const prompt = body.prompt
  if (prompt !== undefined && prompt !== null && typeof prompt !== "string") {
    problems.push(`prompt: expected a string, got ${kind(prompt)}`)
  }
  if (prompt === undefined || prompt === null || prompt === "")
    return residency(model, unload, "an empty prompt", problems)
  const system = body.system
  if (system !== undefined && system !== null && typeof system !== "string") {
    problems.push(`system: expected a string, got ${kind(system)}`)
  }
  let history: Turn[] = []
  if (body.context !== undefined && body.context !== null) {
    const d = decodeContext(body.context)
    if ("error" in d) problems.push(d.error)
    else history = d.turns
  }
  const images = body.images
  if (images !== undefined && images !== null) {
    if (!Array.isArray(images) || !images.every((x) => typeof x === "string" && x !== "")) {
      problems.push("images: expected an array of base64-encoded images")
    }
  }
  const withImages = Array.isArray(images) && images.length > 0
  const text = typeof prompt === "string" ? prompt : ""
  const sys = typeof system === "string" && system !== "" ? system : undefined
  if (history.length > 0 || withImages) {
    // A conversation (or images, which only chat turns carry): sent as a chat.
    req.messages = [
      ...(sys !== undefined ? [{ role: "system", content: sys }] : []),
      ...history,
      { role: "user", content: text, ...(withImages ? { images } : {}) },
    ]
  } else {
    req.prompt = text
    if (sys !== undefined) req.system = sys
  }
  return answer(req, stream, mode, problems, { history, prompt: text })
}
