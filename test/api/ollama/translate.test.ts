import { describe, expect, it } from "vitest"
import { decodeContext, encodeContext } from "../../../src/api/ollama/context.js"
import { parseKeepAlive } from "../../../src/api/ollama/keep-alive.js"
import { translateChat, translateGenerate } from "../../../src/api/ollama/translate.js"

const none = { get: (_: string) => undefined }
const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n] })
const USER = [{ role: "user", content: "What is the capital of France?" }]

const ok = <T extends { ok: boolean }>(t: T) => {
  if (!t.ok) throw new Error(`expected a translation, got ${JSON.stringify(t)}`)
  return (t as unknown as { value: Record<string, unknown> & { kind: string } }).value
}
const problem = (t: { ok: boolean; message?: string }) => {
  expect(t.ok).toBe(false)
  return t.message as string
}

describe("translateChat", () => {
  it("maps a chat role for role, streams by default (continued on failover, live) and ignores keep_alive", () => {
    const v = ok(
      translateChat(
        {
          model: "auto",
          keep_alive: "5m",
          messages: [
            { role: "System", content: "Be brief." },
            { role: "user", content: "Weather in Paris?", images: ["aGVsbG8="] },
            {
              role: "assistant",
              content: "",
              thinking: "the user wants weather",
              tool_calls: [
                { id: "call_1", function: { index: 0, name: "get_weather", arguments: { city: "Paris" } } },
              ],
            },
            { role: "tool", content: '{"temp": 21}', tool_name: "get_weather" },
          ],
        },
        none,
      ),
    )
    expect(v).toEqual({
      kind: "answer",
      stream: true,
      streamMode: "live",
      request: {
        fallbackMode: "continue",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Weather in Paris?", images: ["aGVsbG8="] },
          {
            role: "assistant",
            content: "",
            toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Paris" } }],
          },
          { role: "tool", content: '{"temp": 21}', name: "get_weather" },
        ],
      },
    })
  })

  it("maps options, format, think, tools and Conductor's headers; a format or tools holds the stream", () => {
    const tools = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }]
    const v = ok(
      translateChat(
        {
          model: "auto:quality",
          messages: USER,
          stream: true,
          format: { type: "object", properties: { city: { type: "string" } } },
          think: "high",
          tools,
          options: {
            num_predict: 64,
            temperature: 0.2,
            top_p: 0.9,
            seed: 42,
            stop: "END",
            num_ctx: 65536,
            top_k: 5,
          },
        },
        headers({ "x-conductor-persona": "analyst", "x-conductor-docs": "3" }),
      ),
    )
    expect(v.streamMode).toBe("buffered")
    expect(v.request).toEqual({
      tier: "quality",
      persona: "analyst",
      context: { retrievedDocs: 3 },
      format: { type: "object", properties: { city: { type: "string" } } },
      think: true,
      tools,
      messages: USER,
      // A held (buffered) stream is answered afresh on failover: nothing of it was sent yet.
      // num_ctx and top_k are not Conductor's to vary
      options: { numPredict: 64, temperature: 0.2, topP: 0.9, seed: 42, stop: ["END"] },
    })
  })

  it("leaves Ollama's 'no limit' and 'random' values unset; a non-streamed request keeps the configured fallback", () => {
    const v = ok(
      translateChat(
        {
          model: "llama3.1:8b",
          messages: USER,
          stream: false,
          format: "",
          options: { num_predict: -1, seed: -1 },
        },
        headers({ "x-conductor-stream": "buffered" }),
      ),
    )
    expect(v).toEqual({
      kind: "answer",
      stream: false,
      streamMode: "buffered",
      request: { model: "llama3.1:8b", messages: USER },
    })
    expect(ok(translateChat({ model: "auto", messages: USER, format: "json" }, none)).request).toMatchObject({
      format: "json",
    })
  })

  it("is a load request without messages, an unload one with keep_alive 0 in any spelling", () => {
    expect(ok(translateChat({ model: "mistral:7b" }, none))).toEqual({ kind: "load", model: "mistral:7b" })
    expect(ok(translateChat({ model: "mistral:7b", messages: [], keep_alive: -1 }, none)).kind).toBe("load")
    expect(ok(translateChat({ model: "mistral:7b", messages: [], keep_alive: "10m" }, none)).kind).toBe(
      "load",
    )
    for (const zero of [0, "0", "0s", "0m", "0h0m"]) {
      expect(ok(translateChat({ model: "mistral:7b", messages: [], keep_alive: zero }, none))).toEqual({
        kind: "unload",
        model: "mistral:7b",
      })
    }
    // An alias has nothing to load (`ollama run auto` sends this first); it cannot be unloaded.
    expect(ok(translateChat({ model: "auto", messages: [] }, none))).toEqual({ kind: "route", model: "auto" })
    expect(problem(translateChat({ model: "auto:fast", keep_alive: 0 }, none))).toMatch(
      /^model: an unload request \(no messages, keep_alive 0\) must name a model; auto:fast routes each query/,
    )
    expect(problem(translateChat({ model: "auto:huge" }, none))).toMatch(/^model: unknown tier 'huge'/)
  })

  it("reports every problem at once, each naming its field", () => {
    const message = problem(
      translateChat(
        {
          model: "auto:huge",
          messages: [{ role: "robot", content: "x" }, "hi", { role: "user", content: 3 }],
          format: "yaml",
          think: "very",
          stream: "yes",
          keep_alive: "soon",
          logprobs: true,
          options: { temperature: 7, top_p: 0, num_predict: 1.5, stop: [""] },
          tools: {},
        },
        headers({ "x-conductor-stream": "sometimes" }),
      ),
    )
    for (const part of [
      "model: unknown tier 'huge'",
      'messages[0].role: expected system, user, assistant or tool, got "robot"',
      "messages[1]: expected a message object, got string",
      "messages[2].content: expected a string, got number",
      'format: expected "json" or a JSON Schema object, got "yaml"',
      'think: expected true, false, "high", "medium" or "low", got "very"',
      "stream: expected a boolean",
      'keep_alive: "soon" is not a duration',
      "logprobs: not supported",
      "options.temperature: expected a number from 0 to 2",
      "options.top_p: expected a number above 0 and at most 1",
      "options.num_predict: expected an integer",
      "options.stop: expected a string or an array of up to 16 non-empty strings",
      "tools: expected an array, got object",
      'x-conductor-stream: expected live or buffered, got "sometimes"',
    ]) {
      expect(message).toContain(part)
    }
    expect(problem(translateChat([], none))).toBe("request: expected a JSON object, got an array")
    expect(problem(translateChat({ messages: USER }, none))).toMatch(/^model: required/)
  })

  it("takes tool-call arguments given as JSON text, and says when they are not an object", () => {
    const call = (args: unknown) =>
      translateChat(
        {
          model: "auto",
          messages: [
            ...USER,
            { role: "assistant", content: "", tool_calls: [{ function: { name: "f", arguments: args } }] },
          ],
        },
        none,
      )
    expect((ok(call('{"a":1}')).request as { messages: unknown[] }).messages[1]).toEqual({
      role: "assistant",
      content: "",
      toolCalls: [{ name: "f", arguments: { a: 1 } }],
    })
    expect(problem(call("[1]"))).toBe("messages[1].tool_calls[0].function.arguments: expected an object")
    expect(problem(call("{"))).toBe("messages[1].tool_calls[0].function.arguments: not valid JSON")
  })
})

