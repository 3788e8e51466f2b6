/**
 * Failover seen through the OpenAI SDK (docs/openai.md "Streaming and failover"), each path made
 * with one injected simulator fault on the first model of the chain: a live stream cut mid-answer
 * is continued by the next model (one answer, no error); a live answer discarded after it was
 * streamed ends with an error the SDK raises, never `finish_reason: "stop"`; buffered streams
 * (formats, tools, `x-conductor-stream: buffered`) hide failover; a failure before any output is
 * a plain HTTP error. The server is `conductor serve`'s, in this process, so the test can reach
 * the simulator between requests; breakers never open here (each test's faults are its own).
 */
import OpenAI, { APIError } from "openai"
import type { ChatCompletionChunk } from "openai/resources/chat/completions"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import type { FaultKind } from "../../../src/backends/sim/faults.js"
import type { ConductorEvent } from "../../../src/domain/events.js"
import { type HttpEnv, httpEnv } from "../../support/http-env.js"

/** How long to wait for something that happens asynchronously (a wait, never a timed assertion). */
const WAIT = { timeout: 15_000, interval: 20 }

const MODEL = "qwen2.5:14b"
const QUESTION = "Summarise the history of the printing press."

interface Summary {
  model: string
  fallbacks: Array<{ from: string; to: string; reason: string }>
  attempts: Array<{ model: string; outcome: string }>
  routed: { chain: string[] }
}
const summaryOf = (chunk: ChatCompletionChunk | undefined): Summary =>
  (chunk as unknown as { conductor: Summary }).conductor

