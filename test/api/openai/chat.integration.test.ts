/**
 * `POST /v1/chat/completions` of a spawned `conductor serve` on the simulator (tiny-ci, time
 * scale 20), driven by the official `openai` SDK: whole and streamed answers (with usage, and
 * through the SDK's stream helper), JSON and JSON Schema, tools round trips, the routing aliases
 * and overrides, Conductor's extensions as headers and body, routing transparency and labels,
 * and `user` reaching the request's events as its client.
 */
import OpenAI from "openai"
import type { ChatCompletionChunk, ChatCompletionTool } from "openai/resources/chat/completions"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Client, connect, type Served, serve } from "../../support/serve.js"

const QUESTION = "Explain how a hash map works."

/** The Conductor extension of a response or chunk. */
interface ConductorInfo {
  requestId: string
  routed: { model: string; tier: string; taskType: string; reason: string; persona?: string; chain: string[] }
  fallbacks: Array<{ from: string; to: string; reason: string }>
  model: string
  attempts: Array<{ model: string; outcome: string }>
  labels: string[]
  warnings: string[]
  timings: { totalMs: number }
}
const info = (x: unknown): ConductorInfo => (x as { conductor: ConductorInfo }).conductor

const ADD: ChatCompletionTool = {
  type: "function",
  function: {
    name: "add",
    description: "Add two numbers and return the sum",
    strict: true,
    parameters: {
      type: "object",
      properties: { a: { type: "number" }, b: { type: "number" } },
      required: ["a", "b"],
      additionalProperties: false,
    },
  },
}

