/**
 * The simulator's OpenAI-compatible endpoints driven with the official `openai` SDK, as clients
 * drive Ollama's `/v1`: chat (non-streamed, streamed with usage, JSON and JSON Schema, tools round
 * trip, reasoning), completions, embeddings (float and base64), models, errors in OpenAI's shape,
 * and a client abort that frees the slot — plus the Ollama quirks reproduced on the wire.
 */
import OpenAI from "openai"
import type {
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "openai/resources/chat/completions"
import { afterEach, describe, expect, it } from "vitest"
import { type SimHttp, startSimHttp, waitUntil } from "../../support/sim-http.js"

const sims: SimHttp[] = []
afterEach(async () => {
  for (const s of sims.splice(0)) await s.close()
})
const start = async (timeScale?: number) => {
  const s = await startSimHttp(timeScale !== undefined ? { timeScale } : {})
  sims.push(s)
  return { ...s, openai: new OpenAI({ baseURL: `${s.url}/v1`, apiKey: "ollama", maxRetries: 0 }) }
}

const TOOLS: ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "get_current_weather",
      description: "Get the current weather for a city",
      parameters: {
        type: "object",
        properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
        required: ["city", "unit"],
      },
    },
  },
]

/** The SDK's APIError: status and OpenAI's error object. */
const apiError = async (call: () => Promise<unknown>) => {
  try {
    await call()
  } catch (e) {
    if (e instanceof OpenAI.APIError) return { status: e.status, error: e.error }
    throw e
  }
  throw new Error("expected an APIError")
}

