/**
 * An OpenAI Chat Completions request body → a Conductor request (pure). `model` is `auto`
 * (route), `auto:fast|balanced|quality` (force the tier) or a registry model (override).
 * Messages map role for role (`developer` is a system turn), content parts to text and base64
 * images, assistant `tool_calls` (arguments as JSON text) to tool calls, `tool` messages by
 * `tool_call_id`; sampling fields to options; `response_format` to `format`; `tools` and
 * `tool_choice` pass through; `user` is the request's client. Conductor's own knobs come as
 * headers (`x-conductor-persona`, `-tier`, `-docs`, `-stream`) or a body object `conductor`.
 * Fields OpenAI defines that change nothing here are accepted and ignored; ones Conductor cannot
 * honour (`n` > 1, `logprobs`) are refused, naming the field.
 */
import type { ConductorRequest } from "../../conductor.js"
import { applyKnobs } from "../knobs.js"
import { parseModelField } from "../model-field.js"
import { type StreamMode, streamModeFor } from "../stream-policy.js"

export interface ChatTranslation {
  readonly request: ConductorRequest
  readonly stream: boolean
  readonly includeUsage: boolean
  readonly streamMode: StreamMode
}

export type Translated =
  | { readonly ok: true; readonly value: ChatTranslation }
  | { readonly ok: false; readonly message: string }

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)
const kind = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v)

interface Headers {
  get(name: string): string | undefined
}

export const translateChatRequest = (body: unknown, headers: Headers): Translated => {
  if (!isObject(body)) return { ok: false, message: `request: expected a JSON object, got ${kind(body)}` }
  const problems: string[] = []
  const req: Record<string, unknown> = {}
  const options: Record<string, unknown> = {}

  // ---- model
  if (typeof body.model !== "string" || body.model === "") {
    problems.push("model: required (auto, auto:fast, auto:balanced, auto:quality or a model name)")
  } else {
    const m = parseModelField(body.model)
    if ("error" in m) problems.push(m.error)
    else Object.assign(req, m)
  }

  // ---- messages
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    problems.push(`messages: expected a non-empty array of messages, got ${kind(body.messages)}`)
  } else {
    req.messages = body.messages.map((m, i) => translateMessage(m, `messages[${i}]`, problems))
  }

  // ---- sampling and length
  const maxTokens = body.max_completion_tokens ?? body.max_tokens
  const maxField = body.max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens"
  if (maxTokens !== undefined && maxTokens !== null) {
    if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1)
      problems.push(`${maxField}: expected an integer ≥ 1`)
    else options.numPredict = maxTokens
  }
  number(body, "temperature", 0, 2, problems, (v) => {
    options.temperature = v
  })
  number(body, "top_p", Number.MIN_VALUE, 1, problems, (v) => {
    options.topP = v
  })
  if (body.seed !== undefined && body.seed !== null) {
    if (!Number.isSafeInteger(body.seed))
      problems.push("seed: expected an integer between -(2^53-1) and 2^53-1")
    else options.seed = body.seed
  }
  if (body.stop !== undefined && body.stop !== null) {
    const stop = typeof body.stop === "string" ? [body.stop] : body.stop
    if (!Array.isArray(stop) || !stop.every((s) => typeof s === "string" && s !== "") || stop.length > 16) {
      problems.push("stop: expected a string or an array of up to 16 non-empty strings")
    } else if (stop.length > 0) options.stop = stop
  }
  if (body.n !== undefined && body.n !== null && body.n !== 1) problems.push("n: only 1 choice is supported")
  if (body.logprobs === true) problems.push("logprobs: not supported")

  // ---- format
  const rf = body.response_format
  if (rf !== undefined && rf !== null) {
    if (!isObject(rf)) problems.push(`response_format: expected an object, got ${kind(rf)}`)
    else if (rf.type === "json_object") req.format = "json"
    else if (rf.type === "json_schema") {
      const js = rf.json_schema
      if (!isObject(js) || !isObject(js.schema)) {
        problems.push("response_format.json_schema.schema: expected a JSON Schema object")
      } else req.format = js.schema
    } else if (rf.type !== "text") {
      problems.push(
        `response_format.type: expected text, json_object or json_schema, got ${JSON.stringify(rf.type)}`,
      )
    }
  }

  // ---- tools
  if (body.tools !== undefined && body.tools !== null) {
    if (!Array.isArray(body.tools)) problems.push(`tools: expected an array, got ${kind(body.tools)}`)
    else if (body.tools.length > 0) req.tools = body.tools
  }
  const choice = body.tool_choice
  if (choice !== undefined && choice !== null) {
    if (choice === "auto" || choice === "none" || choice === "required") req.toolChoice = choice
    else if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === "string") {
      req.toolChoice = { name: choice.function.name }
    } else {
      problems.push(`tool_choice: expected auto, none, required or {type: "function", function: {name}}`)
    }
  }
  const effort = body.reasoning_effort ?? (isObject(body.reasoning) ? body.reasoning.effort : undefined)
  if (effort !== undefined && effort !== null) {
    if (typeof effort !== "string") problems.push("reasoning_effort: expected a string")
    else req.think = effort !== "none"
  }
  if (body.user !== undefined && body.user !== null) {
    if (typeof body.user !== "string") problems.push("user: expected a string")
    else if (body.user !== "") req.client = body.user.slice(0, 256)
  }

  // ---- streaming
  const stream = body.stream === true
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== "boolean") {
    problems.push("stream: expected a boolean")
  }
  const so = body.stream_options
  const includeUsage = isObject(so) && so.include_usage === true
  if (so !== undefined && so !== null && !stream)
    problems.push("stream_options: only allowed with stream: true")

  // ---- Conductor's own knobs: headers, or the body's `conductor` object
  const mode = applyKnobs(body, headers, req, problems)

  if (problems.length > 0) return { ok: false, message: problems.join("; ") }
  if (Object.keys(options).length > 0) req.options = options
  // Streamed text cannot be taken back: a cut answer is continued by the next model, not restarted.
  if (stream && req.fallbackMode === undefined) req.fallbackMode = "continue"
  // Answers whose validation decides most (a format, tool calls) are held until validated.
  const streamMode = streamModeFor(req, mode)
  return {
    ok: true,
    value: { request: req as ConductorRequest, stream, includeUsage, streamMode },
  }
}