describe("POST /v1/chat/completions (openai SDK against conductor serve)", () => {
  let server: Served
  let client: OpenAI
  let toolModels: Set<string>

  beforeAll(async () => {
    server = await serve(["--backend", "sim", "--sim-profile", "tiny-ci", "--time-scale", "20"])
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 })
    const models = await client.models.list()
    toolModels = new Set(
      models.data
        .filter((m) =>
          (m as unknown as { conductor: { capabilities: string[] } }).conductor.capabilities?.includes(
            "tools",
          ),
        )
        .map((m) => m.id),
    )
  })
  afterAll(async () => {
    await server.stop()
  })

  it("answers in OpenAI's shape, names the model that answered, and explains the routing", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: QUESTION }] })
      .withResponse()
    expect(data).toMatchObject({
      id: expect.stringMatching(/^chatcmpl-/),
      object: "chat.completion",
      created: expect.any(Number),
      model: expect.any(String),
      choices: [
        { index: 0, message: { role: "assistant", content: expect.any(String) }, finish_reason: "stop" },
      ],
      usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) },
    })
    expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0)
    expect(data.usage?.total_tokens).toBe(
      (data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0),
    )
    const c = info(data)
    expect(response.headers.get("x-conductor-request-id")).toBe(c.requestId)
    expect(data.id).toBe(`chatcmpl-${c.requestId}`)
    expect(response.headers.get("x-conductor-model")).toBe(data.model)
    expect(c.model).toBe(data.model)
    expect(response.headers.get("x-conductor-tier")).toBe(c.routed.tier)
    expect(response.headers.get("x-conductor-reason")).toBe(c.routed.reason)
    expect(c.routed.chain[0]).toBe(c.routed.model)
    expect(c.attempts.at(-1)).toEqual({ model: data.model, outcome: "completed" })
    expect(c.fallbacks).toEqual([])
    expect(c.timings.totalMs).toBeGreaterThan(0)
  })

  it("streams chunks with the role first, one finish, then the usage chunk with the conductor object", async () => {
    const stream = await client.chat.completions.create({
      model: "auto",
      messages: [{ role: "user", content: QUESTION }],
      stream: true,
      stream_options: { include_usage: true },
    })
    const chunks: ChatCompletionChunk[] = []
    for await (const chunk of stream) chunks.push(chunk)
    expect(chunks.length).toBeGreaterThan(3)
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1)
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true)
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant")
    const finishes = chunks.flatMap((c) => c.choices.map((x) => x.finish_reason)).filter((f) => f !== null)
    expect(finishes).toEqual(["stop"])
    const last = chunks.at(-1) as ChatCompletionChunk
    expect(last.choices).toEqual([])
    expect(last.usage?.completion_tokens).toBeGreaterThan(0)
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true)
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")
    expect(text.length).toBeGreaterThan(0)
    expect(info(last).model).toBe(last.model)
    expect(info(last).attempts.at(-1)?.outcome).toBe("completed")
  })

  it("without include_usage the finish chunk is the last and carries the conductor object", async () => {
    const stream = await client.chat.completions.create({
      model: "auto:fast",
      messages: [{ role: "user", content: QUESTION }],
      stream: true,
    })
    const chunks: ChatCompletionChunk[] = []
    for await (const chunk of stream) chunks.push(chunk)
    const last = chunks.at(-1) as ChatCompletionChunk
    expect(last.choices[0]?.finish_reason).toBe("stop")
    expect(last.usage).toBeUndefined()
    expect(info(last).routed.tier).toBe("fast")
  })

  it("the SDK's stream helper assembles the same answer a whole request gets", async () => {
    const params = {
      model: "auto",
      messages: [{ role: "user" as const, content: QUESTION }],
      seed: 3,
    }
    const whole = await client.chat.completions.create(params)
    const streamed = await client.chat.completions.stream({ ...params, stream: true }).finalChatCompletion()
    expect(streamed.choices[0]?.message.content).toBe(whole.choices[0]?.message.content)
    expect(streamed.model).toBe(whole.model)
    expect(streamed.choices[0]?.finish_reason).toBe("stop")
  })

  it("max_tokens caps the answer: finish_reason length, and no failover for it", async () => {
    const r = await client.chat.completions.create({
      model: "auto",
      messages: [{ role: "user", content: "Summarise the history of the printing press in detail." }],
      max_tokens: 5,
    })
    expect(r.choices[0]?.finish_reason).toBe("length")
    expect(r.usage?.completion_tokens).toBe(5)
    expect(info(r).fallbacks).toEqual([])
  })

  it("sampling options reach the model: seed repeats an answer, stop ends it before the stop sequence", async () => {
    const params = {
      model: "mistral:7b",
      messages: [{ role: "user" as const, content: QUESTION }],
      seed: 42,
      temperature: 0.3,
    }
    const first = (await client.chat.completions.create(params)).choices[0]?.message.content ?? ""
    expect((await client.chat.completions.create(params)).choices[0]?.message.content).toBe(first)
    const words = first.split(" ")
    const cut = words.slice(Math.floor(words.length / 2)).find((w) => /^[a-z]{4,}$/.test(w)) as string
    expect(cut).toBeDefined()
    const stopped = await client.chat.completions.create({ ...params, stop: [` ${cut}`] })
    expect(stopped.choices[0]?.message.content).toBe(first.slice(0, first.indexOf(` ${cut}`)))
    expect(stopped.choices[0]?.finish_reason).toBe("stop")
  })

  it("json_object answers are JSON", async () => {
    const r = await client.chat.completions.create({
      model: "auto",
      messages: [{ role: "user", content: "Give the capital of France as a JSON object." }],
      response_format: { type: "json_object" },
    })
    expect(() => JSON.parse(r.choices[0]?.message.content ?? "")).not.toThrow()
    expect(typeof JSON.parse(r.choices[0]?.message.content ?? "")).toBe("object")
  })

  it("json_schema answers satisfy the schema, streamed or not", async () => {
    const schema = {
      type: "object",
      properties: {
        city: { type: "string" },
        population: { type: "integer", minimum: 0 },
        districts: { type: "array", items: { type: "string" } },
      },
      required: ["city", "population", "districts"],
      additionalProperties: false,
    }
    const params = {
      model: "auto",
      messages: [{ role: "user" as const, content: "Describe the largest city of France." }],
      response_format: { type: "json_schema" as const, json_schema: { name: "city", strict: true, schema } },
    }
    const check = (content: string | null | undefined) => {
      const v = JSON.parse(content ?? "") as Record<string, unknown>
      expect(Object.keys(v).sort()).toEqual(["city", "districts", "population"])
      expect(typeof v.city).toBe("string")
      expect(Number.isInteger(v.population) && (v.population as number) >= 0).toBe(true)
      expect(
        Array.isArray(v.districts) && (v.districts as unknown[]).every((d) => typeof d === "string"),
      ).toBe(true)
    }
    check((await client.chat.completions.create(params)).choices[0]?.message.content)
    const { data: stream, response } = await client.chat.completions
      .create({ ...params, stream: true })
      .withResponse()
    expect(response.headers.get("x-conductor-stream")).toBe("buffered")
    let text = ""
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ""
    check(text)
  })

  it("a tools round trip: tool_calls with finish_reason tool_calls, on a tool-capable model; the result goes back in", async () => {
    const question = { role: "user" as const, content: "What is 2 + 3? Use the add tool." }
    const first = await client.chat.completions.create({
      model: "auto",
      messages: [question],
      tools: [ADD],
      tool_choice: "required",
    })
    const choice = first.choices[0]
    expect(choice?.finish_reason).toBe("tool_calls")
    expect(toolModels.has(first.model)).toBe(true)
    expect(info(first).routed.chain.every((m) => toolModels.has(m))).toBe(true)
    const call = choice?.message.tool_calls?.[0]
    expect(call?.type).toBe("function")
    if (call?.type !== "function") return
    expect(call.id).toEqual(expect.any(String))
    expect(call.function.name).toBe("add")
    const args = JSON.parse(call.function.arguments) as { a: number; b: number }
    expect(typeof args.a).toBe("number")
    expect(typeof args.b).toBe("number")
    const second = await client.chat.completions.create({
      model: "auto",
      tools: [ADD],
      messages: [
        question,
        choice?.message as OpenAI.ChatCompletionMessageParam,
        { role: "tool", tool_call_id: call.id, content: String(args.a + args.b) },
      ],
    })
    expect(second.choices[0]?.finish_reason).toBe("stop")
    expect(second.choices[0]?.message.content?.length).toBeGreaterThan(0)
    expect(second.choices[0]?.message.tool_calls ?? []).toEqual([])
  })

  it("streamed tool calls arrive as indexed deltas the SDK assembles", async () => {
    const final = await client.chat.completions
      .stream({
        model: "auto",
        messages: [{ role: "user", content: "What is 40 + 2? Use the add tool." }],
        tools: [ADD],
        tool_choice: { type: "function", function: { name: "add" } },
        stream: true,
      })
      .finalChatCompletion()
    expect(final.choices[0]?.finish_reason).toBe("tool_calls")
    const call = final.choices[0]?.message.tool_calls?.[0]
    expect(call?.type === "function" && call.function.name).toBe("add")
    if (call?.type === "function") expect(JSON.parse(call.function.arguments)).toEqual(expect.any(Object))
  })

  it("a thinking model's reasoning comes as message.reasoning, and streamed as delta.reasoning before the answer", async () => {
    const thinker = [...toolModels].find((m) => m.startsWith("qwen3")) ?? "qwen3:4b"
    const params = {
      model: thinker,
      reasoning_effort: "high" as OpenAI.ReasoningEffort,
      messages: [{ role: "user" as const, content: "Why is the sky blue?" }],
    }
    const whole = await client.chat.completions.create(params)
    const message = whole.choices[0]?.message as OpenAI.ChatCompletionMessage & { reasoning?: string }
    expect(message.reasoning?.length).toBeGreaterThan(0)
    expect(message.content?.length).toBeGreaterThan(0)
    const stream = await client.chat.completions.create({ ...params, stream: true })
    const order: string[] = []
    let reasoning = ""
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { reasoning?: string; content?: string | null } | undefined
      if (delta?.reasoning) {
        reasoning += delta.reasoning
        if (order.at(-1) !== "reasoning") order.push("reasoning")
      }
      if (delta?.content && order.at(-1) !== "content") order.push("content")
    }
    expect(order).toEqual(["reasoning", "content"])
    expect(reasoning).toBe(message.reasoning)
    // reasoning_effort "none" turns thinking off.
    const plain = await client.chat.completions.create({ ...params, reasoning_effort: "none" })
    const plainMessage = plain.choices[0]?.message as
      | { content: string | null; reasoning?: string }
      | undefined
    expect(plainMessage?.content).toEqual(expect.any(String))
    expect(plainMessage?.reasoning).toBeUndefined()
  })

  it("a named model overrides routing; auto:<tier> forces the tier; a tool request never names a model that cannot call tools", async () => {
    const named = await client.chat.completions.create({
      model: "mistral:7b",
      messages: [{ role: "user", content: QUESTION }],
    })
    expect(named.model).toBe("mistral:7b")
    expect(info(named).routed.reason).toBe("explicit_override")
    const fast = await client.chat.completions.create({
      model: "auto:fast",
      messages: [{ role: "user", content: QUESTION }],
    })
    // The tier is forced; within it, routing may prefer a model already resident (warm_preferred).
    expect(info(fast).routed.tier).toBe("fast")
    const tierOf = async (id: string) =>
      (await client.models.retrieve(id).then((m) => m as unknown as { conductor: { tier: string } }))
        .conductor.tier
    expect(await tierOf(fast.model)).toBe("fast")
    const noTools = [...(await client.models.list()).data]
      .filter((m) => !toolModels.has(m.id) && !m.id.startsWith("auto"))
      .map((m) => m.id)
    const lacking = noTools.find((m) => m === "qwen2-math:7b") ?? (noTools[0] as string)
    await expect(
      client.chat.completions.create({
        model: lacking,
        messages: [{ role: "user", content: "What is 2 + 3?" }],
        tools: [ADD],
      }),
    ).rejects.toMatchObject({ status: 400, code: "model_lacks_tools", param: "model" })
  })

  it("persona, tier and retrieved documents come as headers or in the conductor body object", async () => {
    const viaHeaders = await client.chat.completions.create(
      { model: "auto", messages: [{ role: "user", content: QUESTION }] },
      {
        headers: { "x-conductor-persona": "developer", "x-conductor-tier": "fast", "x-conductor-docs": "4" },
      },
    )
    expect(info(viaHeaders).routed).toMatchObject({
      persona: "developer",
      tier: "fast",
      taskType: "rag_query",
    })
    const viaBody = await client.chat.completions.create({
      model: "auto",
      messages: [{ role: "user", content: QUESTION }],
      // The extension is not in the SDK's types; it sends the body as given.
      ...({ conductor: { persona: "casual", tier: "balanced", retrievedDocs: 4 } } as object),
    })
    expect(info(viaBody).routed).toMatchObject({ persona: "casual", tier: "balanced", taskType: "rag_query" })
  })

  it("warning labels from the routing decision: verify_calculations, review_code, high_stakes:<domain>", async () => {
    const ask = async (content: string) =>
      info(await client.chat.completions.create({ model: "auto", messages: [{ role: "user", content }] }))
        .labels
    expect(await ask("What is 17 * 23?")).toContain("verify_calculations")
    expect(await ask("Write a Python function that reverses a string.")).toContain("review_code")
    expect(await ask("What is the maximum daily dose of ibuprofen for an adult?")).toContain(
      "high_stakes:medical",
    )
    expect(await ask(QUESTION)).toEqual([])
  })

  it("user is the request's client and its tenant, in its events", async () => {
    const watcher: Client = await connect(server.ws)
    try {
      watcher.send({ type: "subscribe", topics: ["requests"] })
      await watcher.waitFor((m) => m.type === "subscribed")
      const { response } = await client.chat.completions
        .create({ model: "auto", messages: [{ role: "user", content: QUESTION }], user: "alice@example" })
        .withResponse()
      const id = response.headers.get("x-conductor-request-id")
      expect(await watcher.waitFor((m) => m.type === "accepted" && m.id === id)).toMatchObject({
        client: "alice@example",
        tenant: "openai:user:alice@example",
      })
    } finally {
      watcher.close()
    }
  })
})
