/**
 * Conductor's own knobs on a compatible API's request, which neither OpenAI's nor Ollama's body
 * has a field for: headers `x-conductor-persona`, `x-conductor-tier`, `x-conductor-docs`
 * (documents retrieved for the query), `x-conductor-stream` (live | buffered) and
 * `x-conductor-priority` (interactive | batch), or the same in a body object `conductor`
 * (`persona`, `tier`, `retrievedDocs`, `minContextWindow`, `stream`, `fallbackMode`,
 * `priority`); a header wins over the body. Each is checked, a problem naming the header or the
 * body field it came from; an unknown key in the body object is refused; a tier that contradicts
 * `auto:<tier>`, or a priority that contradicts the API's own field (OpenAI's `service_tier`), is
 * an error.
 */
import { PRIORITIES } from "../domain/tenant.js"
import { TIERS } from "../domain/tier.js"
import type { StreamMode } from "./stream-policy.js"

interface Headers {
  get(name: string): string | undefined
}

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)
const kind = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v)

/** The body object's keys. */
export const KNOB_KEYS = [
  "persona",
  "tier",
  "retrievedDocs",
  "minContextWindow",
  "stream",
  "fallbackMode",
  "priority",
]

const count = (v: unknown): number | undefined => {
  const n = typeof v === "string" ? (/^\d{1,9}$/.test(v) ? Number(v) : Number.NaN) : v
  return Number.isInteger(n) && (n as number) >= 0 ? (n as number) : undefined
}

/** Set the knobs on `req` (a request being built); returns the stream mode asked for, if any. */
export const applyKnobs = (
  body: Json,
  headers: Headers,
  req: Record<string, unknown>,
  problems: string[],
): StreamMode | undefined => {
  let ext: Json = {}
  if (body.conductor !== undefined && body.conductor !== null) {
    if (!isObject(body.conductor)) problems.push(`conductor: expected an object, got ${kind(body.conductor)}`)
    else {
      ext = body.conductor
      for (const key of Object.keys(ext))
        if (!KNOB_KEYS.includes(key))
          problems.push(`conductor.${key}: unknown field (known: ${KNOB_KEYS.join(", ")})`)
    }
  }
  /** A knob's value and where it came from (a header wins). */
  const knob = (header: string, key: string): { value: unknown; at: string } | undefined => {
    const h = headers.get(header)
    if (h !== undefined) return { value: h, at: header }
    return ext[key] !== undefined ? { value: ext[key], at: `conductor.${key}` } : undefined
  }
  const context: Json = isObject(req.context) ? { ...req.context } : {}

  const persona = knob("x-conductor-persona", "persona")
  if (persona !== undefined) {
    if (typeof persona.value !== "string" || persona.value === "")
      problems.push(`${persona.at}: expected a persona name`)
    else req.persona = persona.value
  }
  const tier = knob("x-conductor-tier", "tier")
  if (tier !== undefined) {
    if (!(TIERS as ReadonlyArray<unknown>).includes(tier.value))
      problems.push(`${tier.at}: expected ${TIERS.join(", ")}, got ${JSON.stringify(tier.value)}`)
    else if (req.tier !== undefined && req.tier !== tier.value)
      problems.push(
        `${tier.at}: the model field asks for auto:${String(req.tier)} but this asks for ${String(tier.value)}`,
      )
    else req.tier = tier.value
  }
  const priority = knob("x-conductor-priority", "priority")
  if (priority !== undefined) {
    if (!(PRIORITIES as ReadonlyArray<unknown>).includes(priority.value))
      problems.push(
        `${priority.at}: expected ${PRIORITIES.join(" or ")}, got ${JSON.stringify(priority.value)}`,
      )
    else if (req.priority !== undefined && req.priority !== priority.value)
      problems.push(
        `${priority.at}: asks for ${String(priority.value)} but service_tier asks for ${String(req.priority)}`,
      )
    else req.priority = priority.value
  }
  const docs = knob("x-conductor-docs", "retrievedDocs")
  if (docs !== undefined) {
    const n = count(docs.value)
    if (n === undefined) problems.push(`${docs.at}: expected an integer ≥ 0`)
    else context.retrievedDocs = n
  }
  if (ext.minContextWindow !== undefined) {
    const n = count(ext.minContextWindow)
    if (n === undefined || typeof ext.minContextWindow !== "number")
      problems.push("conductor.minContextWindow: expected an integer ≥ 0")
    else context.minContextWindow = n
  }
  if (Object.keys(context).length > 0) req.context = context
  const mode = knob("x-conductor-stream", "stream")
  if (mode !== undefined && mode.value !== "live" && mode.value !== "buffered")
    problems.push(`${mode.at}: expected live or buffered, got ${JSON.stringify(mode.value)}`)
  if (ext.fallbackMode !== undefined) {
    if (ext.fallbackMode !== "restart" && ext.fallbackMode !== "continue")
      problems.push(
        `conductor.fallbackMode: expected restart or continue, got ${JSON.stringify(ext.fallbackMode)}`,
      )
    else req.fallbackMode = ext.fallbackMode
  }
  return mode?.value === "live" || mode?.value === "buffered" ? mode.value : undefined
}
