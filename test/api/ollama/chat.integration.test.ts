/**
 * `/api/chat` and `/api/generate` as Ollama clients use them: the official `ollama` client
 * (ollama-js) against `conductor serve` on the simulator (tiny-ci, 20× time): answers streamed
 * and not, in Ollama's shapes with nanosecond metrics, JSON and JSON Schema formats, tools,
 * generate's context, Conductor's headers and summary, and Ollama's errors.
 */
import { Ollama } from "ollama"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Served, serve } from "../../support/serve.js"

const PROMPT = "What is the capital of France?"

/** An ollama-js client that also keeps the last response's headers. */
const client = (host: string) => {
  const seen: { headers?: Headers } = {}
  const ollama = new Ollama({
    host,
    fetch: async (input, init) => {
      const res = await fetch(input, init)
      seen.headers = res.headers
      return res
    },
  })
  return { ollama, seen }
}

interface Metrics {
  total_duration: number
  load_duration: number
  prompt_eval_count: number
  prompt_eval_duration: number
  eval_count: number
  eval_duration: number
}

/** Ollama's metrics: whole nanoseconds, counts, and the parts fit in the whole. */
const expectMetrics = (m: Metrics) => {
  for (const k of [
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
  ] as const) {
    expect(Number.isInteger(m[k]), k).toBe(true)
    expect(m[k], k).toBeGreaterThanOrEqual(0)
  }
  expect(m.eval_count).toBeGreaterThan(0)
  expect(m.prompt_eval_count).toBeGreaterThan(0)
  expect(m.eval_duration).toBeGreaterThan(0)
  expect(m.total_duration).toBeGreaterThanOrEqual(m.load_duration + m.prompt_eval_duration + m.eval_duration)
}