describe("failover inside OpenAI streams", () => {
  let env: HttpEnv
  let client: OpenAI
  let chain: string[]
  const events: ConductorEvent[] = []
  const of = (id: string | null) => events.filter((e) => "id" in e && e.id === id)

  beforeAll(async () => {
    env = await httpEnv({ config: { health: { volumeThreshold: 1_000_000 } } })
    env.conductor.subscribe((e) => events.push(e), ["requests"])
    client = new OpenAI({ baseURL: `${env.url}/v1`, apiKey: "unused", maxRetries: 0 })
    const probe = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: QUESTION }],
    })
    chain = (probe as unknown as { conductor: Summary }).conductor.routed.chain
    expect(chain.length).toBeGreaterThanOrEqual(3)
  })
  afterAll(async () => {
    await env.close()
  })
  beforeEach(() => {
    env.conductor.simulator?.clearFaults()
  })

  const inject = (model: string, kind: FaultKind) => env.conductor.simulator?.injectFault(model, kind)

  /** Read a stream to its end: the chunks, and the error it ended with, if any. */
  const drain = async (
    params: Partial<OpenAI.ChatCompletionCreateParamsStreaming> = {},
    headers: Record<string, string> = {},
  ) => {
    const { data: stream, response } = await client.chat.completions
      .create(
        { model: MODEL, messages: [{ role: "user", content: QUESTION }], ...params, stream: true },
        { headers },
      )
      .withResponse()
    const chunks: ChatCompletionChunk[] = []
    let error: unknown
    try {
      for await (const chunk of stream) chunks.push(chunk)
    } catch (e) {
      error = e
    }
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")
    const finishes = chunks.flatMap((c) => c.choices.map((x) => x.finish_reason)).filter((f) => f !== null)
    const id = response.headers.get("x-conductor-request-id")
    return { chunks, error, text, finishes, id, response }
  }
  const completedOf = (id: string | null) => {
    const e = of(id).find((x) => x.type === "completed")
    return e?.type === "completed" ? e : undefined
  }

  it("a live stream cut mid-answer: the next model carries on, and the SDK gets one answer", async () => {
    inject(MODEL, "cut")
    const r = await drain()
    expect(r.error).toBeUndefined()
    expect(r.response.headers.get("x-conductor-stream")).toBe("live")
    expect(r.finishes).toEqual(["stop"])
    const summary = summaryOf(r.chunks.at(-1))
    expect(summary.fallbacks).toEqual([{ from: MODEL, to: chain[1], reason: "Crashed" }])
    expect(summary.model).toBe(chain[1])
    expect(r.chunks.at(-1)?.model).toBe(chain[1])
    // What the client read is exactly the answer Conductor completed: the first model's part, then the rest.
    const completed = completedOf(r.id)
    expect(r.text).toBe(completed?.text)
    expect(of(r.id).some((e) => e.type === "restart")).toBe(false)
    const firstPart = r.chunks.filter((c) => c.model === MODEL).map((c) => c.choices[0]?.delta.content ?? "")
    expect(firstPart.join("").length).toBeGreaterThan(0)
    expect(r.text.startsWith(firstPart.join(""))).toBe(true)
  })

  it("a live answer that fails validation after it was streamed ends with an error the SDK raises, never stop", async () => {
    inject(MODEL, "degenerate")
    const r = await drain({ stream_options: { include_usage: true } })
    expect(r.error).toBeInstanceOf(APIError)
    expect(r.error).toMatchObject({ code: "stream_restart", type: "server_error" })
    expect(r.text.length).toBeGreaterThan(0)
    expect(r.finishes).toEqual([])
    expect(r.chunks.some((c) => c.usage !== null && c.usage !== undefined)).toBe(false)
    // The discarded answer was not followed by another: the request was cancelled.
    await expect.poll(() => of(r.id).at(-1)?.type, WAIT).toBe("cancelled")
    expect(of(r.id).find((e) => e.type === "validated")).toMatchObject({ ok: false, model: MODEL })
  })

  it("x-conductor-stream: buffered hides the same failover: one answer from the next model", async () => {
    inject(MODEL, "degenerate")
    const r = await drain({}, { "x-conductor-stream": "buffered" })
    expect(r.error).toBeUndefined()
    expect(r.response.headers.get("x-conductor-stream")).toBe("buffered")
    expect(r.finishes).toEqual(["stop"])
    expect(r.text).toBe(completedOf(r.id)?.text)
    const summary = summaryOf(r.chunks.at(-1))
    expect(summary.fallbacks).toEqual([{ from: MODEL, to: chain[1], reason: "ValidationFailed" }])
    // Nothing of the discarded answer reached the client.
    expect(r.chunks.every((c) => c.model !== MODEL || (c.choices[0]?.delta.content ?? "") === "")).toBe(true)
  })

  it("a JSON answer is held until validated: a cut first model leaves no trace but the conductor object", async () => {
    inject(MODEL, "cut")
    const r = await drain({ response_format: { type: "json_object" } })
    expect(r.error).toBeUndefined()
    expect(r.response.headers.get("x-conductor-stream")).toBe("buffered")
    expect(() => JSON.parse(r.text)).not.toThrow()
    expect(r.finishes).toEqual(["stop"])
    expect(summaryOf(r.chunks.at(-1)).fallbacks).toEqual([{ from: MODEL, to: chain[1], reason: "Crashed" }])
  })

  it("a JSON Schema answer that fails its check falls back; the client only sees the valid one", async () => {
    inject(MODEL, "degenerate")
    const schema = {
      type: "object",
      properties: { title: { type: "string" }, year: { type: "integer" } },
      required: ["title", "year"],
    }
    const r = await drain({
      response_format: { type: "json_schema", json_schema: { name: "book", schema } },
    })
    expect(r.error).toBeUndefined()
    const value = JSON.parse(r.text) as { title: unknown; year: unknown }
    expect(typeof value.title).toBe("string")
    expect(Number.isInteger(value.year)).toBe(true)
    expect(summaryOf(r.chunks.at(-1)).fallbacks).toEqual([
      { from: MODEL, to: chain[1], reason: "ValidationFailed" },
    ])
    const rejected = of(r.id).find((e) => e.type === "validated" && !e.ok)
    expect(rejected?.type === "validated" && rejected.failures.map((f) => f.validator)).toContain("format")
  })

  it("a tools request is held until validated too: a call cut short never reaches the client", async () => {
    inject(MODEL, "cut")
    const r = await drain({
      tools: [
        {
          type: "function",
          function: {
            name: "search",
            description: "Search the library catalogue",
            parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] },
          },
        },
      ],
      tool_choice: "required",
    })
    expect(r.error).toBeUndefined()
    expect(r.response.headers.get("x-conductor-stream")).toBe("buffered")
    expect(r.finishes).toEqual(["tool_calls"])
    const calls = r.chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])
    expect(calls).toEqual([
      {
        index: 0,
        id: expect.any(String),
        type: "function",
        function: { name: "search", arguments: expect.any(String) },
      },
    ])
    expect(JSON.parse(calls[0]?.function?.arguments ?? "")).toEqual({ q: expect.any(String) })
    expect(r.chunks.every((c) => c.model === chain[1])).toBe(true)
    expect(summaryOf(r.chunks.at(-1)).fallbacks).toEqual([{ from: MODEL, to: chain[1], reason: "Crashed" }])
  })

  it("an error before the first token falls back silently, even live", async () => {
    inject(MODEL, "error")
    const r = await drain()
    expect(r.error).toBeUndefined()
    expect(r.finishes).toEqual(["stop"])
    expect(r.chunks.every((c) => c.model !== MODEL)).toBe(true)
    expect(summaryOf(r.chunks.at(-1)).fallbacks).toEqual([{ from: MODEL, to: chain[1], reason: "Crashed" }])
  })

  it("every model failing before any output is an HTTP error, not a stream", async () => {
    for (const m of chain) inject(m, "error")
    const err = await drain().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(APIError)
    expect(err).toMatchObject({ status: 502, code: "backend_crashed", type: "server_error" })
    expect((err as APIError).headers?.get("x-conductor-request-id")).toEqual(expect.any(String))
  })

  it("every model failing after output ends the live stream with an error event and no [DONE]", async () => {
    for (const m of chain) inject(m, "cut")
    const r = await drain()
    expect(r.error).toBeInstanceOf(APIError)
    expect(r.error).toMatchObject({ code: "backend_crashed" })
    expect((r.error as Error).message).toMatch(/every model failed/)
    expect(r.text.length).toBeGreaterThan(0)
    expect(r.finishes).toEqual([])
    expect(of(r.id).at(-1)?.type).toBe("failed")
  })

  it("a whole (not streamed) answer hides failover the same way", async () => {
    inject(MODEL, "degenerate")
    const r = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: QUESTION }],
    })
    const summary = (r as unknown as { conductor: Summary }).conductor
    expect(r.model).toBe(chain[1])
    expect(summary.fallbacks).toEqual([{ from: MODEL, to: chain[1], reason: "ValidationFailed" }])
    expect(summary.attempts.map((a) => a.outcome)).toEqual(["failed", "completed"])
  })
})
