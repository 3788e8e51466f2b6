/**
 * Conductor's own knobs on a compatible API's request, which neither OpenAI's nor Ollama's body
 * has a field for: headers `x-conductor-persona`, `x-conductor-tier`, `x-conductor-docs`
 * (documents retrieved for the query) and `x-conductor-stream` (live | buffered), or the same in
 * a body object `conductor` (`persona`, `tier`, `retrievedDocs`, `minContextWindow`, `stream`,
 * `fallbackMode`); a header wins over the body. A tier that contradicts `auto:<tier>` is an error.
 */
import type { StreamMode } from "./stream-policy.js"

interface Headers {
  get(name: string): string | undefined
}

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)

/** Set the knobs on `req` (a request being built); returns the stream mode asked for, if any. */
export const applyKnobs = (
  body: Json,
  headers: Headers,
  req: Record<string, unknown>,
  problems: string[],
): StreamMode | undefined => {
  const ext = isObject(body.conductor) ? body.conductor : {}
  if (body.conductor !== undefined && !isObject(body.conductor))
    problems.push("conductor: expected an object")
  const persona = headers.get("x-conductor-persona") ?? ext.persona
  if (persona !== undefined) req.persona = persona
  const tier = headers.get("x-conductor-tier") ?? ext.tier
  if (tier !== undefined) {
    if (req.tier !== undefined && req.tier !== tier)
      problems.push(
        `tier: the model field says auto:${String(req.tier)} but the tier asked for is ${String(tier)}`,
      )
    req.tier = tier
  }
  const docs = headers.get("x-conductor-docs") ?? ext.retrievedDocs
  if (docs !== undefined) {
    const n = typeof docs === "string" ? Number(docs) : docs
    if (!Number.isInteger(n) || (n as number) < 0) problems.push("x-conductor-docs: expected an integer ≥ 0")
    else req.context = { ...(isObject(req.context) ? req.context : {}), retrievedDocs: n }
  }
  if (ext.minContextWindow !== undefined) {
    req.context = { ...(isObject(req.context) ? req.context : {}), minContextWindow: ext.minContextWindow }
  }
  const mode = headers.get("x-conductor-stream") ?? ext.stream
  if (mode !== undefined && mode !== "live" && mode !== "buffered") {
    problems.push(`x-conductor-stream: expected live or buffered, got ${JSON.stringify(mode)}`)
  }
  if (ext.fallbackMode !== undefined) req.fallbackMode = ext.fallbackMode
  return mode === "live" || mode === "buffered" ? mode : undefined
}
