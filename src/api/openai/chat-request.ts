/**
 * An OpenAI Chat Completions request body → a Conductor request (pure). `model` is `auto`
 * (route), `auto:fast|balanced|quality` (force the tier) or a registry model (override), as
 * `../model-field.ts` reads it. Messages map as `chat-messages.ts` says; sampling fields to
 * options; `response_format` to `format`; function `tools` (name, description, parameters;
 * `strict` is implied, since arguments are always checked against the schema) and
 * `tool_choice` pass through; `user` (else `safety_identifier`) is the request's client and,
 * with the API key presented, decides its tenant. Conductor's own knobs come as headers or a
 * body object `conductor` (`../knobs.ts`); the streaming policy is the shared one
 * (`../stream-policy.ts`). Fields OpenAI defines that change nothing here are accepted and
 * ignored; ones asking for what Conductor cannot give (`n` > 1, `logprobs`, audio, web search,
 * the deprecated `functions`) are refused, naming the field. `service_tier: flex` runs the request
 * as batch work (else interactive). Every problem is reported at once.
 */
import type { ConductorRequest } from "../../conductor.js"
import { applyKnobs } from "../knobs.js"
import { parseModelField } from "../model-field.js"
import { fallbackModeFor, type StreamMode, streamModeFor } from "../stream-policy.js"
import { tenantOf } from "../tenant.js"
import { given, isObject, type Json, kind, translateMessage } from "./chat-messages.js"

export interface ChatTranslation {
  readonly request: ConductorRequest
  readonly stream: boolean
  readonly includeUsage: boolean
  readonly streamMode: StreamMode
}

export type Translated =
  | { readonly ok: true; readonly value: ChatTranslation }
  | { readonly ok: false; readonly message: string }

interface Headers {
  get(name: string): string | undefined
}

/** OpenAI's service tiers: `flex` runs as batch work, every other as interactive. */
const SERVICE_TIERS: ReadonlyArray<string> = ["auto", "default", "flex", "scale", "priority"]