describe("translateGenerate", () => {
  it("maps prompt and system; an empty prompt is a load or unload request", () => {
    expect(
      ok(translateGenerate({ model: "auto", prompt: "Hi", system: "Be kind.", stream: false }, none)),
    ).toEqual({
      kind: "answer",
      stream: false,
      streamMode: "live",
      request: { prompt: "Hi", system: "Be kind." },
      turns: { history: [], prompt: "Hi" },
    })
    expect(ok(translateGenerate({ model: "qwen3:4b", prompt: "" }, none))).toEqual({
      kind: "load",
      model: "qwen3:4b",
    })
    expect(ok(translateGenerate({ model: "qwen3:4b", keep_alive: 0 }, none))).toEqual({
      kind: "unload",
      model: "qwen3:4b",
    })
  })

  it("sends images and an earlier context as a chat", () => {
    const context = encodeContext([
      { role: "user", content: "Name a colour." },
      { role: "assistant", content: "Blue." },
    ])
    const v = ok(
      translateGenerate(
        { model: "auto", prompt: "Another?", system: "Short.", images: ["aW1n"], context },
        none,
      ),
    )
    expect(v.request).toEqual({
      fallbackMode: "continue",
      messages: [
        { role: "system", content: "Short." },
        { role: "user", content: "Name a colour." },
        { role: "assistant", content: "Blue." },
        { role: "user", content: "Another?", images: ["aW1n"] },
      ],
    })
    expect(v.turns).toEqual({
      history: [
        { role: "user", content: "Name a colour." },
        { role: "assistant", content: "Blue." },
      ],
      prompt: "Another?",
    })
  })

  it("refuses what Conductor cannot honour, naming the field", () => {
    const message = problem(
      translateGenerate(
        {
          model: "auto",
          prompt: "def f(",
          suffix: "return 1",
          raw: true,
          template: "{{ .Prompt }}",
          context: [1, 2, 3],
        },
        none,
      ),
    )
    expect(message).toContain("suffix: fill-in-the-middle is not supported")
    expect(message).toContain("raw: not supported")
    expect(message).toContain("template: not supported")
    expect(message).toContain("context: not a context this server returned")
  })
})

