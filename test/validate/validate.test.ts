import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { parseConfig } from "../../src/config/load.js"
import { compileFormat } from "../../src/validate/json-format.js"
import { blameOf, ruleFor, validateAnswer } from "../../src/validate/validate.js"
import { bundledConfig } from "../support/router-env.js"

const config = () => bundledConfig().conductor.validation
const answer = (text: string, over: Partial<Parameters<typeof validateAnswer>[0]> = {}) => ({
  text,
  doneReason: "stop" as const,
  taskType: "general_qa" as const,
  format: undefined,
  lengthCapped: false,
  codeAsked: true,
  toolCalls: [],
  tools: undefined,
  ...over,
})

describe("validate", () => {
  it("applies the default checks and the task's own (code present for code generation)", () => {
    const general = ruleFor(config(), "general_qa")
    expect(validateAnswer(answer("Paris is the capital of France."), general)).toEqual({
      ok: true,
      failures: [],
    })
    expect(validateAnswer(answer(""), general).failures).toEqual([
      { validator: "nonEmpty", message: "empty answer", blame: "model" },
    ])
    const code = ruleFor(config(), "code_generation")
    expect(validateAnswer(answer("Use a loop.", { taskType: "code_generation" }), code).failures).toEqual([
      { validator: "codePresent", message: "no code in the answer to a code task", blame: "model" },
    ])
    // A doubtful classification is checked by the defaults only: a misread question's good
    // answer must not fail (and blame every model) for want of code.
    const doubtful = ruleFor(config(), "code_generation", 0.84)
    expect(validateAnswer(answer("Use a loop.", { taskType: "code_generation" }), doubtful).ok).toBe(true)
    // A request about code (a review, an explanation) may be answered in prose.
    const review = answer("1. The token expiry is never checked.\n2. No test covers a revoked key.", {
      taskType: "code_generation",
      codeAsked: false,
    })
    expect(validateAnswer(review, code).ok).toBe(true)
  })

  it("a length cut fails unless the client capped the length or the task allows it", () => {
    const rule = ruleFor(config(), "general_qa")
    expect(validateAnswer(answer("Partial", { doneReason: "length" }), rule).ok).toBe(false)
    expect(validateAnswer(answer("Partial", { doneReason: "length", lengthCapped: true }), rule).ok).toBe(
      true,
    )
    expect(
      validateAnswer(answer("Partial", { doneReason: "length" }), { ...rule, allowTruncated: true }).ok,
    ).toBe(true)
  })

  it("checks JSON and JSON Schema formats", () => {
    const rule = ruleFor(config(), "general_qa")
    const json = compileFormat("json")
    expect(validateAnswer(answer('{"a": 1}', { format: json }), rule).ok).toBe(true)
    expect(validateAnswer(answer("{a: 1}", { format: json }), rule).failures[0]?.message).toMatch(
      /^not valid JSON/,
    )
    const person = compileFormat({
      type: "object",
      properties: { name: { type: "string" }, age: { type: "integer", minimum: 0 } },
      required: ["name", "age"],
    })
    expect(validateAnswer(answer('{"name": "Ada", "age": 36}', { format: person }), rule).ok).toBe(true)
    const bad = validateAnswer(answer('{"name": "Ada", "age": -1}', { format: person }), rule)
    expect(bad.failures[0]).toMatchObject({
      validator: "format",
      message: expect.stringMatching(/does not match the requested schema: age: /),
    })
    expect(validateAnswer(answer('{"name": "Ada"}', { format: person }), rule).failures[0]?.message).toMatch(
      /age/,
    )
  })

  it("checks an answer in a requested format by its format, not by prose or code checks it cannot meet", () => {
    const code = ruleFor(config(), "code_generation")
    const json = compileFormat("json")
    // A code task asking for JSON: a JSON answer holds no code block, and must not need one.
    const plan = answer('{"steps": ["Define the routes", "Write the handler"]}', {
      taskType: "code_generation",
      format: json,
    })
    expect(validateAnswer(plan, code)).toEqual({ ok: true, failures: [] })
    // JSON may repeat itself legitimately (a list of equal items).
    const rows = answer(JSON.stringify({ rows: Array(80).fill("same value") }), { format: json })
    expect(validateAnswer(rows, ruleFor(config(), "general_qa")).ok).toBe(true)
    // Empty and cut-off answers still fail, and blame the model.
    expect(validateAnswer(answer("", { format: json }), code).failures).toContainEqual(
      expect.objectContaining({ validator: "nonEmpty", blame: "model" }),
    )
    expect(
      validateAnswer(answer('{"steps": [', { format: json, doneReason: "length" }), code).failures.map(
        (f) => `${f.validator}:${f.blame}`,
      ),
    ).toEqual(["truncated:model", "format:request"])
  })

  it("blames the request for an answer that fails its format or a tool's argument schema, the model for the rest", () => {
    const rule = ruleFor(config(), "general_qa")
    const never = answer('{"a": 1}', { format: compileFormat({ not: {} }) })
    const failed = validateAnswer(never, rule)
    expect(failed.failures).toEqual([
      { validator: "format", message: expect.stringMatching(/does not match/), blame: "request" },
    ])
    expect(blameOf(failed.failures)).toBe("request")
    const tools = {
      schemas: new Map([["add", compileFormat({ type: "object", required: ["a"] })]]),
      required: undefined,
    }
    const call = (name: string, args: Record<string, unknown>) =>
      answer("", { toolCalls: [{ id: "c1", name, arguments: args }], tools })
    expect(validateAnswer(call("add", {}), rule).failures.map((f) => f.blame)).toEqual(["request"])
    expect(validateAnswer(call("nope", { a: 1 }), rule).failures.map((f) => f.blame)).toEqual(["model"])
    expect(blameOf([])).toBe("model")
    expect(
      blameOf([
        { validator: "format", message: "x", blame: "request" },
        { validator: "truncated", message: "y", blame: "model" },
      ]),
    ).toBe("model")
  })

  it("rejects a schema it cannot use when the request is made", () => {
    expect(() => compileFormat({ type: "object", $ref: "http://example.com/remote.json" })).toThrow()
  })

  it("is configurable per task in conductor.yaml", () => {
    const c = Result.getOrThrow(
      parseConfig({
        conductor: {
          display: "conductor.yaml",
          text: "validation:\n  default:\n    refusal: false\n  tasks:\n    creative:\n      allowTruncated: true\n",
        },
        models: {
          display: "models.yaml",
          text: "models:\n  - {name: m:1b, sizeB: 1, contextWindow: 4096, capabilities: [general], tier: fast, memoryGb: 1, tokensPerSec: 50}\n",
        },
        personas: { display: "personas.yaml", text: "personas: {}\n" },
      }),
    )
    expect(ruleFor(c.conductor.validation, "creative")).toMatchObject({
      refusal: false,
      allowTruncated: true,
      nonEmpty: true,
    })
  })
})