/** Fields OpenAI defines that ask for something Conductor cannot give, and what to do instead. */
const REFUSED: ReadonlyArray<readonly [string, (v: unknown) => boolean, string]> = [
  ["n", (v) => v !== 1, "only 1 choice is supported"],
  ["logprobs", (v) => v === true, "not supported"],
  ["top_logprobs", (v) => v !== 0, "not supported (logprobs are not available)"],
  ["audio", () => true, "audio output is not supported"],
  ["modalities", (v) => !Array.isArray(v) || v.some((m) => m !== "text"), "only text output is supported"],
  ["web_search_options", () => true, "web search is not supported"],
  ["functions", () => true, "deprecated; use tools"],
  ["function_call", () => true, "deprecated; use tool_choice"],
]

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
    const got = Array.isArray(body.messages) ? "an empty array" : kind(body.messages)
    problems.push(`messages: expected a non-empty array of messages, got ${got}`)
  } else {
    req.messages = body.messages.map((m, i) => translateMessage(m, `messages[${i}]`, problems))
  }

  // ---- sampling and length
  const maxField = given(body.max_completion_tokens) ? "max_completion_tokens" : "max_tokens"
  const maxTokens = body[maxField]
  if (given(maxTokens)) {
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
  if (given(body.seed)) {
    if (!Number.isSafeInteger(body.seed))
      problems.push("seed: expected an integer between -(2^53-1) and 2^53-1")
    else options.seed = body.seed
  }
  if (given(body.stop)) {
    const stop = typeof body.stop === "string" ? [body.stop] : body.stop
    if (!Array.isArray(stop) || !stop.every((s) => typeof s === "string" && s !== "") || stop.length > 16) {
      problems.push("stop: expected a string or an array of up to 16 non-empty strings")
    } else if (stop.length > 0) options.stop = stop
  }
  for (const [field, refused, why] of REFUSED) {
    if (given(body[field]) && refused(body[field])) problems.push(`${field}: ${why}`)
  }

  // ---- format
  const rf = body.response_format
  if (given(rf)) {
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
  if (given(body.tools)) {
    if (!Array.isArray(body.tools)) problems.push(`tools: expected an array, got ${kind(body.tools)}`)
    else if (body.tools.length > 0) req.tools = body.tools.map((t, i) => translateTool(t, i, problems))
  }
  const choice = body.tool_choice
  if (given(choice)) {
    if (choice === "auto" || choice === "none" || choice === "required") req.toolChoice = choice
    else if (
      isObject(choice) &&
      choice.type === "function" &&
      isObject(choice.function) &&
      typeof choice.function.name === "string"
    ) {
      req.toolChoice = { name: choice.function.name }
    } else {
      problems.push(
        `tool_choice: expected auto, none, required or {type: "function", function: {name}}, got ${JSON.stringify(choice)}`,
      )
    }
  }
  const effort = body.reasoning_effort ?? (isObject(body.reasoning) ? body.reasoning.effort : undefined)
  if (given(effort)) {
    if (typeof effort !== "string") problems.push("reasoning_effort: expected a string")
    else req.think = effort !== "none"
  }
  const clientField = given(body.user) ? "user" : "safety_identifier"
  const client = body[clientField]
  if (given(client)) {
    if (typeof client !== "string") problems.push(`${clientField}: expected a string`)
    else if (client !== "") req.client = client.slice(0, 256)
  }

  // ---- priority: OpenAI's flex processing (slower, cheaper) is Conductor's batch class
  if (given(body.service_tier)) {
    const tier = body.service_tier
    if (typeof tier !== "string" || !SERVICE_TIERS.includes(tier))
      problems.push(`service_tier: expected ${SERVICE_TIERS.join(", ")}, got ${JSON.stringify(tier)}`)
    else if (tier === "flex") req.priority = "batch"
  }

  // ---- streaming
  if (given(body.stream) && typeof body.stream !== "boolean") problems.push("stream: expected a boolean")
  const stream = body.stream === true
  const so = body.stream_options
  if (given(so)) {
    if (!stream) problems.push("stream_options: only allowed with stream: true")
    else if (!isObject(so)) problems.push(`stream_options: expected an object, got ${kind(so)}`)
    else if (given(so.include_usage) && typeof so.include_usage !== "boolean")
      problems.push("stream_options.include_usage: expected a boolean")
  }
  const includeUsage = isObject(so) && so.include_usage === true

  // ---- Conductor's own knobs: headers, or the body's `conductor` object
  const mode = applyKnobs(body, headers, req, problems)

  if (problems.length > 0) return { ok: false, message: problems.join("; ") }
  req.tenant = tenantOf("openai", req.client as string | undefined, headers.get("authorization"))
  if (Object.keys(options).length > 0) req.options = options
  const streamMode = streamModeFor(req, mode)
  const fallbackMode = req.fallbackMode ?? fallbackModeFor(stream, streamMode)
  if (fallbackMode !== undefined) req.fallbackMode = fallbackMode
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
  if (!given(v)) return
  if (typeof v !== "number" || !(v >= min && v <= max)) {
    problems.push(
      `${field}: expected a number from ${min === Number.MIN_VALUE ? "0 (exclusive)" : min} to ${max}`,
    )
    return
  }
  set(v)
}

/** A function tool as Conductor takes it: name, description and parameters (other fields dropped). */
const translateTool = (t: unknown, i: number, problems: string[]): unknown => {
  const at = `tools[${i}]`
  if (!isObject(t) || t.type !== "function") {
    problems.push(`${at}.type: expected function, got ${JSON.stringify(isObject(t) ? t.type : t)}`)
    return {}
  }
  const f = t.function
  if (!isObject(f)) {
    problems.push(`${at}.function: expected an object with a name`)
    return {}
  }
  if (given(f.description) && typeof f.description !== "string")
    problems.push(`${at}.function.description: expected a string`)
  if (given(f.parameters) && !isObject(f.parameters))
    problems.push(`${at}.function.parameters: expected a JSON Schema object`)
  return {
    type: "function",
    function: {
      name: f.name,
      ...(typeof f.description === "string" ? { description: f.description } : {}),
      ...(isObject(f.parameters) ? { parameters: f.parameters } : {}),
    },
  }
}
