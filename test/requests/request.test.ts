import { describe, expect, it } from "vitest"
import { prepareRequest } from "../../src/requests/request.js"

/** `{ [key]: { [key]: … } }`, `levels` deep, around `inner`. */
const nested = (levels: number, wrap: (inner: unknown) => unknown, inner: unknown = {}): unknown => {
  let v = inner
  for (let i = 0; i < levels; i++) v = wrap(v)
  return v
}

const problemsOf = (input: unknown, personas?: ReadonlySet<string>): string[] => {
  const r = prepareRequest(input, personas !== undefined ? { personas } : {})
  if (r.ok) return []
  return (r.error.details?.problems as string[] | undefined) ?? [r.error.message]
}

describe("requests/request: everything checkable is checked before acceptance", () => {
  it("names an unknown persona and the known ones", () => {
    const personas = new Set(["researcher", "developer"])
    expect(problemsOf({ prompt: "hi", persona: "nobody" }, personas)).toEqual([
      "persona: unknown persona 'nobody' (known: researcher, developer)",
    ])
    expect(problemsOf({ prompt: "hi", persona: "developer" }, personas)).toEqual([])
  })

  it("refuses a format that is not a JSON Schema, with the path of each problem", () => {
    expect(problemsOf({ prompt: "hi", format: { type: "nonsense" } })).toEqual([
      "format.type: unknown type 'nonsense' (expected one of string, number, integer, boolean, object, array, null)",
    ])
    expect(
      problemsOf({
        prompt: "hi",
        format: {
          type: "object",
          properties: { age: { type: ["integer", "int"] }, tags: { type: "array", items: 3 } },
          required: "age",
          minProperties: -1,
          anyOf: [],
        },
      }),
    ).toEqual([
      "format.properties.age.type: unknown type 'int' (expected one of string, number, integer, boolean, object, array, null)",
      "format.properties.tags.items: a schema must be an object or a boolean, got 3",
      "format.anyOf: expected a non-empty array of schemas, got an empty array",
      'format.required: expected an array of property names, got the string "age"',
      "format.minProperties: expected a non-negative integer, got -1",
    ])
    // Annotations and keywords it does not know are allowed, as JSON Schema says.
    expect(
      problemsOf({
        prompt: "hi",
        format: { type: "object", title: "T", "x-vendor": 1, properties: { a: { type: "string" } } },
      }),
    ).toEqual([])
  })

  it("refuses a format nested too deep or too large — however deep, without overflowing the stack", () => {
    for (const wrap of [
      (i: unknown) => ({ $defs: { a: i } }),
      (i: unknown) => ({ type: "object", properties: { a: i } }),
      (i: unknown) => ({ not: i }),
      (i: unknown) => ({ type: "string", examples: [i] }),
    ]) {
      expect(problemsOf({ prompt: "hi", format: nested(100_000, wrap) })).toEqual([
        "format: the schema is nested deeper than 32 levels of objects and arrays (the limit)",
      ])
    }
    // 32 levels are fine; 33 are not.
    expect(problemsOf({ prompt: "hi", format: nested(31, (i) => ({ items: i })) })).toEqual([])
    expect(problemsOf({ prompt: "hi", format: nested(32, (i) => ({ items: i })) })).toEqual([
      "format: the schema is nested deeper than 32 levels of objects and arrays (the limit)",
    ])
    const wide = { type: "object", description: "x".repeat(70_000) }
    expect(problemsOf({ prompt: "hi", format: wide })).toEqual([
      "format: the schema is larger than 64 KB (65536 characters of JSON, the limit)",
    ])
  })

  it("checks tools' parameter schemas the same way, and the depth of earlier calls' arguments", () => {
    const tool = (parameters: unknown) => ({
      prompt: "hi",
      tools: [{ type: "function", function: { name: "f", parameters } }],
    })
    expect(problemsOf(tool({ type: "object", properties: { x: { type: "float" } } }))).toEqual([
      "tools[0].function.parameters.properties.x.type: unknown type 'float' (expected one of string, number, integer, boolean, object, array, null)",
    ])
    expect(problemsOf(tool(nested(100_000, (i) => ({ $defs: { a: i } }))))).toEqual([
      "tools[0].function.parameters: the schema is nested deeper than 32 levels of objects and arrays (the limit)",
    ])
    const deepArgs = nested(100_000, (i) => ({ a: i })) as Record<string, unknown>
    expect(
      problemsOf({
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "", toolCalls: [{ name: "f", arguments: deepArgs }] },
        ],
      }),
    ).toEqual([
      "messages[1].toolCalls[0].arguments: nested deeper than 32 levels of objects and arrays (the limit)",
    ])
  })

  it("takes a tenant, `library` by default", () => {
    const r = prepareRequest({ prompt: "hi", tenant: "ws:7" })
    expect(r.ok && r.value.tenant).toBe("ws:7")
    const d = prepareRequest({ prompt: "hi" })
    expect(d.ok && d.value.tenant).toBe("library")
    expect(problemsOf({ prompt: "hi", tenant: "two words" })).toEqual([
      "tenant: expected 1 to 128 printable ASCII characters, no spaces",
    ])
  })
})
