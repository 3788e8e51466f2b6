/**
 * The streaming failover policy both facades share, seen by their official clients against an
 * in-process server on the simulator with injected faults: a model cut mid-answer is continued
 * by the next one (one answer, `done`/`finish_reason` at the end); an answer discarded after it
 * was streamed ends in an error line or event, never a completed end; held (`buffered`) answers
 * hide the failover; a request that fails before any output gets an HTTP error.
 */
import { Ollama } from "ollama"
import OpenAI from "openai"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type Conductor, createConductor } from "../../src/conductor.js"
import { makeLogger } from "../../src/logging/logger.js"
import { makeMetrics } from "../../src/metrics/metrics.js"
import { type RunningServer, startServer } from "../../src/server/server.js"

const FIRST = "llama3.1:8b"
const LONG = "Summarise the history of the printing press in detail."
const messages = [{ role: "user" as const, content: LONG }]

interface Summary {
  fallbacks: Array<{ from: string; to: string; reason: string }>
  model: string
}

describe("streaming failover over NDJSON (Ollama) and SSE (OpenAI)", () => {
  let conductor: Conductor
  let server: RunningServer

  beforeAll(async () => {
    conductor = await createConductor({
      backend: "sim",
      simProfile: "tiny-ci",
      timeScale: 20,
      seed: 5,
      env: {},
      // Breakers stay closed: every test fails the same first model on purpose.
      config: { server: { port: 0, host: "127.0.0.1" }, health: { volumeThreshold: 1000 } },
    })
    server = await startServer({
      conductor,
      config: conductor.config.conductor.server,
      metrics: makeMetrics({ processMetrics: false }),
      logger: makeLogger("error", () => undefined),
      version: "test",
    })
  })
  afterAll(async () => {
    await server.drain()
  })
  beforeEach(() => conductor.simulator?.clearFaults())

  const ollama = (headers?: Record<string, string>) =>
    new Ollama({ host: server.url, ...(headers !== undefined ? { headers } : {}) })

  it("NDJSON: a model cut mid-answer is continued by the next; the client sees one answer ending in done", async () => {
    conductor.simulator?.injectFault(FIRST, "cut")
    const stream = await ollama().chat({ model: FIRST, messages, stream: true })
    const parts = []
    for await (const part of stream) parts.push(part)
    const last = parts.at(-1) as unknown as { done: boolean; model: string; conductor: Summary }
    expect(last.done).toBe(true)
    expect(parts.filter((p) => p.done)).toHaveLength(1)
    expect(last.conductor.fallbacks).toEqual([{ from: FIRST, to: last.model, reason: expect.any(String) }])
    expect(last.model).not.toBe(FIRST)
    // Chunks name the model that produced them: the first, then the one that carried on.
    const models = [...new Set(parts.map((p) => p.model))]
    expect(models).toEqual([FIRST, last.model])
  })

  it("NDJSON: an answer that fails validation after it was streamed ends in an error line, never done", async () => {
    conductor.simulator?.injectFault(FIRST, "degenerate")
    const stream = await ollama().chat({ model: FIRST, messages, stream: true })
    const parts: Array<{ done: boolean }> = []
    await expect(
      (async () => {
        for await (const part of stream) parts.push(part)
      })(),
    ).rejects.toThrow(/failed validation after it was streamed/)
    expect(parts.length).toBeGreaterThan(0)
    expect(parts.every((p) => p.done === false)).toBe(true)
  })

  it("NDJSON: with x-conductor-stream: buffered the failover is hidden and the answer comes whole", async () => {
    conductor.simulator?.injectFault(FIRST, "degenerate")
    const stream = await ollama({ "x-conductor-stream": "buffered" }).generate({
      model: FIRST,
      prompt: LONG,
      stream: true,
    })
    const parts = []
    for await (const part of stream) parts.push(part)
    const last = parts.at(-1) as unknown as { done: boolean; model: string; conductor: Summary }
    expect(last.done).toBe(true)
    expect(last.conductor.fallbacks).toHaveLength(1)
    expect(parts.every((p) => p.model === last.model)).toBe(true)
    expect(
      parts
        .slice(0, -1)
        .map((p) => p.response)
        .join("").length,
    ).toBeGreaterThan(0)
  })

  it("NDJSON: a request that fails before any output gets an HTTP status and Ollama's error body", async () => {
    for (const m of conductor.models().filter((x) => x.available && x.kind === "chat")) {
      conductor.simulator?.injectFault(m.name, "error", 5)
    }
    await expect(ollama().chat({ model: "auto", messages, stream: true })).rejects.toMatchObject({
      name: "ResponseError",
      status_code: expect.any(Number),
      error: expect.any(String),
    })
    const res = await fetch(`${server.url}/api/chat`, {
      method: "POST",
      body: JSON.stringify({ model: "auto", messages }),
    })
    expect(res.status).toBeGreaterThanOrEqual(500)
    expect(res.headers.get("content-type")).toMatch(/^application\/json/)
    expect(await res.json()).toEqual({ error: expect.any(String) })
  })

  it("SSE: the same policy through the OpenAI SDK — a cut is continued, a streamed-then-discarded answer is an error", async () => {
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused" })
    conductor.simulator?.injectFault(FIRST, "cut")
    const continued = await openai.chat.completions.create({ model: FIRST, messages, stream: true })
    const finishes: Array<string | null> = []
    let text = ""
    for await (const chunk of continued) {
      const choice = chunk.choices[0]
      if (choice !== undefined) {
        finishes.push(choice.finish_reason)
        text += choice.delta.content ?? ""
      }
    }
    expect(finishes.at(-1)).toBe("stop")
    expect(text.length).toBeGreaterThan(0)

    conductor.simulator?.injectFault(FIRST, "degenerate")
    const discarded = await openai.chat.completions.create({ model: FIRST, messages, stream: true })
    const seen: Array<string | null> = []
    await expect(
      (async () => {
        for await (const chunk of discarded) seen.push(chunk.choices[0]?.finish_reason ?? null)
      })(),
    ).rejects.toThrow(/failed validation after it was streamed/)
    expect(seen.every((f) => f === null)).toBe(true)
  })
})
