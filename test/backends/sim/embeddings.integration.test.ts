/**
 * Embedding models over the simulator's Ollama API with the official `ollama` client: `/api/embed`
 * (unit vectors of the model's embedding length or `dimensions`, deterministic per text, an empty
 * input that only loads the model, `truncate: false` refusing a long input), the legacy
 * `/api/embeddings`, Ollama's errors (generate/chat on an embedding model, an unknown model), and
 * embedding runners taking VRAM like any other.
 */
import { afterEach, describe, expect, it } from "vitest"
import { ollamaFailure, type SimHttp, startSimHttp } from "../../support/sim-http.js"

const sims: SimHttp[] = []
afterEach(async () => {
  for (const s of sims.splice(0)) await s.close()
})
const start = async () => {
  const s = await startSimHttp()
  sims.push(s)
  return s
}

const MODEL = "nomic-embed-text:latest"
const norm = (v: ReadonlyArray<number>) => Math.hypot(...v)
const cosine = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) =>
  a.reduce((s, x, i) => s + x * (b[i] as number), 0) / (norm(a) * norm(b))

describe("backends/sim embeddings (ollama client)", () => {
  it("embed: one unit vector of the embedding length per input, with Ollama's metrics", async () => {
    const { ollama } = await start()
    const r = await ollama.embed({
      model: MODEL,
      input: ["The cat sat on the mat.", "Stock markets fell sharply."],
    })
    expect(r.model).toBe(MODEL)
    expect(r.embeddings).toHaveLength(2)
    for (const v of r.embeddings) {
      expect(v).toHaveLength(768)
      expect(norm(v)).toBeCloseTo(1, 5)
    }
    expect(r.prompt_eval_count).toBeGreaterThan(0)
    expect(Number.isInteger(r.total_duration)).toBe(true)
    expect(r.total_duration).toBeGreaterThanOrEqual(r.load_duration)
  })

  it("vectors are deterministic per (model, text), and texts sharing words are closer", async () => {
    const { ollama } = await start()
    const [a, b, c, a2] = (
      await ollama.embed({
        model: "nomic-embed-text",
        input: [
          "red apples and green pears",
          "green pears and red apples taste good",
          "quantum field theory",
          "red apples and green pears",
        ],
      })
    ).embeddings as [number[], number[], number[], number[]]
    expect(a2).toEqual(a)
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c))
    const single = await ollama.embed({ model: MODEL, input: "red apples and green pears" })
    expect(single.embeddings[0]).toEqual(a)
  })

  it("dimensions: shorter vectors, normalised again", async () => {
    const { ollama } = await start()
    const r = await ollama.embed({ model: MODEL, input: "hello world", dimensions: 256 })
    expect(r.embeddings[0]).toHaveLength(256)
    expect(norm(r.embeddings[0] as number[])).toBeCloseTo(1, 5)
  })

  it("an empty input loads the model (it shows in ps) and answers only model and embeddings", async () => {
    const { ollama, url } = await start()
    const res = await fetch(`${url}/api/embed`, {
      method: "POST",
      body: JSON.stringify({ model: MODEL, input: [] }),
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ model: MODEL, embeddings: [] })
    expect((await ollama.ps()).models.map((m) => m.name)).toEqual([MODEL])
  })

  it("truncate: false with an input over the context is Ollama's 400; by default it is cut", async () => {
    const { ollama } = await start()
    const long = "word ".repeat(3000)
    expect(await ollamaFailure(() => ollama.embed({ model: MODEL, input: long, truncate: false }))).toEqual({
      status: 400,
      message: "the input length exceeds the context length",
    })
    const cut = await ollama.embed({ model: MODEL, input: long })
    expect(cut.prompt_eval_count).toBe(2048)
  })

  it("legacy /api/embeddings: one raw (not normalised) vector for nomic-bert; an empty prompt loads", async () => {
    const { ollama } = await start()
    const r = await ollama.embeddings({ model: MODEL, prompt: "hello world" })
    expect(r.embedding).toHaveLength(768)
    expect(norm(r.embedding)).not.toBeCloseTo(1, 2)
    const unit = (await ollama.embed({ model: MODEL, input: "hello world" })).embeddings[0] as number[]
    expect(cosine(r.embedding, unit)).toBeCloseTo(1, 5)
    expect(await ollama.embeddings({ model: MODEL, prompt: "" })).toEqual({ embedding: [] })
  })

  it("generate or chat on an embedding model is Ollama's 400; unknown models are 404 with the embed wording", async () => {
    const { ollama } = await start()
    expect(await ollamaFailure(() => ollama.generate({ model: "nomic-embed-text", prompt: "hi" }))).toEqual({
      status: 400,
      message: '"nomic-embed-text" does not support generate',
    })
    expect(
      await ollamaFailure(() => ollama.chat({ model: MODEL, messages: [{ role: "user", content: "hi" }] })),
    ).toEqual({ status: 400, message: `"${MODEL}" does not support chat` })
    expect(await ollamaFailure(() => ollama.embed({ model: "nope", input: "hi" }))).toEqual({
      status: 404,
      message: 'model "nope" not found, try pulling it first',
    })
    expect(
      await ollamaFailure(() => ollama.embed({ model: MODEL, input: [1, 2] as unknown as string[] })),
    ).toEqual({
      status: 400,
      message: "invalid input type",
    })
  })

  it("embed on a chat model loads it, then llama-server refuses (501)", async () => {
    const { ollama } = await start()
    expect(await ollamaFailure(() => ollama.embed({ model: "mistral:7b", input: "hi" }))).toEqual({
      status: 501,
      message: "This server does not support embeddings. Start it with `--embeddings`",
    })
    expect((await ollama.ps()).models.map((m) => m.name)).toEqual(["mistral:7b"])
  })

  it("an embedding runner takes VRAM and is evicted like any other", async () => {
    const { ollama, engine } = await start()
    await ollama.embed({ model: MODEL, input: "x", keep_alive: "1m" })
    const runner = engine.state().runners.find((r) => r.name === MODEL)
    expect(runner?.bytes).toBeGreaterThan(0.27e9)
    // Three models per GPU: loading three chat models evicts the embedding model (shortest keep_alive).
    for (const m of ["llama3.1:8b", "qwen3:4b", "mistral:7b"]) {
      await ollama.generate({ model: m, prompt: "", keep_alive: "10m" })
    }
    expect((await ollama.ps()).models.map((m) => m.name)).not.toContain(MODEL)
  })
})