describe("backends/sim OpenAI compatibility (openai SDK)", () => {
  it("chat, not streamed: Ollama's id, fingerprint, finish reason and usage", async () => {
    const { openai } = await start()
    const r = await openai.chat.completions.create({
      model: "llama3.1:8b",
      messages: [{ role: "user", content: "Why is the sky blue?" }],
      max_tokens: 8,
      seed: 3,
      temperature: 0.2,
      top_p: 0.9,
    })
    expect(r.id).toMatch(/^chatcmpl-\d{1,3}$/)
    expect(r.object).toBe("chat.completion")
    expect(r.system_fingerprint).toBe("fp_ollama")
    expect(r.model).toBe("llama3.1:8b")
    expect(r.choices[0]?.message.role).toBe("assistant")
    expect(r.choices[0]?.message.content).not.toBe("")
    expect(r.choices[0]?.finish_reason).toBe("length")
    expect(r.usage).toEqual({
      prompt_tokens: expect.any(Number),
      completion_tokens: 8,
      total_tokens: (r.usage?.prompt_tokens ?? 0) + 8,
    })
  })

  it("chat, streamed with include_usage: role first, the finish on an empty delta, then usage, then [DONE]", async () => {
    const { openai, url } = await start()
    const chunks: ChatCompletionChunk[] = []
    const stream = await openai.chat.completions.create({
      model: "llama3.1:8b",
      messages: [{ role: "user", content: "Say something short." }],
      stream: true,
      stream_options: { include_usage: true },
    })
    for await (const c of stream) chunks.push(c)
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant")
    expect(chunks.slice(1, -2).every((c) => c.choices[0]?.delta.role === undefined)).toBe(true)
    const finish = chunks.at(-2)
    expect(finish?.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: "stop" })
    const usage = chunks.at(-1)
    expect(usage?.choices).toEqual([])
    expect(usage?.usage?.completion_tokens).toBe(chunks.length - 2)
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1)
    expect(new Set(chunks.map((c) => c.created)).size).toBe(1)
    // On the wire: SSE data lines ending with [DONE].
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({
        model: "llama3.1:8b",
        messages: [{ role: "user", content: "hi" }],
        stream: true,
      }),
    })
    expect(res.headers.get("content-type")).toBe("text/event-stream")
    const text = await res.text()
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true)
    expect(text).not.toContain('"usage"')
  })

  it("stream_options without stream is ignored (one JSON answer), as Ollama does", async () => {
    const { url } = await start()
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({
        model: "llama3.1:8b",
        messages: [{ role: "user", content: "hi" }],
        stream_options: { include_usage: true },
      }),
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ object: "chat.completion" })
  })

  it("response_format json_object and json_schema give JSON (the schema's required keys)", async () => {
    const { openai } = await start()
    const plain = await openai.chat.completions.create({
      model: "qwen2.5:14b",
      messages: [{ role: "user", content: "Describe Paris as JSON." }],
      response_format: { type: "json_object" },
    })
    expect(() => JSON.parse(plain.choices[0]?.message.content ?? "")).not.toThrow()
    const schema = {
      type: "object",
      properties: { city: { type: "string" }, population: { type: "integer" } },
      required: ["city", "population"],
    }
    const typed = await openai.chat.completions.create({
      model: "qwen2.5:14b",
      messages: [{ role: "user", content: "Describe Paris." }],
      response_format: { type: "json_schema", json_schema: { name: "city", schema } },
    })
    const value = JSON.parse(typed.choices[0]?.message.content ?? "")
    expect(typeof value.city).toBe("string")
    expect(Number.isInteger(value.population)).toBe(true)
  })

  it("tools round trip: tool_calls with finish_reason tool_calls, a tool message by tool_call_id, then text", async () => {
    const { openai } = await start()
    const messages: ChatCompletionMessageParam[] = [
      { role: "user", content: "What is the weather in Paris?" },
    ]
    const first = await openai.chat.completions.create({ model: "llama3.1:8b", messages, tools: TOOLS })
    const choice = first.choices[0]
    expect(choice?.finish_reason).toBe("tool_calls")
    expect(choice?.message.content).toBe("")
    const call = choice?.message.tool_calls?.[0]
    if (call === undefined || call.type !== "function") throw new Error("expected a function call")
    expect(call.id).toMatch(/^call_[a-z0-9]{8}$/)
    expect(call.function.name).toBe("get_current_weather")
    const args = JSON.parse(call.function.arguments)
    expect(args.city).toBe("Paris")
    messages.push(choice?.message as ChatCompletionMessageParam, {
      role: "tool",
      tool_call_id: call.id,
      content: JSON.stringify({ temperature: 18, sky: "cloudy" }),
    })
    const second = await openai.chat.completions.create({ model: "llama3.1:8b", messages, tools: TOOLS })
    expect(second.choices[0]?.finish_reason).toBe("stop")
    // The tool's name came from the tool_call_id, as Ollama resolves it.
    expect(second.choices[0]?.message.content).toContain("get_current_weather")
    expect(second.choices[0]?.message.content).toContain("temperature is 18")
  })

  it("tools streamed: the call arrives in one delta with its index, the finish reason is tool_calls", async () => {
    const { openai } = await start()
    const chunks: ChatCompletionChunk[] = []
    const stream = await openai.chat.completions.create({
      model: "llama3.1:8b",
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
      tools: TOOLS,
      stream: true,
    })
    for await (const c of stream) chunks.push(c)
    const withCalls = chunks.filter((c) => (c.choices[0]?.delta.tool_calls ?? []).length > 0)
    expect(withCalls).toHaveLength(1)
    expect(withCalls[0]?.choices[0]?.delta.tool_calls?.[0]).toMatchObject({ index: 0, type: "function" })
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls")
  })

  it("reasoning_effort thinks (the `reasoning` field, as Ollama names it); none does not; a bad effort is 400", async () => {
    const { openai } = await start()
    const r = await openai.chat.completions.create({
      model: "qwen3:4b",
      messages: [{ role: "user", content: "Why is the sky blue?" }],
      reasoning_effort: "high",
    })
    const message = r.choices[0]?.message as unknown as { reasoning?: string; content: string }
    expect(message.reasoning).toMatch(/sky/i)
    expect(message.content).not.toBe("")
    const none = await openai.chat.completions.create({
      model: "qwen3:4b",
      messages: [{ role: "user", content: "Why is the sky blue?" }],
      reasoning_effort: "none",
    })
    expect(none.choices[0]?.message).not.toHaveProperty("reasoning")
    const bad = await apiError(() =>
      openai.chat.completions.create({
        model: "qwen3:4b",
        messages: [{ role: "user", content: "hi" }],
        reasoning_effort: "extreme" as "high",
      }),
    )
    expect(bad.status).toBe(400)
  })

  it("content parts with text and a base64 image_url are accepted; a remote image URL is refused", async () => {
    const { openai } = await start()
    const png = Buffer.from("not really a png").toString("base64")
    const r = await openai.chat.completions.create({
      model: "llama3.1:8b",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is in this picture?" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${png}` } },
          ],
        },
      ],
    })
    expect(r.choices[0]?.message.content).not.toBe("")
    const remote = await apiError(() =>
      openai.chat.completions.create({
        model: "llama3.1:8b",
        messages: [
          { role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/a.png" } }] },
        ],
      }),
    )
    expect(remote).toEqual({
      status: 400,
      error: {
        message: "image URLs are not currently supported, please use base64 encoded data instead",
        type: "invalid_request_error",
        param: null,
        code: null,
      },
    })
  })

  it("errors in OpenAI's shape with Ollama's statuses: unknown model 404, tools unsupported 400, no messages 400", async () => {
    const { openai } = await start()
    expect(
      await apiError(() =>
        openai.chat.completions.create({ model: "nope:1b", messages: [{ role: "user", content: "hi" }] }),
      ),
    ).toEqual({
      status: 404,
      error: { message: "model 'nope:1b' not found", type: "not_found_error", param: null, code: null },
    })
    expect(
      await apiError(() =>
        openai.chat.completions.create({
          model: "qwen2-math:7b",
          messages: [{ role: "user", content: "hi" }],
          tools: TOOLS,
        }),
      ),
    ).toEqual({
      status: 400,
      error: {
        message: "registry.ollama.ai/library/qwen2-math:7b does not support tools",
        type: "invalid_request_error",
        param: null,
        code: null,
      },
    })
    expect(
      await apiError(() => openai.chat.completions.create({ model: "llama3.1:8b", messages: [] })),
    ).toMatchObject({
      status: 400,
      error: { message: "[] is too short - 'messages'" },
    })
  })

  it("completions: text_completion objects, cmpl- ids; streamed with usage", async () => {
    const { openai } = await start()
    const r = await openai.completions.create({
      model: "llama3.1:8b",
      prompt: "Once upon a time",
      max_tokens: 6,
    })
    expect(r.id).toMatch(/^cmpl-\d{1,3}$/)
    expect(r.object).toBe("text_completion")
    expect(r.choices[0]?.finish_reason).toBe("length")
    expect(r.usage?.completion_tokens).toBe(6)
    const parts = []
    const stream = await openai.completions.create({
      model: "llama3.1:8b",
      prompt: "Once upon a time",
      max_tokens: 4,
      stream: true,
      stream_options: { include_usage: true },
    })
    for await (const p of stream) parts.push(p)
    expect(parts.at(-1)?.choices).toEqual([])
    expect(parts.at(-1)?.usage?.completion_tokens).toBe(4)
    // Ollama's quirk: every chunk before carries zero usage.
    expect(parts[0]?.usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 })
    expect(parts.at(-2)?.choices[0]?.finish_reason).toBe("length")
  })

  it("embeddings: float and base64 (little-endian float32), one per input, dimensions", async () => {
    const { openai } = await start()
    const floats = await openai.embeddings.create({
      model: "nomic-embed-text",
      input: ["alpha beta", "gamma"],
      encoding_format: "float",
    })
    expect(floats.object).toBe("list")
    expect(floats.model).toBe("nomic-embed-text")
    expect(floats.data.map((d) => d.index)).toEqual([0, 1])
    expect(floats.data[0]?.embedding).toHaveLength(768)
    expect(floats.usage.prompt_tokens).toBe(floats.usage.total_tokens)
    const b64 = await openai.embeddings.create({
      model: "nomic-embed-text",
      input: "alpha beta",
      encoding_format: "base64",
    })
    const raw = b64.data[0]?.embedding as unknown as string
    const buf = Buffer.from(raw, "base64")
    const decoded = Array.from({ length: buf.length / 4 }, (_, i) => buf.readFloatLE(i * 4))
    // The float form prints each float32 the way Go does (shortest round trip), base64 has its bits.
    expect(decoded).toEqual(floats.data[0]?.embedding.map(Math.fround))
    const short = await openai.embeddings.create({
      model: "nomic-embed-text",
      input: "alpha beta",
      dimensions: 32,
    })
    expect(short.data[0]?.embedding).toHaveLength(32)
    const bad = await apiError(() =>
      openai.embeddings.create({ model: "nomic-embed-text", input: "x", encoding_format: "hex" as "float" }),
    )
    expect(bad).toMatchObject({
      status: 400,
      error: { message: "Invalid value for 'encoding_format' = hex. Supported values: ['float', 'base64']." },
    })
  })

  it("models: list and retrieve with owned_by from the namespace and created from modified_at; unknown is 404", async () => {
    const { openai, engine } = await start()
    const list = await openai.models.list()
    expect(list.data.map((m) => m.id)).toEqual(engine.profile.models.map((m) => m.name))
    expect(list.data[0]).toEqual({
      id: engine.profile.models[0]?.name,
      object: "model",
      created: Date.UTC(2026, 0, 1) / 1000,
      owned_by: "library",
    })
    expect(await openai.models.retrieve("qwen3:4b")).toMatchObject({ id: "qwen3:4b", owned_by: "library" })
    expect(await apiError(() => openai.models.retrieve("nope:1b"))).toMatchObject({
      status: 404,
      error: { type: "not_found_error", message: "model 'nope:1b' not found" },
    })
  })

  it("a failure mid-stream is Ollama's empty chunk (no model) and the stream ends without [DONE]", async () => {
    const { url, engine } = await start()
    engine.injectFault("llama3.1:8b", "cut", 1)
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({
        model: "llama3.1:8b",
        messages: [{ role: "user", content: "Explain how rivers form." }],
        stream: true,
      }),
    })
    expect(res.status).toBe(200)
    const events = (await res.text()).split("\n\n").filter((e) => e !== "")
    expect(events.at(-1)).not.toBe("data: [DONE]")
    const last = JSON.parse((events.at(-1) as string).slice("data: ".length))
    expect(last).toMatchObject({ model: "", choices: [{ delta: { content: "" }, finish_reason: null }] })
    expect(events.some((e) => e.includes('"finish_reason":"'))).toBe(false)
  })

  it("Ollama's request checks: a prompt array, a non-string stop, bad tool call arguments", async () => {
    const { url } = await start()
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${url}${path}`, { method: "POST", body: JSON.stringify(body) })
      return { status: res.status, body: await res.json() }
    }
    expect(await post("/v1/completions", { model: "llama3.1:8b", prompt: ["a", "b"] })).toMatchObject({
      status: 400,
      body: {
        error: {
          message:
            "json: cannot unmarshal array into Go struct field CompletionRequest.prompt of type string",
        },
      },
    })
    expect(
      await post("/v1/completions", { model: "llama3.1:8b", prompt: "a", stop: ["x", 3] }),
    ).toMatchObject({
      status: 400,
      body: { error: { message: "invalid type for 'stop' field: float64", type: "invalid_request_error" } },
    })
    const badCall = {
      model: "llama3.1:8b",
      messages: [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{" } }],
        },
      ],
    }
    expect(await post("/v1/chat/completions", badCall)).toMatchObject({
      status: 400,
      body: { error: { message: "invalid tool call arguments" } },
    })
    expect(
      await post("/v1/chat/completions", { model: "llama3.1:8b", messages: [{ role: "user", content: 42 }] }),
    ).toMatchObject({ status: 400, body: { error: { message: "invalid message content type: float64" } } })
  })

  it("a client abort mid-stream frees the slot and counts as cancelled", async () => {
    const { openai, engine } = await start()
    // A slow generation: the abort lands mid-stream, whatever the machine's speed (the answer is
    // 33 tokens; at 1000× slower it could end in ~30 ms of real time, before the abort arrived).
    engine.injectFault("llama3.1:8b", "slow", 1, { slowFactor: 20_000 })
    const controller = new AbortController()
    const stream = await openai.chat.completions.create(
      {
        model: "llama3.1:8b",
        messages: [{ role: "user", content: "Write a long essay about rivers." }],
        stream: true,
        max_tokens: 100_000,
      },
      { signal: controller.signal },
    )
    let seen = 0
    try {
      for await (const _ of stream) {
        seen++
        if (seen === 3) controller.abort()
      }
    } catch {
      // the SDK throws an abort error
    }
    await waitUntil(() => engine.state().requests.cancelled === 1, "the cancelled request")
    const runner = engine.state().runners.find((r) => r.name === "llama3.1:8b")
    expect(runner).toMatchObject({ active: 0, refCount: 0 })
    expect(engine.state().requests).toMatchObject({ completed: 0, cancelled: 1 })
  })
})
