/**
 * Tool calls over the simulator's Ollama API with the official `ollama` client: a model with the
 * `tools` capability calls the offered tool that best matches the prompt, with arguments that
 * satisfy its schema, streamed as Ollama streams them (one chunk with `message.tool_calls`, empty
 * content, then the done chunk with `done_reason: "stop"`), and answers in text once the tool's
 * result is in; a model without the capability is Ollama's 400.
 */
import type { ChatResponse, Message, Tool } from "ollama"
import { afterEach, describe, expect, it } from "vitest"
import { decodeProfile } from "../../../src/backends/sim/index.js"
import { ollamaFailure, type SimHttp, startSimHttp, tinyProfile } from "../../support/sim-http.js"

const sims: SimHttp[] = []
afterEach(async () => {
  for (const s of sims.splice(0)) await s.close()
})
const start = async (...args: Parameters<typeof startSimHttp>) => {
  const s = await startSimHttp(...args)
  sims.push(s)
  return s
}

const TOOLS: Tool[] = [
  {
    type: "function",
    function: {
      name: "search_web",
      description: "Search the web for pages",
      parameters: { type: "object", properties: { query: { type: "string" } }, required: ["query"] },
    },
  },
  {
    type: "function",
    function: {
      name: "get_current_weather",
      description: "Get the current weather for a city",
      parameters: {
        type: "object",
        properties: {
          city: { type: "string", description: "The city" },
          unit: { type: "string", enum: ["celsius", "fahrenheit"] },
          days: { type: "integer", description: "How many days ahead" },
        },
        required: ["city", "unit"],
      },
    },
  },
]
const QUESTION = "What is the weather like in Paris today?"

describe("backends/sim tool calls (ollama client)", () => {
  it("streams one tool_calls chunk (empty content, Ollama's id and index), then done with done_reason stop", async () => {
    const { ollama } = await start()
    const chunks: ChatResponse[] = []
    const stream = await ollama.chat({
      model: "llama3.1:8b",
      messages: [{ role: "user", content: QUESTION }],
      tools: TOOLS,
      stream: true,
    })
    for await (const c of stream) chunks.push(c)
    expect(chunks).toHaveLength(2)
    const [call, done] = chunks as [ChatResponse, ChatResponse]
    expect(call.done).toBe(false)
    expect(call.message.content).toBe("")
    const calls = call.message.tool_calls ?? []
    expect(calls).toHaveLength(1)
    const wire = calls[0] as unknown as {
      id: string
      function: { index: number; name: string; arguments: Record<string, unknown> }
    }
    expect(wire.id).toMatch(/^call_[a-z0-9]{8}$/)
    expect(wire.function.index).toBe(0)
    // The tool whose name and description share words with the prompt (weather), not the first.
    expect(wire.function.name).toBe("get_current_weather")
    expect(wire.function.arguments.city).toBe("Paris")
    expect(["celsius", "fahrenheit"]).toContain(wire.function.arguments.unit)
    expect(Number.isInteger(wire.function.arguments.days)).toBe(true)
    expect(done).toMatchObject({
      done: true,
      done_reason: "stop",
      message: { role: "assistant", content: "" },
    })
    // Writing the call took tokens, as a real model's tool-call text does.
    expect(done.eval_count).toBeGreaterThan(5)
  })

  it("non-streamed: the calls are gathered in message.tool_calls; the round trip ends in text using the result", async () => {
    const { ollama } = await start()
    const user: Message = { role: "user", content: QUESTION }
    const first = await ollama.chat({ model: "llama3.1:8b", messages: [user], tools: TOOLS })
    expect(first.done_reason).toBe("stop")
    expect(first.message.content).toBe("")
    const call = first.message.tool_calls?.[0]
    expect(call?.function.name).toBe("get_current_weather")
    const result: Message = {
      role: "tool",
      content: JSON.stringify({ temperature: 21, condition: "sunny" }),
      tool_name: "get_current_weather",
    }
    const answer = await ollama.chat({
      model: "llama3.1:8b",
      messages: [user, first.message, result],
      tools: TOOLS,
    })
    expect(answer.message.tool_calls).toBeUndefined()
    expect(answer.message.content).toContain("get_current_weather")
    expect(answer.message.content).toContain("temperature is 21")
    expect(answer.message.content).toContain("sunny")
  })

  it("falls back to the first tool when no tool matches the prompt; required arguments are always there", async () => {
    const { ollama } = await start()
    const r = await ollama.chat({
      model: "mistral:7b",
      messages: [{ role: "user", content: "Tell me something nice." }],
      tools: TOOLS,
      stream: false,
    })
    const call = r.message.tool_calls?.[0]
    expect(call?.function.name).toBe("search_web")
    expect(typeof call?.function.arguments.query).toBe("string")
    expect(call?.function.arguments.query).toBe("Tell me something nice")
  })

  it("is deterministic: the same seed gives the same call, ids included", async () => {
    const a = await start()
    const b = await start()
    const ask = (s: SimHttp) =>
      s.ollama.chat({ model: "llama3.1:8b", messages: [{ role: "user", content: QUESTION }], tools: TOOLS })
    const [ra, rb] = await Promise.all([ask(a), ask(b)])
    expect(JSON.stringify(ra.message)).toBe(JSON.stringify(rb.message))
  })

  it("a model without the tools capability is 400 with Ollama's message (the full model name)", async () => {
    const { ollama } = await start()
    const f = await ollamaFailure(() =>
      ollama.chat({ model: "qwen2-math:7b", messages: [{ role: "user", content: QUESTION }], tools: TOOLS }),
    )
    expect(f).toEqual({
      status: 400,
      message: "registry.ollama.ai/library/qwen2-math:7b does not support tools",
    })
  })

  it("toolCallRate 0: tools are offered but the model answers in text", async () => {
    const profile = decodeProfile({
      ...tinyProfile,
      models: tinyProfile.models.map((m) => (m.name === "llama3.1:8b" ? { ...m, toolCallRate: 0 } : m)),
    })
    const { ollama } = await start({ profile })
    const r = await ollama.chat({
      model: "llama3.1:8b",
      messages: [{ role: "user", content: QUESTION }],
      tools: TOOLS,
    })
    expect(r.message.tool_calls).toBeUndefined()
    expect(r.message.content.length).toBeGreaterThan(0)
  })

  it("tools after an assistant answer (no new user turn) get text, not another call", async () => {
    const { ollama } = await start()
    const r = await ollama.chat({
      model: "llama3.1:8b",
      messages: [
        { role: "user", content: QUESTION },
        { role: "assistant", content: "It is sunny." },
      ],
      tools: TOOLS,
    })
    expect(r.message.tool_calls).toBeUndefined()
  })
})
