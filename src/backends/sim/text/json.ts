/**
 * The simulator's JSON answers (a request with Ollama's `format`): a value that satisfies the
 * JSON Schema given, its strings, numbers and arrays shaped by the property names, or a small
 * `{answer, confidence}` object for plain "json".
 */

import type { TextContext } from "./prompt.js"
import { GENERAL } from "./prose.js"
import { between, pick, type Rng } from "./random.js"
import { cap, fill, singular } from "./templates.js"

type Schema = Readonly<Record<string, unknown>>

const JSON_PHRASES = [
  "{A} depends mostly on {b}.",
  "A short note about {a} and {b}.",
  "{A} is closely related to {c}.",
  "The key point is {a}.",
]

const isSchema = (v: unknown): v is Schema => typeof v === "object" && v !== null && !Array.isArray(v)
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined)
const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "") || "item"

/** The declared type: the first non-null one, else guessed from `properties` / `items`, else string. */
const typeOf = (s: Schema): string => {
  const t = s.type
  if (typeof t === "string") return t
  if (Array.isArray(t)) return t.find((x): x is string => typeof x === "string" && x !== "null") ?? "null"
  if (isSchema(s.properties)) return "object"
  return s.items !== undefined ? "array" : "string"
}

const stringFor = (key: string, s: Schema, c: TextContext): string => {
  const k = key.toLowerCase()
  const f = typeof s.format === "string" ? s.format : ""
  if (f === "email" || /e-?mail/.test(k)) return `${slug(c.slots.a)}@example.com`
  if (f === "uri" || /url|link|website/.test(k)) return `https://example.com/${slug(c.slots.a)}`
  if (f === "date-time") return "2024-05-17T09:30:00Z"
  if (f === "date" || /date|_at$/.test(k)) return "2024-05-17"
  if (/name|title|label|topic|category/.test(k)) return cap(c.slots.a)
  if (/(?:^|_)id$/.test(k)) return `${slug(c.slots.a)}-${between(c.rng, 1, 999)}`
  return fill(pick(c.rng, JSON_PHRASES), c.slots)
}

const numberFor = (key: string, s: Schema, rng: Rng, integer: boolean): number => {
  const unit = !integer && /confidence|score|probability|ratio|weight/.test(key.toLowerCase())
  const lo = num(s.minimum) ?? (integer ? 1 : 0)
  const hi = num(s.maximum) ?? (unit ? 1 : 100)
  const x = hi > lo ? lo + rng() * (hi - lo) : lo
  if (!integer) return Math.round(x * 100) / 100
  return Math.min(Math.floor(Math.max(hi, lo)), Math.max(Math.ceil(lo), Math.round(x)))
}

/** A value satisfying the schema's type (const, enum → first value, anyOf/oneOf → first branch). */
const valueFor = (schema: unknown, key: string, c: TextContext, depth: number): unknown => {
  if (!isSchema(schema)) return stringFor(key, {}, c)
  if ("const" in schema) return schema.const
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0]
  const branch = Array.isArray(schema.anyOf)
    ? schema.anyOf[0]
    : Array.isArray(schema.oneOf)
      ? schema.oneOf[0]
      : undefined
  if (branch !== undefined) return valueFor(branch, key, c, depth)
  switch (typeOf(schema)) {
    case "number":
      return numberFor(key, schema, c.rng, false)
    case "integer":
      return numberFor(key, schema, c.rng, true)
    case "boolean":
      return c.rng() < 0.5
    case "null":
      return null
    case "array": {
      const lo = num(schema.minItems) ?? 0
      const n = Math.max(lo, Math.min(num(schema.maxItems) ?? 3, between(c.rng, 2, 3)))
      const items = schema.items ?? {}
      if (depth > 4) return []
      if (
        isSchema(items) &&
        typeOf(items) === "string" &&
        items.enum === undefined &&
        items.format === undefined
      ) {
        return Array.from({ length: n }, (_, i) => c.words[i] ?? `${c.words[0] ?? "item"} ${i + 1}`)
      }
      return Array.from({ length: n }, () => valueFor(items, singular(key), c, depth + 1))
    }
    case "object": {
      const props = isSchema(schema.properties) ? schema.properties : {}
      const required = Array.isArray(schema.required)
        ? schema.required.filter((r) => typeof r === "string")
        : []
      const out: Record<string, unknown> = {}
      if (depth > 4) return out
      for (const name of [...Object.keys(props), ...required]) {
        if (!(name in out)) out[name] = valueFor(props[name] ?? {}, name, c, depth + 1)
      }
      return out
    }
    default:
      return stringFor(key, schema, c)
  }
}

/** A schema with a type or properties is followed; plain "json" (or an empty schema) gets a small answer. */
export const json = (c: TextContext, format: "json" | Schema): string => {
  if (isSchema(format) && (format.type !== undefined || isSchema(format.properties))) {
    return JSON.stringify(valueFor(format, "", c, 0))
  }
  const answer = fill(pick(c.rng, GENERAL), c.slots)
  return JSON.stringify({ answer, confidence: Math.round((0.6 + c.rng() * 0.35) * 100) / 100 })
}

/**
 * A JSON value satisfying `schema` (objects carry every property, required ones included); `key`
 * is the property it is for (names such as email, url, date or confidence shape the value).
 */
export const schemaValue = (schema: unknown, c: TextContext, key = ""): unknown => valueFor(schema, key, c, 0)
