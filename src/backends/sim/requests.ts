/**
 * Reading Ollama request bodies as the server does: options, keep_alive, `think`, chat messages
 * (roles lowercased, tool results resolved to their tool's name) and embedding inputs, failing
 * with Ollama's 400 texts (Go's json decoder and the handlers' own checks). Pure functions: the
 * engine calls them before it schedules anything.
 */
import { badRequest } from "./errors.js"
import { parseKeepAlive } from "./keep-alive.js"
import type { ThinkLevel } from "./thinking.js"
import type { ToolResult } from "./tool-calls.js"

export type Json = Record<string, unknown>

export const isPlainObject = (u: unknown): u is Json =>
  typeof u === "object" && u !== null && !Array.isArray(u)

export interface ParsedOptions {
  num_ctx?: number
  num_predict?: number
  seed?: number
  stop?: ReadonlyArray<string>
}

export const parseKeepAliveOrThrow = (v: unknown): number => {
  try {
    return parseKeepAlive(v)
  } catch (e) {
    throw badRequest((e as Error).message)
  }
}

export const parseOptions = (raw: unknown): ParsedOptions => {
  if (raw === undefined || raw === null) return {}
  if (!isPlainObject(raw)) throw badRequest("json: cannot unmarshal options: expected an object")
  const out: ParsedOptions = {}
  for (const key of ["num_ctx", "num_predict", "seed"] as const) {
    const v = raw[key]
    if (v === undefined) continue
    if (typeof v !== "number" || !Number.isInteger(v)) {
      throw badRequest(
        `json: cannot unmarshal ${typeof v === "string" ? "string" : typeof v} into Go struct field Options.${key} of type int`,
      )
    }
    out[key] = v
  }
  if (out.num_ctx !== undefined && out.num_ctx < 1) out.num_ctx = 4
  const stop = raw.stop
  if (typeof stop === "string") out.stop = [stop]
  else if (Array.isArray(stop)) out.stop = stop.filter((s): s is string => typeof s === "string" && s !== "")
  return out
}

/**
 * `think` as api.ThinkValue decodes it: a boolean or "low" | "medium" | "high" | "max"; `true` is
 * "medium", `false` is off (undefined: not set, the model's default).
 */
export const parseThink = (v: unknown): ThinkLevel | false | undefined => {
  if (v === undefined || v === null) return undefined
  if (typeof v === "boolean") return v ? "medium" : false
  if (typeof v === "string") {
    if (v === "low" || v === "medium" || v === "high" || v === "max") return v
    throw badRequest(`invalid think value: "${v}" (must be "high", "medium", "low", "max", true, or false)`)
  }
  throw badRequest('think must be a boolean or string ("high", "medium", "low", "max", true, or false)')
}

/** A chat as the simulated model reads it. */
export interface Conversation {
  /** Every message as a "role: content" line (what the prompt-token estimate and text generator read). */
  readonly text: string
  /** The last message's role ("" when there are none). */
  readonly lastRole: string
  /** The last user message's content. */
  readonly question: string
  /** The tool results after the last non-tool message (the answer to a tool call). */
  readonly results: ReadonlyArray<ToolResult>
  readonly images: number
}

const ROLES = ["system", "user", "assistant", "tool"]

export const readConversation = (messages: unknown): Conversation => {
  if (messages === undefined || messages === null) {
    return { text: "", lastRole: "", question: "", results: [], images: 0 }
  }
  if (!Array.isArray(messages)) throw badRequest("json: cannot unmarshal messages: expected an array")
  const lines: string[] = []
  const callNames = new Map<string, string>()
  let question = ""
  let images = 0
  let results: ToolResult[] = []
  let lastRole = ""
  for (const m of messages) {
    if (!isPlainObject(m) || typeof m.role !== "string") throw badRequest("invalid message: role is required")
    // api.Message lowercases the role when it decodes.
    const role = m.role.toLowerCase()
    if (!ROLES.includes(role)) throw badRequest(`invalid role: ${m.role}`)
    const content = typeof m.content === "string" ? m.content : ""
    lines.push(`${role}: ${content}`)
    if (Array.isArray(m.images)) images += m.images.length
    if (Array.isArray(m.tool_calls)) {
      for (const c of m.tool_calls) {
        if (isPlainObject(c) && isPlainObject(c.function) && typeof c.id === "string") {
          callNames.set(c.id, typeof c.function.name === "string" ? c.function.name : "")
        }
      }
    }
    if (role === "tool") {
      const byId = typeof m.tool_call_id === "string" ? callNames.get(m.tool_call_id) : undefined
      const name = typeof m.tool_name === "string" && m.tool_name !== "" ? m.tool_name : (byId ?? "")
      results.push({ name, content })
    } else {
      results = []
    }
    if (role === "user") question = content
    lastRole = role
  }
  return { text: lines.join("\n"), lastRole, question, results, images }
}

/** `/api/embed`'s `input`: a string (empty: none) or an array of strings; anything else is a 400. */
export const readEmbedInput = (input: unknown): ReadonlyArray<string> => {
  if (input === undefined || input === null) return []
  if (typeof input === "string") return input === "" ? [] : [input]
  if (Array.isArray(input)) {
    return input.map((v) => {
      if (typeof v !== "string") throw badRequest("invalid input type")
      return v
    })
  }
  throw badRequest("invalid input type")
}

/** Text up to the first stop sequence (Ollama stops before it and reports done_reason "stop"). */
export const cutAtStop = (text: string, stop: ReadonlyArray<string> | undefined): string | undefined => {
  if (stop === undefined || stop.length === 0) return undefined
  let at = -1
  for (const s of stop) {
    const i = text.indexOf(s)
    if (i >= 0 && (at < 0 || i < at)) at = i
  }
  return at < 0 ? undefined : text.slice(0, at)
}
