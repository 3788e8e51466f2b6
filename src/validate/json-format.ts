/**
 * Structured output: a request's `format` is "json" or a JSON Schema. The schema is checked and
 * compiled once when the request is submitted (`prepareFormat`: too deep or too large, not a JSON
 * Schema, or not one Effect can compile is the client's error, reported then with its path); the
 * answer must parse as JSON and, with a schema, conform to it.
 */
import { Cause, JsonSchema, Schema, SchemaIssue, SchemaRepresentation } from "effect"
import { checkJsonLimits, MAX_JSON_DEPTH, MAX_SCHEMA_CHARS } from "./json-limits.js"
import { checkJsonSchema } from "./schema-check.js"

export type OutputFormat = "json" | Readonly<Record<string, unknown>>

export interface CompiledFormat {
  readonly format: OutputFormat
  /** Returns undefined when `text` satisfies the format, else why not. */
  readonly check: (text: string) => string | undefined
  /** The same for a value already parsed (a tool call's arguments). */
  readonly checkValue: (value: unknown) => string | undefined
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const parse = (text: string): { ok: true; value: unknown } | { ok: false; message: string } => {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (e) {
    return { ok: false, message: `not valid JSON: ${(e as Error).message}` }
  }
}

/** Compile a request's format; throws with a message naming the problem when the schema is unusable. */
export const compileFormat = (format: OutputFormat): CompiledFormat => {
  if (format === "json") {
    return {
      format,
      check: (text) => {
        const r = parse(text)
        return r.ok ? undefined : r.message
      },
      checkValue: () => undefined,
    }
  }
  // Patterns from a client are not compiled (a hostile one could take forever to match).
  const schema = SchemaRepresentation.fromJsonSchemaDocument(
    JsonSchema.fromSchemaDraft2020_12(format as never),
    {
      patterns: "ignore",
    },
  )
  const decode = Schema.decodeUnknownExit(schema as Schema.Codec<unknown, unknown>)
  const checkValue = (value: unknown): string | undefined => {
    const exit = decode(value, { errors: "all" })
    if (exit._tag === "Success") return undefined
    const error = Cause.findErrorOption(exit.cause)
    if (error._tag === "None") return "does not match the requested schema"
    const issues = formatter(error.value.issue).issues
    return `does not match the requested schema: ${issues
      .map((i) => `${i.path?.length ? `${i.path.join(".")}: ` : ""}${i.message}`)
      .join("; ")}`
  }
  return {
    format,
    check: (text) => {
      const r = parse(text)
      return r.ok ? checkValue(r.value) : r.message
    },
    checkValue,
  }
}

/**
 * Check and compile a client's format or tool schema at `path` (`format`, `tools[0].function.parameters`):
 * its size and depth first (so nothing below can overflow the stack), then that it is a JSON
 * Schema, then that it compiles. Every problem names `path`.
 */
export const prepareFormat = (
  format: OutputFormat,
  path: string,
):
  | { readonly ok: true; readonly compiled: CompiledFormat }
  | { readonly ok: false; readonly problems: string[] } => {
  if (format !== "json") {
    const limit = checkJsonLimits(format, { maxDepth: MAX_JSON_DEPTH, maxChars: MAX_SCHEMA_CHARS })
    if (limit !== undefined) return { ok: false, problems: [`${path}: the schema is ${limit}`] }
    const problems = checkJsonSchema(format, path)
    if (problems.length > 0) return { ok: false, problems }
  }
  try {
    return { ok: true, compiled: compileFormat(format) }
  } catch (e) {
    return { ok: false, problems: [`${path}: unusable JSON Schema: ${(e as Error).message}`] }
  }
}
