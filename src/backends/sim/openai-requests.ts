/**
 * OpenAI request bodies turned into the engine's Ollama requests, as Ollama's compatibility
 * layer does it (openai/openai.go FromChatRequest, FromCompleteRequest and the embeddings
 * middleware): content parts and base64 `image_url`s become messages with images, a tool
 * message's `tool_call_id` names its tool, `response_format` becomes `format`, the reasoning
 * effort becomes `think`, temperature and top_p default to 1. Failures are Ollama's 400 texts.
 */

import type { SimChatRequest, SimEmbedRequest, SimGenerateRequest } from "./engine.js"
import { badRequest } from "./errors.js"
import { isPlainObject, type Json } from "./requests.js"

/** Go's %T for what a JSON value decodes to in an `any` field. */
const goType = (v: unknown): string =>
  v === undefined || v === null
    ? "<nil>"
    : typeof v === "string"
      ? "string"
      : typeof v === "number"
        ? "float64"
        : typeof v === "boolean"
          ? "bool"
          : Array.isArray(v)
            ? "[]interface {}"
            : "map[string]interface {}"

const goKind = (v: unknown): string =>
  Array.isArray(v) ? "array" : typeof v === "number" ? "number" : typeof v === "boolean" ? "bool" : typeof v

/** A field of a Go struct that must be a string (or absent). */
const stringField = (body: Json, key: string, struct: string): string => {
  const v = body[key]
  if (v === undefined) return ""
  if (typeof v !== "string") {
    throw badRequest(
      `json: cannot unmarshal ${goKind(v)} into Go struct field ${struct}.${key} of type string`,
    )
  }
  return v
}

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined)

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** openai.decodeImageURL: base64 data URLs only (jpeg, jpg, png, webp, or no type). */
const imageOf = (url: string): string => {
  if (url.startsWith("http://") || url.startsWith("https://")) {
    throw badRequest("image URLs are not currently supported, please use base64 encoded data instead")
  }
  let data: string | undefined
  if (url.startsWith("data:;base64,")) data = url.slice("data:;base64,".length)
  else {
    for (const t of ["jpeg", "jpg", "png", "webp"]) {
      const prefix = `data:image/${t};base64,`
      if (url.startsWith(prefix)) {
        data = url.slice(prefix.length)
        break
      }
    }
  }
  if (data === undefined || !BASE64.test(data)) throw badRequest("invalid image input")
  return data
}

interface OllamaToolCall {
  id?: string
  function: { name: string; arguments: Record<string, unknown> }
}

/** openai.FromCompletionToolCall: arguments arrive as a JSON string. */
const toolCallsOf = (raw: unknown): OllamaToolCall[] | undefined => {
  if (!Array.isArray(raw)) return undefined
  return raw.map((c) => {
    const f = isPlainObject(c) && isPlainObject(c.function) ? c.function : {}
    let args: unknown
    try {
      args = JSON.parse(typeof f.arguments === "string" ? f.arguments : "")
    } catch {
      throw badRequest("invalid tool call arguments")
    }
    return {
      ...(isPlainObject(c) && typeof c.id === "string" && c.id !== "" ? { id: c.id } : {}),
      function: {
        name: typeof f.name === "string" ? f.name : "",
        arguments: isPlainObject(args) ? args : {},
      },
    }
  })
}

/** The tool a `tool_call_id` answers: the last earlier call with that id ("last one wins"). */
const nameFromCallId = (messages: ReadonlyArray<unknown>, id: string): string => {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]
    if (!isPlainObject(m) || !Array.isArray(m.tool_calls)) continue
    for (const c of m.tool_calls) {
      if (
        isPlainObject(c) &&
        c.id === id &&
        isPlainObject(c.function) &&
        typeof c.function.name === "string"
      ) {
        return c.function.name
      }
    }
  }
  return ""
}

type OllamaMessage = NonNullable<SimChatRequest["messages"]>[number] & { tool_call_id?: string }

