/**
 * Tool calling for the simulated models: which offered tool a model calls for a prompt (the one
 * whose name and description share most words with it, else the first), its arguments (a value
 * of the tool's `parameters` JSON Schema, filled from the prompt's words), Ollama's call ids
 * (`call_` + 8 lowercase letters and digits) and the text answer a model gives once the tool
 * results are in. Everything is drawn from PRNGs seeded by (model, seed, prompt).
 */
import type { WireToolCall } from "../ollama/wire.js"
import { badRequest } from "./errors.js"
import { schemaValue } from "./text/json.js"
import { contextOf, fillSlots, pickFrom, type TextContext } from "./text/prompt.js"
import { seededRandom } from "./text/random.js"

/** A function offered in a request's `tools`. */
export interface OfferedTool {
  readonly name: string
  readonly description: string
  readonly parameters: unknown
}

/** A tool result in the conversation (a `role: "tool"` message). */
export interface ToolResult {
  readonly name: string
  readonly content: string
}

const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const goKind = (u: unknown): string =>
  Array.isArray(u) ? "array" : typeof u === "number" ? "number" : typeof u === "boolean" ? "bool" : typeof u

/** The request's `tools`, checked as Go's decoder checks api.Tools (absent or null: none). */
export const offeredTools = (raw: unknown): ReadonlyArray<OfferedTool> => {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) {
    throw badRequest(
      `json: cannot unmarshal ${goKind(raw)} into Go struct field ChatRequest.tools of type api.Tools`,
    )
  }
  return raw.map((t) => {
    if (!isObject(t)) {
      throw badRequest(
        `json: cannot unmarshal ${goKind(t)} into Go struct field ChatRequest.tools of type api.Tool`,
      )
    }
    const f = isObject(t.function) ? t.function : {}
    return {
      name: typeof f.name === "string" ? f.name : "",
      description: typeof f.description === "string" ? f.description : "",
      parameters: f.parameters,
    }
  })
}

/** Lowercased words of 3+ letters, identifiers split (get_current_weather, getWeather → get current weather). */
const wordsOf = (s: string): Set<string> =>
  new Set(
    s
      .replace(/([a-z])([A-Z])/g, "$1 $2")
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length >= 3)
      .map((w) => w.replace(/(?:ies|es|s)$/, "")),
  )

/** The tool whose name and description share most words with the prompt; the first on a tie or none. */
export const chooseTool = (tools: ReadonlyArray<OfferedTool>, prompt: string): OfferedTool | undefined => {
  const words = wordsOf(prompt)
  let best = tools[0]
  let bestScore = 0
  for (const t of tools) {
    let score = 0
    for (const w of wordsOf(t.name)) if (words.has(w)) score += 2
    for (const w of wordsOf(t.description)) if (words.has(w)) score += 1
    if (score > bestScore) {
      best = t
      bestScore = score
    }
  }
  return best
}

const ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"

/** Ollama's tool call id: `call_` and 8 characters of [a-z0-9] (server/routes.go toolCallId). */
const callId = (rng: () => number): string => {
  let id = "call_"
  for (let i = 0; i < 8; i++) id += ID_CHARS[Math.floor(rng() * ID_CHARS.length)]
  return id
}

const isPlainString = (s: unknown): boolean =>
  isObject(s) &&
  (s.type === "string" || (s.type === undefined && s.properties === undefined && s.items === undefined)) &&
  s.enum === undefined &&
  s.const === undefined &&
  s.format === undefined &&
  s.anyOf === undefined &&
  s.oneOf === undefined

/** A free-text argument taken from the prompt: the question for a query, a name for a place, the topic. */
const stringArgument = (key: string, prompt: string, c: TextContext): string => {
  const k = key.toLowerCase()
  if (/query|question|search|prompt|text|input|^q$/.test(k)) return prompt.trim().replace(/[?.!\s]+$/, "")
  if (/city|location|place|country|region|where|address|destination|origin/.test(k)) {
    return c.words.find((w) => /^\p{Lu}/u.test(w)) ?? c.slots.a
  }
  return c.slots.a
}

/**
 * A tool's arguments: an object with every property of its `parameters` schema (required ones
 * included), free-text strings taken from the prompt, everything else from the schema generator.
 */
const argumentsFor = (parameters: unknown, prompt: string, c: TextContext): Record<string, unknown> => {
  const schema = isObject(parameters) ? parameters : {}
  const props = isObject(schema.properties) ? schema.properties : {}
  const required = Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === "string") : []
  const out: Record<string, unknown> = {}
  for (const name of [...Object.keys(props), ...required]) {
    if (name in out) continue
    const sub = props[name] ?? {}
    out[name] = isPlainString(sub) ? stringArgument(name, prompt, c) : schemaValue(sub, c, name)
  }
  return out
}

/**
 * The call a model makes for `prompt` (the last user message), and the text it wrote to make it
 * (what a real model emits and Ollama's tool parser consumes: it counts as generated tokens).
 */
export const toolCallFor = (
  model: string,
  seed: number,
  tools: ReadonlyArray<OfferedTool>,
  prompt: string,
): { readonly call: WireToolCall; readonly text: string } | undefined => {
  const tool = chooseTool(tools, prompt)
  if (tool === undefined) return undefined
  const key = JSON.stringify(["tool", model, seed, tool.name, prompt])
  const args = argumentsFor(tool.parameters, prompt, contextOf(key, prompt))
  const call: WireToolCall = {
    id: callId(seededRandom(`${key}#id`)),
    function: { index: 0, name: tool.name, arguments: args },
  }
  return { call, text: `<tool_call>\n${JSON.stringify({ name: tool.name, arguments: args })}\n</tool_call>` }
}

/** Whether a model calls a tool at all for this prompt, at `rate` (1: always). */
export const callsTool = (model: string, seed: number, prompt: string, rate: number): boolean =>
  rate >= 1 || seededRandom(JSON.stringify(["tool?", model, seed, prompt]))() < rate

const LEADS = [
  "According to {tool}, ",
  "I checked with {tool}: ",
  "Here is what {tool} returned: ",
  "Based on the result from {tool}, ",
]

const CLOSES = [
  " Let me know if you need anything else about {a}.",
  " That should answer your question about {a}.",
  " I hope this helps with {a}.",
]

/** What a result says, in a sentence: the first fields of a JSON object, else its first line. */
const summary = (content: string): string => {
  let parsed: unknown
  try {
    parsed = JSON.parse(content)
  } catch {
    parsed = undefined
  }
  if (isObject(parsed)) {
    const parts = Object.entries(parsed)
      .slice(0, 4)
      .map(([k, v]) => `${k.replace(/_/g, " ")} is ${typeof v === "string" ? v : JSON.stringify(v)}`)
    if (parts.length > 0) return `${parts.join(", ")}.`
  }
  const line = content.trim().split("\n")[0] ?? ""
  const cut = line.length > 200 ? `${line.slice(0, 200)}…` : line
  return cut === "" ? "it returned nothing." : /[.!?…]$/.test(cut) ? cut : `${cut}.`
}

/** The answer once the tool results are in: each result restated, then a closing about the question. */
export const toolResultAnswer = (
  model: string,
  seed: number,
  results: ReadonlyArray<ToolResult>,
  question: string,
): string => {
  const c = contextOf(JSON.stringify(["tool-answer", model, seed, question, results]), question)
  const lines = results.map(
    (r) =>
      `${pickFrom(c, LEADS).replace("{tool}", r.name === "" ? "the tool" : r.name)}${summary(r.content)}`,
  )
  return `${lines.join(" ")}${fillSlots(pickFrom(c, CLOSES), c)}`
}
