/**
 * `/api/embed` and the legacy `/api/embeddings` with ollama-js against `conductor serve` on the
 * simulator: vectors for one text and for many, Ollama's metrics, the default embedding model
 * (`auto`), loading and unloading an embedding model by an empty input, and Ollama's errors.
 * Needs the simulator's embedding models (branch sim-openai).
 */
import { Ollama } from "ollama"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Served, serve } from "../../support/serve.js"

describe("Ollama API: embeddings (needs the simulator's embedding models)", () => {
  let server: Served
  let ollama: Ollama
  let model: string

  beforeAll(async () => {
    server = await serve(["--backend", "sim", "--sim-profile", "tiny-ci", "--time-scale", "5"])
    ollama = new Ollama({ host: server.url })
    const found = (await ollama.list()).models.find((m) =>
      (m as unknown as { capabilities?: string[] }).capabilities?.includes("embedding"),
    )
    model = found?.name ?? "(no embedding model in /api/tags)"
  })
  afterAll(async () => {
    await server.stop()
  })

  it("lists an embedding model, shown with the embedding capability", async () => {
    expect(model).not.toMatch(/^\(no embedding model/)
    expect((await ollama.show({ model })).capabilities).toEqual(["embedding"])
  })

  it("embeds one text and many, in order, with Ollama's metrics", async () => {
    const one = await ollama.embed({ model, input: "The quick brown fox" })
    expect(one.model).toBe(model)
    expect(one.embeddings).toHaveLength(1)
    const dims = one.embeddings[0]?.length ?? 0
    expect(dims).toBeGreaterThan(0)
    expect(one.embeddings[0]?.every((x) => Number.isFinite(x))).toBe(true)
    const r = one as unknown as { total_duration: number; load_duration: number; prompt_eval_count: number }
    expect(Number.isInteger(r.total_duration)).toBe(true)
    expect(Number.isInteger(r.load_duration)).toBe(true)
    expect(r.total_duration).toBeGreaterThanOrEqual(r.load_duration)
    expect(r.prompt_eval_count).toBeGreaterThan(0)
    const many = await ollama.embed({ model: "auto", input: ["a", "The quick brown fox", "c"] })
    expect(many.model).toBe(model)
    expect(many.embeddings).toHaveLength(3)
    expect(many.embeddings[1]).toEqual(one.embeddings[0])
    const legacy = await ollama.embeddings({ model, prompt: "The quick brown fox" })
    expect(legacy.embedding).toEqual(one.embeddings[0])
  })

  it("loads an embedding model on an empty input and unloads it with keep_alive 0", async () => {
    await ollama.embed({ model, input: [], keep_alive: 0 })
    const loaded = await ollama.embed({ model, input: [] })
    expect(loaded).toMatchObject({ model, embeddings: [] })
    expect((await ollama.ps()).models.map((m) => m.name)).toContain(model)
    await ollama.embed({ model, input: [], keep_alive: 0 })
    for (let i = 0; i < 200 && (await ollama.ps()).models.some((m) => m.name === model); i++) {
      await new Promise((r) => setTimeout(r, 25))
    }
    expect((await ollama.ps()).models.map((m) => m.name)).not.toContain(model)
  })

  it("says which models cannot embed and which cannot chat", async () => {
    await expect(ollama.embed({ model: "llama3.1:8b", input: "x" })).rejects.toMatchObject({
      status_code: 400,
      error: '"llama3.1:8b" does not support embeddings',
    })
    await expect(ollama.embed({ model: "nope:1b", input: "x" })).rejects.toMatchObject({
      status_code: 404,
      error: "model 'nope:1b' not found",
    })
    await expect(ollama.embed({ model, input: [1, 2] as never })).rejects.toMatchObject({
      status_code: 400,
      error: "input: expected a string or an array of strings",
    })
    await expect(ollama.chat({ model, messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({
      status_code: 400,
      error: `"${model}" does not support chat`,
    })
  })
})