const messagesOf = (raw: ReadonlyArray<unknown>): OllamaMessage[] => {
  const out: OllamaMessage[] = []
  for (const msg of raw) {
    const m = isPlainObject(msg) ? msg : {}
    const role = typeof m.role === "string" ? m.role : ""
    const callId = typeof m.tool_call_id === "string" ? m.tool_call_id : ""
    let toolName = ""
    if (role.toLowerCase() === "tool") {
      toolName = typeof m.name === "string" ? m.name : ""
      if (toolName === "" && callId !== "") toolName = nameFromCallId(raw, callId)
    }
    const reasoning = typeof m.reasoning === "string" && m.reasoning !== "" ? { thinking: m.reasoning } : {}
    const calls = toolCallsOf(m.tool_calls)
    const extra = {
      ...(calls !== undefined && calls.length > 0 ? { tool_calls: calls } : {}),
      ...(toolName !== "" ? { tool_name: toolName } : {}),
      ...(callId !== "" ? { tool_call_id: callId } : {}),
    }
    const content = m.content
    if (typeof content === "string") {
      out.push({ role, content, ...reasoning, ...extra })
    } else if (Array.isArray(content)) {
      for (const part of content) {
        if (!isPlainObject(part)) throw badRequest("invalid message format")
        if (part.type === "text") {
          if (typeof part.text !== "string") throw badRequest("invalid message format")
          out.push({ role, content: part.text })
        } else if (part.type === "image_url") {
          const u = part.image_url
          const url = isPlainObject(u) ? u.url : u
          if (typeof url !== "string") throw badRequest("invalid message format")
          out.push({ role, content: "", images: [imageOf(url)] })
        } else if (part.type === "input_audio") {
          const a = part.input_audio
          if (!isPlainObject(a)) throw badRequest("invalid input_audio format")
          if (typeof a.data !== "string") throw badRequest("invalid input_audio format: missing data")
          if (!BASE64.test(a.data)) throw badRequest("invalid input_audio base64 data: illegal base64 data")
          out.push({ role, content: "", images: [a.data] })
        } else {
          throw badRequest("invalid message format")
        }
      }
      // Several parts became several messages: the calls go on the last one.
      const last = out.at(-1)
      if (last !== undefined && calls !== undefined && calls.length > 0) Object.assign(last, extra, reasoning)
    } else {
      // Content may be absent only on a message that calls tools.
      if (m.tool_calls === undefined || m.tool_calls === null) {
        throw badRequest(`invalid message content type: ${goType(content)}`)
      }
      out.push({ role, content: "", ...reasoning, ...extra })
    }
  }
  return out
}

/** Stops as Ollama reads them: a string, or the strings of an array. */
const stopOf = (raw: unknown, strict: boolean): string[] | undefined => {
  if (typeof raw === "string") return [raw]
  if (!Array.isArray(raw)) return undefined
  return raw.filter((s): s is string => {
    if (typeof s === "string") return true
    if (strict) throw badRequest(`invalid type for 'stop' field: ${goType(s)}`)
    return false
  })
}

/** openai.thinkFromReasoningEffort: unknown tiers are clamped, not refused. */
const thinkOf = (effort: string): SimChatRequest["think"] => {
  switch (effort) {
    case "":
      return undefined
    case "none":
      return false
    case "minimal":
      return "low"
    case "low":
    case "medium":
    case "high":
    case "max":
      return effort
    case "xhigh":
    case "ultra":
      return "max"
    default:
      throw badRequest(
        `invalid reasoning value: "${effort}" (must be "minimal", "low", "medium", "high", "xhigh", "ultra", "max", or "none")`,
      )
  }
}

