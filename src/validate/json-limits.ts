/**
 * Bounds on the free-form JSON a request carries (an output format's schema, a tool's parameter
 * schema, the arguments of earlier tool calls): how deep it nests and how large it is. Checked
 * iteratively, so a value nested 100,000 levels deep (or a cyclic object from a library caller)
 * is refused with its limit named instead of overflowing the stack later, in code that would
 * blame the backend for it.
 */

/** Deepest nesting of objects and arrays accepted (`{}` is 1 level). */
export const MAX_JSON_DEPTH = 32
/** Largest JSON Schema accepted, in characters of its JSON text. */
export const MAX_SCHEMA_CHARS = 64 * 1024

export interface JsonLimits {
  readonly maxDepth: number
  /** Characters of JSON text (undefined: unbounded). */
  readonly maxChars?: number
}

/** Characters a scalar takes in JSON text (near enough: escapes are not counted). */
const scalarChars = (v: unknown): number =>
  typeof v === "string" ? v.length + 2 : typeof v === "number" ? String(v).length : 5

/**
 * Why `value` exceeds `limits` (a sentence naming the limit), or undefined when it does not.
 * Stops at the first level past the limit: cost is bounded by the limits, not by the value.
 */
export const checkJsonLimits = (value: unknown, limits: JsonLimits): string | undefined => {
  const stack: Array<{ readonly v: unknown; readonly depth: number }> = [{ v: value, depth: 0 }]
  let chars = 0
  const maxChars = limits.maxChars ?? Number.POSITIVE_INFINITY
  while (stack.length > 0) {
    const { v, depth } = stack.pop() as { v: unknown; depth: number }
    if (typeof v !== "object" || v === null) {
      chars += scalarChars(v)
    } else {
      if (depth + 1 > limits.maxDepth) {
        return `nested deeper than ${limits.maxDepth} levels of objects and arrays (the limit)`
      }
      if (Array.isArray(v)) {
        chars += 2 + Math.max(0, v.length - 1)
        for (const item of v) stack.push({ v: item, depth: depth + 1 })
      } else {
        const keys = Object.keys(v)
        chars += 2 + Math.max(0, keys.length - 1)
        for (const k of keys) {
          chars += k.length + 3
          stack.push({ v: (v as Record<string, unknown>)[k], depth: depth + 1 })
        }
      }
    }
    if (chars > maxChars) {
      return `larger than ${Math.round(maxChars / 1024)} KB (${maxChars} characters of JSON, the limit)`
    }
  }
  return undefined
}
