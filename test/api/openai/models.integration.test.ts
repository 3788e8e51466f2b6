/**
 * `GET /v1/models`, `GET /v1/models/{id}` and `POST /v1/embeddings` of a spawned `conductor
 * serve` on the simulator, through the official SDK: the routing aliases and every registry
 * model, and vectors from an embedding model (base64, as the SDK asks by default, and float).
 */
import OpenAI, { BadRequestError } from "openai"
import type { Model } from "openai/resources/models"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Served, serve } from "../../support/serve.js"

interface Extension {
  kind: string
  tier?: string
  available?: boolean
  capabilities?: string[]
  contextWindow?: number
}
const ext = (m: Model): Extension => (m as unknown as { conductor: Extension }).conductor

describe("models and embeddings (openai SDK against conductor serve)", () => {
  let server: Served
  let client: OpenAI
  let models: Model[]

  beforeAll(async () => {
    server = await serve(["--backend", "sim", "--sim-profile", "tiny-ci", "--time-scale", "20"])
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 })
    models = []
    for await (const m of client.models.list()) models.push(m)
  })
  afterAll(async () => {
    await server.stop()
  })

  const embeddingModel = (): string => {
    const m = models.find((x) => ext(x).kind === "embedding" && ext(x).available === true)
    if (m === undefined)
      throw new Error(`no available embedding model in ${models.map((x) => x.id).join(", ")}`)
    return m.id
  }

  it("lists the routing aliases first, then every registry model", async () => {
    expect(models.slice(0, 4).map((m) => m.id)).toEqual([
      "auto",
      "auto:fast",
      "auto:balanced",
      "auto:quality",
    ])
    expect(
      models.every((m) => m.object === "model" && typeof m.created === "number" && m.owned_by !== ""),
    ).toBe(true)
    expect(ext(models[1] as Model)).toEqual({ kind: "route", tier: "fast" })
    const status = (await (await fetch(`${server.url}/v1/status`)).json()) as {
      models: Array<{ name: string }>
    }
    expect(new Set(models.slice(4).map((m) => m.id))).toEqual(new Set(status.models.map((m) => m.name)))
    const qwen = models.find((m) => m.id === "qwen2.5:14b") as Model
    expect(ext(qwen)).toMatchObject({
      kind: "chat",
      available: true,
      capabilities: expect.arrayContaining(["tools"]),
    })
    // Registry models the backend lacks are listed, and say so.
    expect(models.some((m) => ext(m).available === false)).toBe(true)
  })

  it("retrieves one model, alias or registry name", async () => {
    expect(await client.models.retrieve("auto:quality")).toMatchObject({
      id: "auto:quality",
      object: "model",
    })
    const m = await client.models.retrieve("mistral:7b")
    expect(m).toMatchObject({ id: "mistral:7b", object: "model", owned_by: "library" })
    expect(ext(m).contextWindow).toBeGreaterThan(0)
  })

  it("embeds one text; the SDK's default base64 decodes to the float vector", async () => {
    const model = embeddingModel()
    const { data: r, response } = await client.embeddings
      .create({ model: "auto", input: "hello world" })
      .withResponse()
    expect(r.object).toBe("list")
    expect(r.model).toBe(model)
    expect(response.headers.get("x-conductor-model")).toBe(model)
    expect(r.data).toHaveLength(1)
    const vector = r.data[0]?.embedding as number[]
    expect(vector.length).toBeGreaterThan(8)
    expect(vector.every((x) => Number.isFinite(x))).toBe(true)
    expect(r.usage.prompt_tokens).toBeGreaterThan(0)
    expect(r.usage.total_tokens).toBe(r.usage.prompt_tokens)
    const floats = await client.embeddings.create({ model, input: "hello world", encoding_format: "float" })
    expect((floats.data[0]?.embedding ?? []).map(Math.fround)).toEqual(vector)
    // `name` and `name:latest` are one model.
    const short = model.replace(/:latest$/, "")
    expect((await client.models.retrieve(short)).id).toBe(model)
    expect((await client.embeddings.create({ model: short, input: "hello world" })).model).toBe(model)
  })

  it("embeds many texts in order; dimensions shortens the vectors", async () => {
    const model = embeddingModel()
    const input = ["the cat sat", "on the mat", "the cat sat"]
    const r = await client.embeddings.create({ model, input })
    expect(r.data.map((d) => d.index)).toEqual([0, 1, 2])
    expect(r.data[0]?.embedding).toEqual(r.data[2]?.embedding)
    expect(r.data[0]?.embedding).not.toEqual(r.data[1]?.embedding)
    const short = await client.embeddings.create({ model, input: "the cat sat", dimensions: 8 })
    expect(short.data[0]?.embedding).toHaveLength(8)
  })

  it("refuses an embedding model for chat", async () => {
    const e = await client.chat.completions
      .create({ model: embeddingModel(), messages: [{ role: "user", content: "Hi" }] })
      .catch((x: unknown) => x)
    expect(e).toBeInstanceOf(BadRequestError)
    expect(e).toMatchObject({ code: "invalid_model", param: "model" })
  })

  it("refuses a chat model for embeddings, empty input and token arrays", async () => {
    await expect(client.embeddings.create({ model: "qwen2.5:14b", input: "x" })).rejects.toMatchObject({
      status: 400,
      param: "model",
      code: "invalid_model",
    })
    await expect(client.embeddings.create({ model: "auto", input: "" })).rejects.toMatchObject({
      status: 400,
      param: "input",
    })
    await expect(client.embeddings.create({ model: "auto", input: [[1, 2, 3]] })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/token arrays are not supported/),
    })
  })
})