describe("Ollama API: chat and generate (ollama-js against conductor serve)", () => {
  let server: Served
  let host: string

  beforeAll(async () => {
    server = await serve(["--backend", "sim", "--sim-profile", "tiny-ci", "--time-scale", "5"])
    host = server.url
  })
  afterAll(async () => {
    await server.stop()
  })

  it("answers a chat in one object: the model that answered, the message, done_reason, ns metrics, the decision", async () => {
    const { ollama, seen } = client(host)
    const r = await ollama.chat({
      model: "auto",
      messages: [{ role: "user", content: PROMPT }],
      stream: false,
    })
    expect(r.done).toBe(true)
    expect(r.done_reason).toBe("stop")
    expect(r.message.role).toBe("assistant")
    expect(r.message.content.length).toBeGreaterThan(0)
    expect(Number.isNaN(Date.parse(r.created_at as unknown as string))).toBe(false)
    expectMetrics(r)
    const conductor = (r as unknown as { conductor: Record<string, unknown> }).conductor
    expect(conductor).toMatchObject({
      model: r.model,
      routed: { tier: expect.any(String), reason: expect.any(String), chain: expect.any(Array) },
      attempts: [{ model: r.model, outcome: "completed" }],
      fallbacks: [],
      labels: expect.any(Array),
    })
    expect(seen.headers?.get("x-conductor-model")).toBe(r.model)
    expect(seen.headers?.get("x-conductor-request-id")).toBe(conductor.requestId)
    expect(seen.headers?.get("x-conductor-tier")).toBe((conductor.routed as { tier: string }).tier)
    expect(seen.headers?.get("x-conductor-reason")).toBe((conductor.routed as { reason: string }).reason)
  })

  it("streams a chat as NDJSON: chunks, then one done chunk with the metrics; the same answer as unstreamed", async () => {
    const { ollama, seen } = client(host)
    const messages = [{ role: "user", content: "Tell me about lighthouses." }]
    const whole = await ollama.chat({ model: "llama3.1:8b", messages, stream: false, options: { seed: 3 } })
    const stream = await ollama.chat({ model: "llama3.1:8b", messages, stream: true, options: { seed: 3 } })
    expect(seen.headers?.get("content-type")).toBe("application/x-ndjson")
    expect(seen.headers?.get("x-conductor-model")).toBe("llama3.1:8b")
    const parts = []
    for await (const part of stream) parts.push(part)
    const last = parts.at(-1)
    expect(parts.length).toBeGreaterThan(2)
    expect(parts.slice(0, -1).every((p) => p.done === false && p.model === "llama3.1:8b")).toBe(true)
    expect(last?.done).toBe(true)
    expect(last?.message.content).toBe("")
    expect(last?.done_reason).toBe("stop")
    expectMetrics(last as Metrics)
    const text = parts.map((p) => p.message.content).join("")
    expect(text).toBe(whole.message.content)
    expect(last?.eval_count).toBe(whole.eval_count)
  })

  it("defaults to streaming when the body says nothing (Ollama's default)", async () => {
    const res = await fetch(`${host}/api/chat`, {
      method: "POST",
      body: JSON.stringify({ model: "auto", messages: [{ role: "user", content: PROMPT }] }),
    })
    expect(res.headers.get("content-type")).toBe("application/x-ndjson")
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.at(-1)).toMatchObject({ done: true, done_reason: "stop" })
    expect(lines.filter((l) => l.done === true)).toHaveLength(1)
  })

  it("stops at num_predict with done_reason length", async () => {
    const { ollama } = client(host)
    const r = await ollama.generate({
      model: "mistral:7b",
      prompt: "Summarise the history of the printing press in detail.",
      stream: false,
      options: { num_predict: 5 },
    })
    expect(r.done_reason).toBe("length")
    expect(r.eval_count).toBeLessThanOrEqual(5)
  })

  it("answers in JSON, and in a JSON Schema's shape, streamed or not", async () => {
    const { ollama } = client(host)
    const json = await ollama.chat({
      model: "auto",
      messages: [{ role: "user", content: "List three primary colours as JSON." }],
      format: "json",
      stream: false,
    })
    expect(() => JSON.parse(json.message.content)).not.toThrow()
    const schema = {
      type: "object",
      properties: { city: { type: "string" }, population: { type: "integer" } },
      required: ["city", "population"],
    }
    const stream = await ollama.chat({
      model: "auto",
      messages: [{ role: "user", content: "The largest city in Japan and its population." }],
      format: schema,
      stream: true,
    })
    let text = ""
    for await (const part of stream) text += part.message.content
    const value = JSON.parse(text) as Record<string, unknown>
    expect(typeof value.city).toBe("string")
    expect(Number.isInteger(value.population)).toBe(true)
  })

  it("generates, streamed and not, with context that carries the conversation to the next prompt", async () => {
    const { ollama } = client(host)
    const first = await ollama.generate({ model: "auto", prompt: "Name a colour.", stream: false })
    expect(first.response?.length).toBeGreaterThan(0)
    expect(first.done_reason).toBe("stop")
    expectMetrics(first)
    expect(first.context.length).toBeGreaterThan(0)
    const stream = await ollama.generate({
      model: "auto",
      prompt: "Name another one.",
      system: "Answer briefly.",
      context: first.context,
      stream: true,
    })
    const parts = []
    for await (const part of stream) parts.push(part)
    const last = parts.at(-1)
    expect(last?.done).toBe(true)
    expect(last?.response).toBe("")
    expectMetrics(last as Metrics)
    expect(
      parts
        .slice(0, -1)
        .map((p) => p.response)
        .join("").length,
    ).toBeGreaterThan(0)
    // The context grew by this exchange; a context from elsewhere is refused.
    expect(last?.context.length).toBeGreaterThan(first.context.length)
    await expect(ollama.generate({ model: "auto", prompt: "x", context: [1, 2, 3] })).rejects.toMatchObject({
      status_code: 400,
      error: expect.stringContaining("context: not a context this server returned"),
    })
  })

  it("streams a thinking model's reasoning as message.thinking before its answer; others ignore think", async () => {
    const { ollama } = client(host)
    const messages = [{ role: "user", content: "What is 17 times 3?" }]
    const stream = await ollama.chat({ model: "qwen3:4b", messages, think: true, stream: true })
    const parts = []
    for await (const part of stream) parts.push(part)
    const thinking = parts.filter((p) => (p.message.thinking ?? "") !== "")
    const firstContent = parts.findIndex((p) => p.message.content !== "")
    expect(thinking.length).toBeGreaterThan(0)
    expect(thinking.every((p) => p.message.content === "")).toBe(true)
    expect(parts.indexOf(thinking[0] as (typeof parts)[number])).toBeLessThan(firstContent)
    const whole = await ollama.chat({ model: "qwen3:4b", messages, think: true, stream: false })
    expect(whole.message.thinking).toBe(thinking.map((p) => p.message.thinking).join(""))
    const generated = await ollama.generate({ model: "qwen3:4b", prompt: "What is 17 times 3?", think: true })
    expect(generated.thinking?.length).toBeGreaterThan(0)
    const plain = await ollama.chat({ model: "llama3.1:8b", messages, think: true, stream: false })
    expect(plain.done_reason).toBe("stop")
    expect(plain.message.thinking).toBeUndefined()
  })

  it("says what Ollama says for an unknown model (404) and names the field for a bad request (400)", async () => {
    const { ollama } = client(host)
    await expect(
      ollama.chat({ model: "nope:1b", messages: [{ role: "user", content: PROMPT }] }),
    ).rejects.toMatchObject({ name: "ResponseError", status_code: 404, error: "model 'nope:1b' not found" })
    await expect(ollama.generate({ model: "nope:1b", prompt: PROMPT, stream: true })).rejects.toMatchObject({
      status_code: 404,
      error: "model 'nope:1b' not found",
    })
    const bad = await fetch(`${host}/api/chat`, { method: "POST", body: '{"model": "auto", "messages": [' })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: string }).error).toMatch(/^request: not valid JSON/)
    await expect(
      ollama.chat({
        model: "auto",
        messages: [{ role: "user", content: PROMPT }],
        options: { temperature: 9 },
      }),
    ).rejects.toMatchObject({ status_code: 400, error: "options.temperature: expected a number from 0 to 2" })
    await expect(ollama.generate({ model: "auto", prompt: "def f(", suffix: "pass" })).rejects.toMatchObject({
      status_code: 400,
      error: expect.stringMatching(/^suffix: fill-in-the-middle is not supported/),
    })
    const method = await fetch(`${host}/api/chat`)
    expect(method.status).toBe(405)
    expect(await method.json()).toEqual({ error: "GET /api/chat is not allowed; use POST" })
  })

  // Needs the simulator's tool calls (branch sim-openai); see the report.
  describe("tools round trip (needs the simulator's tool calls)", () => {
    it("calls a tool, takes the result back as a tool message with tool_name, and answers", async () => {
      const { ollama } = client(host)
      const tools = [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "The current weather in a city",
            parameters: {
              type: "object",
              properties: { city: { type: "string", description: "The city" } },
              required: ["city"],
            },
          },
        },
      ]
      const messages: Array<Record<string, unknown>> = [
        { role: "user", content: "What is the weather in Paris right now? Use the tool." },
      ]
      const first = await ollama.chat({ model: "auto", messages: messages as never, tools, stream: false })
      const calls = first.message.tool_calls ?? []
      expect(calls.length).toBeGreaterThan(0)
      const call = calls[0] as {
        id?: string
        function: { index?: number; name: string; arguments: Record<string, unknown> }
      }
      expect(call.function.name).toBe("get_weather")
      expect(call.function.index).toBe(0)
      expect(typeof call.function.arguments.city).toBe("string")
      messages.push(first.message as never, {
        role: "tool",
        content: '{"temperature": 21}',
        tool_name: "get_weather",
      })
      // Streamed this time: the held answer arrives once validated.
      const stream = await ollama.chat({
        model: first.model,
        messages: messages as never,
        tools,
        stream: true,
      })
      const parts = []
      for await (const part of stream) parts.push(part)
      expect(parts.at(-1)?.done).toBe(true)
      expect(parts.map((p) => p.message.content).join("").length).toBeGreaterThan(0)
    })
  })
})