export const toChatRequest = (body: Json): SimChatRequest => {
  const model = stringField(body, "model", "ChatCompletionRequest")
  const raw = body.messages
  if (raw !== undefined && !Array.isArray(raw)) {
    throw badRequest(
      `json: cannot unmarshal ${goKind(raw)} into Go struct field ChatCompletionRequest.messages of type []openai.Message`,
    )
  }
  if (raw === undefined || raw.length === 0) throw badRequest("[] is too short - 'messages'")
  const messages = messagesOf(raw)
  const stop = stopOf(body.stop, false)
  const options: Json = {
    ...(stop !== undefined ? { stop } : {}),
    ...(num(body.max_tokens) !== undefined ? { num_predict: body.max_tokens } : {}),
    temperature: num(body.temperature) ?? 1,
    ...(num(body.seed) !== undefined ? { seed: body.seed } : {}),
    ...(num(body.frequency_penalty) !== undefined ? { frequency_penalty: body.frequency_penalty } : {}),
    ...(num(body.presence_penalty) !== undefined ? { presence_penalty: body.presence_penalty } : {}),
    top_p: num(body.top_p) ?? 1,
  }
  let format: SimChatRequest["format"]
  const rf = body.response_format
  if (isPlainObject(rf) && typeof rf.type === "string") {
    const type = rf.type.trim().toLowerCase()
    if (type === "json_object") format = "json"
    else if (type === "json_schema" && isPlainObject(rf.json_schema) && rf.json_schema.schema !== undefined) {
      format = rf.json_schema.schema as SimChatRequest["format"]
    }
  }
  const reasoning = isPlainObject(body.reasoning) ? body.reasoning.effort : body.reasoning_effort
  const think = thinkOf(typeof reasoning === "string" ? reasoning : "")
  return {
    model,
    messages,
    options,
    stream: body.stream === true,
    ...(format !== undefined ? { format } : {}),
    ...(Array.isArray(body.tools) ? { tools: body.tools } : {}),
    ...(think !== undefined ? { think } : {}),
  }
}

export const toCompletionRequest = (body: Json): SimGenerateRequest => {
  const model = stringField(body, "model", "CompletionRequest")
  const prompt = stringField(body, "prompt", "CompletionRequest")
  const suffix = stringField(body, "suffix", "CompletionRequest")
  const stop = stopOf(body.stop, true)
  const topP = num(body.top_p) ?? 0
  const options: Json = {
    ...(stop !== undefined ? { stop } : {}),
    ...(num(body.max_tokens) !== undefined ? { num_predict: body.max_tokens } : {}),
    temperature: num(body.temperature) ?? 1,
    ...(num(body.seed) !== undefined ? { seed: body.seed } : {}),
    frequency_penalty: num(body.frequency_penalty) ?? 0,
    presence_penalty: num(body.presence_penalty) ?? 0,
    top_p: topP !== 0 ? topP : 1,
  }
  return { model, prompt, options, stream: body.stream === true, ...(suffix !== "" ? { suffix } : {}) }
}

/** The embeddings middleware: `encoding_format` checked, "" is one empty input, none is refused. */
export const toEmbedRequest = (body: Json): { request: SimEmbedRequest; base64: boolean } => {
  const model = stringField(body, "model", "EmbedRequest")
  const format = stringField(body, "encoding_format", "EmbedRequest")
  const lower = format.toLowerCase()
  if (format !== "" && lower !== "float" && lower !== "base64") {
    throw badRequest(
      `Invalid value for 'encoding_format' = ${format}. Supported values: ['float', 'base64'].`,
    )
  }
  let input = body.input
  if (input === "") input = [""]
  if (input === undefined || input === null) throw badRequest("invalid input")
  if (Array.isArray(input) && input.length === 0) throw badRequest("invalid input")
  const dimensions = num(body.dimensions)
  return {
    request: {
      model,
      // The engine checks the input's type (strings only) as EmbedHandler does.
      input: input as NonNullable<SimEmbedRequest["input"]>,
      ...(dimensions !== undefined && dimensions !== 0 ? { dimensions } : {}),
    },
    base64: lower === "base64",
  }
}
