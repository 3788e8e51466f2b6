/**
 * Structured output: a request's `format` is "json" or a JSON Schema. The schema is compiled once
 * when the request is submitted (an unsupported schema is the client's error, reported then);
 * the answer must parse as JSON and, with a schema, conform to it.
 */
import { Cause, JsonSchema, Schema, SchemaIssue, SchemaRepresentation } from "effect"

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
