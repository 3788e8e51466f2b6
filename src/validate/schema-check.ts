/**
 * Is it a JSON Schema? A structural check of a client's schema (an output format, a tool's
 * parameters) before it is compiled: every subschema is an object or a boolean, `type` names
 * JSON types (`string`, `number`, `integer`, `boolean`, `object`, `array`, `null`), and each
 * keyword of draft 2020-12 (and draft-07's `definitions`, `dependencies`, array `items`) has a
 * value of the kind it takes. Unknown keywords are annotations, as the specification says, and
 * pass. Every problem is reported with its path (`format.properties.age.type: …`). Callers
 * check the nesting depth first (json-limits.ts): this walk recurses.
 */

const TYPES = ["string", "number", "integer", "boolean", "object", "array", "null"] as const
const TYPE_SET: ReadonlySet<string> = new Set(TYPES)

/** Keywords whose value is one schema. */
const SCHEMA_KEYWORDS = [
  "not",
  "additionalProperties",
  "additionalItems",
  "contains",
  "propertyNames",
  "if",
  "then",
  "else",
  "unevaluatedItems",
  "unevaluatedProperties",
  "contentSchema",
]
/** Keywords whose value is an object of schemas. */
const SCHEMA_MAP_KEYWORDS = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]
/** Keywords whose value is a non-empty array of schemas. */
const SCHEMA_LIST_KEYWORDS = ["allOf", "anyOf", "oneOf", "prefixItems"]
const COUNT_KEYWORDS = [
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "minContains",
  "maxContains",
]
const NUMBER_KEYWORDS = ["minimum", "maximum"]
const STRING_KEYWORDS = [
  "pattern",
  "format",
  "$ref",
  "$id",
  "$schema",
  "$anchor",
  "$comment",
  "title",
  "description",
]
const BOOLEAN_KEYWORDS = ["uniqueItems", "readOnly", "writeOnly", "deprecated"]

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

const key = (path: string, k: string): string =>
  /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`

/** Every problem that keeps `schema` from being a JSON Schema, each prefixed with its path. */
export const checkJsonSchema = (schema: unknown, path: string): string[] => {
  const problems: string[] = []
  walk(schema, path, problems)
  return problems
}

const walk = (schema: unknown, path: string, problems: string[]): void => {
  if (typeof schema === "boolean") return
  if (!isObject(schema)) {
    problems.push(`${path}: a schema must be an object or a boolean, got ${kindOf(schema)}`)
    return
  }
  const s = schema
  if ("type" in s) checkType(s.type, key(path, "type"), problems)
  for (const k of SCHEMA_KEYWORDS) if (k in s) walk(s[k], key(path, k), problems)
  for (const k of SCHEMA_MAP_KEYWORDS) {
    if (!(k in s)) continue
    const map = s[k]
    if (!isObject(map)) problems.push(`${key(path, k)}: expected an object of schemas, got ${kindOf(map)}`)
    else for (const [name, sub] of Object.entries(map)) walk(sub, key(key(path, k), name), problems)
  }
  for (const k of SCHEMA_LIST_KEYWORDS) {
    if (!(k in s)) continue
    const list = s[k]
    if (!Array.isArray(list) || list.length === 0)
      problems.push(`${key(path, k)}: expected a non-empty array of schemas, got ${kindOf(list)}`)
    else walkEach(list, key(path, k), problems)
  }
  if ("items" in s) {
    // A schema (2020-12), or an array of schemas (draft-07 tuples).
    if (Array.isArray(s.items)) walkEach(s.items, key(path, "items"), problems)
    else walk(s.items, key(path, "items"), problems)
  }
  if ("dependencies" in s) {
    const deps = s.dependencies
    if (!isObject(deps))
      problems.push(`${key(path, "dependencies")}: expected an object, got ${kindOf(deps)}`)
    else
      for (const [name, d] of Object.entries(deps)) {
        if (Array.isArray(d)) checkStrings(d, key(key(path, "dependencies"), name), problems)
        else walk(d, key(key(path, "dependencies"), name), problems)
      }
  }
  if ("dependentRequired" in s) {
    const deps = s.dependentRequired
    if (!isObject(deps))
      problems.push(`${key(path, "dependentRequired")}: expected an object, got ${kindOf(deps)}`)
    else
      for (const [name, d] of Object.entries(deps))
        checkStrings(d, key(key(path, "dependentRequired"), name), problems)
  }
  if ("required" in s) checkStrings(s.required, key(path, "required"), problems)
  if ("enum" in s && !Array.isArray(s.enum))
    problems.push(`${key(path, "enum")}: expected an array of values, got ${kindOf(s.enum)}`)
  for (const k of COUNT_KEYWORDS) {
    if (k in s && !(Number.isInteger(s[k]) && (s[k] as number) >= 0))
      problems.push(`${key(path, k)}: expected a non-negative integer, got ${kindOf(s[k])}`)
  }
  for (const k of NUMBER_KEYWORDS) {
    if (k in s && typeof s[k] !== "number")
      problems.push(`${key(path, k)}: expected a number, got ${kindOf(s[k])}`)
  }
  for (const k of ["exclusiveMinimum", "exclusiveMaximum"]) {
    // A number (draft 6 on), or a boolean (draft 4).
    if (k in s && typeof s[k] !== "number" && typeof s[k] !== "boolean")
      problems.push(`${key(path, k)}: expected a number, got ${kindOf(s[k])}`)
  }
  if ("multipleOf" in s && !(typeof s.multipleOf === "number" && s.multipleOf > 0))
    problems.push(`${key(path, "multipleOf")}: expected a number greater than 0, got ${kindOf(s.multipleOf)}`)
  for (const k of STRING_KEYWORDS) {
    if (k in s && typeof s[k] !== "string")
      problems.push(`${key(path, k)}: expected a string, got ${kindOf(s[k])}`)
  }
  for (const k of BOOLEAN_KEYWORDS) {
    if (k in s && typeof s[k] !== "boolean")
      problems.push(`${key(path, k)}: expected a boolean, got ${kindOf(s[k])}`)
  }
}

const walkEach = (list: ReadonlyArray<unknown>, path: string, problems: string[]): void => {
  for (let i = 0; i < list.length; i++) walk(list[i], `${path}[${i}]`, problems)
}

const checkType = (type: unknown, path: string, problems: string[]): void => {
  const names = Array.isArray(type) ? type : [type]
  if (Array.isArray(type) && type.length === 0) {
    problems.push(`${path}: expected a type name or a non-empty array of them`)
    return
  }
  const seen = new Set<unknown>()
  for (const t of names) {
    if (typeof t !== "string" || !TYPE_SET.has(t)) {
      problems.push(
        `${path}: unknown type ${typeof t === "string" ? `'${t}'` : kindOf(t)} (expected one of ${TYPES.join(", ")})`,
      )
    } else if (seen.has(t)) problems.push(`${path}: '${t}' is listed twice`)
    seen.add(t)
  }
}

const checkStrings = (v: unknown, path: string, problems: string[]): void => {
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string"))
    problems.push(`${path}: expected an array of property names, got ${kindOf(v)}`)
}

const kindOf = (v: unknown): string => {
  if (v === null) return "null"
  if (Array.isArray(v)) return v.length === 0 ? "an empty array" : "an array"
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`
  if (typeof v === "number" || typeof v === "boolean") return String(v)
  return typeof v === "object" ? "an object" : typeof v
}
