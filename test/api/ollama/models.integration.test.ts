/**
 * The Ollama model endpoints and residency through empty requests, with ollama-js against
 * `conductor serve` on the simulator: tags (the aliases and the registry models the backend
 * has), show (registry facts, Ollama's capabilities; 404 otherwise), ps (Conductor's residency),
 * version; a load request loads through the scheduler, `keep_alive: 0` unloads, and both show
 * in /api/ps and /v1/status.
 */
import { Ollama } from "ollama"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Served, serve } from "../../support/serve.js"
import { TINY_CI_MODELS } from "../../support/tiny-ci.js"

interface StatusModel {
  name: string
  state: string
}

describe("Ollama API: models and residency (ollama-js against conductor serve)", () => {
  let server: Served
  let ollama: Ollama

  const status = async () =>
    ((await (await fetch(`${server.url}/v1/status`)).json()) as { models: StatusModel[] }).models
  const stateOf = async (name: string) => (await status()).find((m) => m.name === name)?.state
  /** Poll /api/ps (bounded) until `done` holds for its names. */
  const psUntil = async (done: (names: string[]) => boolean) => {
    for (let i = 0; i < 200; i++) {
      const names = (await ollama.ps()).models.map((m) => m.name)
      if (done(names)) return names
      await new Promise((r) => setTimeout(r, 25))
    }
    throw new Error("/api/ps never showed the expected models")
  }

  beforeAll(async () => {
    server = await serve(["--backend", "sim", "--sim-profile", "tiny-ci", "--time-scale", "5"])
    ollama = new Ollama({ host: server.url })
  })
  afterAll(async () => {
    await server.stop()
  })

  it("lists the routing aliases and every registry model the backend has, in Ollama's shape", async () => {
    const { models } = await ollama.list()
    const names = models.map((m) => m.name)
    expect(names.slice(0, 4)).toEqual(["auto", "auto:fast", "auto:balanced", "auto:quality"])
    expect(names).toEqual(expect.arrayContaining([...TINY_CI_MODELS]))
    // Registry models the simulated host lacks are not offered.
    expect(names).not.toContain("llama3.3:70b")
    const llama = models.find((m) => m.name === "llama3.1:8b")
    expect(llama).toMatchObject({
      model: "llama3.1:8b",
      size: expect.any(Number),
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
      details: {
        format: "gguf",
        family: "llama",
        families: ["llama"],
        parameter_size: "8.0B",
        quantization_level: "Q4_K_M",
      },
    })
    expect(Number.isNaN(Date.parse(llama?.modified_at as unknown as string))).toBe(false)
    expect(llama?.size).toBeGreaterThan(1e9)
  })

  it("shows a registry model with its context length and capabilities, an alias with what it routes to, 404 otherwise", async () => {
    const qwen = await ollama.show({ model: "qwen3:4b" })
    expect(qwen.details).toMatchObject({ family: "qwen3", parameter_size: "4.0B" })
    expect(qwen.model_info).toMatchObject({
      "general.architecture": "qwen3",
      "qwen3.context_length": expect.any(Number),
    })
    expect(qwen.capabilities).toEqual(expect.arrayContaining(["completion", "tools", "thinking"]))
    const coder = await ollama.show({ model: "deepseek-coder:6.7b" })
    expect(coder.capabilities).toEqual(["completion"])
    const auto = await ollama.show({ model: "auto" })
    expect(auto.capabilities).toEqual(expect.arrayContaining(["completion", "tools"]))
    expect(
      (auto.model_info as unknown as Record<string, number>)["conductor.context_length"],
    ).toBeGreaterThanOrEqual(131072)
    await expect(ollama.show({ model: "nope:1b" })).rejects.toMatchObject({
      status_code: 404,
      error: "model 'nope:1b' not found",
    })
    await expect(ollama.show({ model: "" })).rejects.toMatchObject({
      status_code: 400,
      error: "model is required",
    })
  })

  it("reports the backend's Ollama version, and Conductor's beside it", async () => {
    expect(await ollama.version()).toMatchObject({ version: "0.32.15" })
    expect(await (await fetch(`${server.url}/api/version`)).json()).toEqual({
      version: "0.32.15",
      conductor: expect.stringMatching(/^\d+\.\d+\.\d+/),
    })
  })

  it("loads a model on an empty prompt through the scheduler, unloads it on keep_alive 0; /api/ps and /v1/status agree", async () => {
    const model = "mistral:7b"
    expect(await stateOf(model)).not.toBe("resident")
    const loaded = await ollama.generate({ model, prompt: "" })
    expect(loaded).toMatchObject({ model, response: "", done: true, done_reason: "load" })
    expect(await stateOf(model)).toBe("resident")
    const entry = (await ollama.ps()).models.find((m) => m.name === model)
    expect(entry).toMatchObject({
      model,
      size: expect.any(Number),
      size_vram: expect.any(Number),
      context_length: 8192,
    })
    expect(entry?.size_vram).toBe(entry?.size)
    expect(new Date(entry?.expires_at as unknown as string).getFullYear()).toBeGreaterThan(2200)

    const unloaded = await ollama.generate({ model, prompt: "", keep_alive: 0 })
    expect(unloaded).toMatchObject({ model, done: true, done_reason: "unload" })
    await psUntil((names) => !names.includes(model))
    // /api/ps drops it as it starts unloading; the status shows it gone once the backend let go.
    for (let i = 0; i < 200 && (await stateOf(model)) === "unloading"; i++) {
      await new Promise((r) => setTimeout(r, 25))
    }
    expect(await stateOf(model)).toBe("unloaded")

    // The same through chat: no messages.
    const chatLoad = await ollama.chat({ model: "deepseek-coder:6.7b", messages: [] })
    expect(chatLoad).toMatchObject({
      done: true,
      done_reason: "load",
      message: { role: "assistant", content: "" },
    })
    await psUntil((names) => names.includes("deepseek-coder:6.7b"))
    const chatUnload = await ollama.chat({ model: "deepseek-coder:6.7b", messages: [], keep_alive: "0s" })
    expect(chatUnload.done_reason).toBe("unload")
    await psUntil((names) => !names.includes("deepseek-coder:6.7b"))
  })

  it("keeps a model on a normal request with keep_alive 0: Conductor owns residency", async () => {
    const model = "llama3.1:8b"
    const r = await ollama.generate({ model, prompt: "Say hello.", keep_alive: 0, stream: false })
    expect(r.done_reason).toBe("stop")
    expect(await stateOf(model)).toBe("resident")
  })

  it("takes a load of an alias as the no-op it is (ollama run auto sends one), refuses its unload and unknown models", async () => {
    const before = (await ollama.ps()).models.map((m) => m.name)
    const routed = await ollama.generate({ model: "auto", prompt: "" })
    expect(routed).toMatchObject({ model: "auto", done: true, done_reason: "load" })
    expect((await ollama.ps()).models.map((m) => m.name)).toEqual(before)
    await expect(ollama.generate({ model: "auto", prompt: "", keep_alive: 0 })).rejects.toMatchObject({
      status_code: 400,
      error: expect.stringMatching(
        /^model: an unload request \(an empty prompt, keep_alive 0\) must name a model/,
      ),
    })
    await expect(ollama.chat({ model: "nope:1b", messages: [] })).rejects.toMatchObject({
      status_code: 404,
      error: "model 'nope:1b' not found",
    })
  })
})