const number = (
  body: Json,
  field: string,
  min: number,
  max: number,
  problems: string[],
  set: (v: number) => void,
): void => {
  const v = body[field]
  if (v === undefined || v === null) return
  if (typeof v !== "number" || !(v >= min && v <= max)) {
    problems.push(
      `${field}: expected a number from ${min === Number.MIN_VALUE ? "0 (exclusive)" : min} to ${max}`,
    )
    return
  }
  set(v)
}

const DATA_URL = /^data:(?:image\/(?:png|jpeg|jpg|webp|gif))?;base64,/

const translateMessage = (m: unknown, at: string, problems: string[]): unknown => {
  if (!isObject(m)) {
    problems.push(`${at}: expected a message object, got ${kind(m)}`)
    return {}
  }
  const role = m.role === "developer" ? "system" : m.role
  if (role !== "system" && role !== "user" && role !== "assistant" && role !== "tool") {
    problems.push(
      `${at}.role: expected system, developer, user, assistant or tool, got ${JSON.stringify(m.role)}`,
    )
    return {}
  }
  const out: Record<string, unknown> = { role }
  const images: string[] = []
  if (typeof m.content === "string") out.content = m.content
  else if (m.content === null || m.content === undefined) {
    if (role !== "assistant") problems.push(`${at}.content: required for a ${role} message`)
    out.content = ""
  } else if (Array.isArray(m.content)) {
    const texts: string[] = []
    m.content.forEach((part, j) => {
      const p = `${at}.content[${j}]`
      if (!isObject(part)) {
        problems.push(`${p}: expected a content part object`)
        return
      }
      if (part.type === "text" && typeof part.text === "string") texts.push(part.text)
      else if (part.type === "image_url") {
        const url = isObject(part.image_url) ? part.image_url.url : part.image_url
        if (typeof url !== "string" || !DATA_URL.test(url)) {
          problems.push(
            `${p}.image_url.url: expected a base64 data URL (data:image/png;base64,…); remote URLs are not fetched`,
          )
        } else images.push(url.slice(url.indexOf(",") + 1))
      } else problems.push(`${p}.type: expected text or image_url, got ${JSON.stringify(part.type)}`)
    })
    out.content = texts.join("\n")
  } else {
    problems.push(`${at}.content: expected a string or an array of content parts, got ${kind(m.content)}`)
  }
  if (images.length > 0) out.images = images
  if (m.tool_calls !== undefined && m.tool_calls !== null) {
    if (role !== "assistant" || !Array.isArray(m.tool_calls)) {
      problems.push(`${at}.tool_calls: only an assistant message carries an array of tool calls`)
    } else {
      out.toolCalls = m.tool_calls.map((c, j) => {
        const p = `${at}.tool_calls[${j}]`
        const f = isObject(c) ? c.function : undefined
        if (!isObject(f) || typeof f.name !== "string") {
          problems.push(`${p}.function.name: required`)
          return { name: "", arguments: {} }
        }
        let args: unknown = {}
        if (typeof f.arguments === "string" && f.arguments.trim() !== "") {
          try {
            args = JSON.parse(f.arguments)
          } catch {
            problems.push(`${p}.function.arguments: not valid JSON`)
          }
        } else if (isObject(f.arguments)) args = f.arguments
        if (!isObject(args)) problems.push(`${p}.function.arguments: expected a JSON object`)
        return {
          ...(isObject(c) && typeof c.id === "string" && c.id !== "" ? { id: c.id } : {}),
          name: f.name,
          arguments: isObject(args) ? args : {},
        }
      })
    }
  }
  if (role === "tool") {
    if (typeof m.tool_call_id === "string" && m.tool_call_id !== "") out.toolCallId = m.tool_call_id
    if (typeof m.name === "string" && m.name !== "") out.name = m.name
    if (out.toolCallId === undefined && out.name === undefined) {
      problems.push(`${at}.tool_call_id: required for a tool message`)
    }
  }
  return out
}