describe("context and keep_alive", () => {
  it("round-trips a conversation through context, with any text", () => {
    const turns = [
      { role: "user" as const, content: 'Ünïcödé "quotes" \n and emoji 🎉' },
      { role: "assistant" as const, content: "" },
    ]
    const ctx = encodeContext(turns)
    expect(ctx.every((n) => Number.isInteger(n) && n >= 0)).toBe(true)
    expect(decodeContext(ctx)).toEqual({ turns })
    expect(decodeContext([])).toEqual({ turns: [] })
    expect(decodeContext("abc")).toEqual({ error: "context: expected an array of integers, got string" })
    expect(decodeContext([ctx[0], 1.5])).toHaveProperty("error")
  })

  it("reads Ollama's durations", () => {
    expect(parseKeepAlive(0)).toEqual({ zero: true })
    expect(parseKeepAlive(300)).toEqual({ zero: false })
    expect(parseKeepAlive(-1)).toEqual({ zero: false })
    expect(parseKeepAlive("-1")).toHaveProperty("error")
    expect(parseKeepAlive("-1m")).toEqual({ zero: false })
    expect(parseKeepAlive("1h30m")).toEqual({ zero: false })
    expect(parseKeepAlive("0.0s")).toEqual({ zero: true })
    expect(parseKeepAlive("5 minutes")).toHaveProperty("error")
    expect(parseKeepAlive(true)).toEqual({
      error: "keep_alive: expected seconds or a duration string, got boolean",
    })
  })
})

describe("priority", () => {
  it("takes x-conductor-priority or conductor.priority, and refuses an unknown one by name", () => {
    const chat = (body: Record<string, unknown>, h: { get(n: string): string | undefined } = none) =>
      translateChat({ model: "auto", messages: USER, stream: false, ...body }, h)
    expect(ok(chat({}, headers({ "x-conductor-priority": "batch" }))).request).toMatchObject({
      priority: "batch",
    })
    expect(ok(chat({ conductor: { priority: "batch" } })).request).toMatchObject({ priority: "batch" })
    expect((ok(chat({})).request as Record<string, unknown>).priority).toBeUndefined()
    expect(problem(chat({ conductor: { priority: "low" } }))).toBe(
      'conductor.priority: expected interactive or batch, got "low"',
    )
  })
})
