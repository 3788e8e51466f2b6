/**
 * One contract, two adapters: the in-process simulator adapter and the Ollama adapter (ollama-js
 * over HTTP against the simulator's server) must behave the same — listings, residency truth,
 * explicit load/unload, streamed generation, error reasons, and cancellation that stops the
 * generation on the server.
 */
import { Effect, Fiber, Stream } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { makeOllamaBackend, resolveOllamaHost } from "../../src/backends/ollama/adapter.js"
import type { BackendShape, GenerateChunk } from "../../src/backends/port.js"
import { makeSimBackend } from "../../src/backends/sim/adapter.js"
import {
  decodeProfile,
  loadProfile,
  resolveProfilePath,
  SimEngine,
  type SimProfile,
  type SimServer,
  startSimServer,
} from "../../src/backends/sim/index.js"
import type { ConductorError } from "../../src/domain/errors.js"

const profile = loadProfile(resolveProfilePath("tiny-ci"))

interface Harness {
  readonly engine: SimEngine
  readonly backend: BackendShape
  readonly server?: SimServer
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

const harnesses: Record<string, (p?: SimProfile) => Promise<Harness>> = {
  "in-process": async (p = profile) => {
    const engine = new SimEngine(p, { timeScale: 400 })
    cleanups.push(async () => engine.close())
    return { engine, backend: makeSimBackend(engine) }
  },
  "ollama over HTTP": async (p = profile) => {
    const engine = new SimEngine(p, { timeScale: 400 })
    const server = await startSimServer(engine, { port: 0 })
    cleanups.push(async () => {
      await server.close()
      engine.close()
    })
    return { engine, server, backend: makeOllamaBackend({ host: server.url, callTimeoutMs: 5_000 }) }
  },
}

const run = <A>(e: Effect.Effect<A, ConductorError>) => Effect.runPromise(e)
const fail = async (e: Effect.Effect<unknown, ConductorError>): Promise<ConductorError> => {
  const r = await Effect.runPromise(Effect.flip(e))
  return r
}
const collect = (s: Stream.Stream<GenerateChunk, ConductorError>) => Effect.runPromise(Stream.runCollect(s))
const waitFor = async (predicate: () => boolean, timeoutMs = 3_000) => {
  const start = Date.now()
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not met in time")
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe.each(Object.keys(harnesses))("backend adapter: %s", (name) => {
  const make = harnesses[name] as (p?: SimProfile) => Promise<Harness>

  it("lists, describes and reports running models", async () => {
    const { backend } = await make()
    expect(await run(backend.ping)).toMatch(/^\d+\.\d+/)
    const models = await run(backend.listModels)
    expect(models.map((m) => m.name)).toContain("llama3.1:8b")
    const d = await run(backend.describeModel("llama3.1:8b"))
    expect(d).toMatchObject({
      layers: 32,
      heads: 32,
      kvHeads: 8,
      embeddingLength: 4096,
      contextLength: 131072,
    })
    expect(d.sizeBytes).toBe(4.9e9)
    expect(d.parameterSize).toBe("8.0B")
    expect(await run(backend.runningModels)).toEqual([])
  })

  it("loads with a fixed context and unloads explicitly", async () => {
    const { backend, engine } = await make()
    await run(backend.load("qwen3:4b", 8192, "chat"))
    const running = await run(backend.runningModels)
    expect(running).toEqual([{ name: "qwen3:4b", sizeBytes: 3e9, vramBytes: 3e9, contextLength: 8192 }])
    expect(engine.state().runners[0]?.keepAliveMs).toBe(Number.POSITIVE_INFINITY)
    await run(backend.unload("qwen3:4b"))
    await waitFor(() => engine.state().runners.length === 0)
  })

  it("streams tokens and one done chunk, with keep_alive -1 and the fixed num_ctx", async () => {
    const { backend, engine } = await make()
    const chunks = await collect(
      backend.generate("llama3.1:8b", { prompt: "What is 17 * 23?", numCtx: 8192 }),
    )
    const done = chunks[chunks.length - 1]
    expect(done).toMatchObject({ kind: "done", reason: "stop" })
    const text = chunks.flatMap((c) => (c.kind === "token" ? [c.text] : [])).join("")
    expect(text).toContain("391")
    expect(engine.state().runners[0]).toMatchObject({ numCtx: 8192, keepAliveMs: Number.POSITIVE_INFINITY })
    const chat = await collect(
      backend.generate("llama3.1:8b", {
        messages: [{ role: "user", content: "Say hello" }],
        numCtx: 8192,
        numPredict: 3,
      }),
    )
    expect(chat[chat.length - 1]).toMatchObject({ kind: "done", reason: "length", evalTokens: 3 })
  })

  it("loads an embedding model by an empty embed (it is resident, keep_alive -1) and embeds unit vectors", async () => {
    const { backend, engine } = await make()
    await run(backend.load("nomic-embed-text:latest", 2048, "embedding"))
    expect((await run(backend.runningModels)).map((m) => m.name)).toEqual(["nomic-embed-text:latest"])
    expect(engine.state().runners[0]?.keepAliveMs).toBe(Number.POSITIVE_INFINITY)
    const r = await run(
      backend.embed("nomic-embed-text:latest", { input: ["hello world", "bye"], numCtx: 2048 }),
    )
    expect(r.embeddings).toHaveLength(2)
    expect(Math.hypot(...(r.embeddings[0] ?? []))).toBeCloseTo(1, 5)
    expect(r.promptTokens).toBeGreaterThan(0)
    expect(r.totalMs).toBeGreaterThan(0)
    const short = await run(
      backend.embed("nomic-embed-text:latest", { input: ["x"], numCtx: 2048, dimensions: 64 }),
    )
    expect(short.embeddings[0]).toHaveLength(64)
    const long = await fail(
      backend.embed("nomic-embed-text:latest", { input: ["w ".repeat(9000)], numCtx: 2048, truncate: false }),
    )
    expect(long.reason).toBe("BadRequest")
    // A generate-style load of an embedding model is Ollama's 400.
    expect((await fail(backend.load("nomic-embed-text:latest", 2048, "chat"))).reason).toBe("BadRequest")
  })

  it("tool calls and thinking come through as chunks", async () => {
    const { backend } = await make()
    const tools = [
      {
        type: "function" as const,
        function: {
          name: "get_time",
          description: "Get the time in a city",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      },
    ]
    const calls = await collect(
      backend.generate("llama3.1:8b", { prompt: "What time is it in Tokyo?", tools, numCtx: 8192 }),
    )
    const call = calls.find((c) => c.kind === "tool_calls")
    expect(call).toMatchObject({
      kind: "tool_calls",
      calls: [{ name: "get_time", arguments: { city: "Tokyo" } }],
    })
    if (call?.kind === "tool_calls") expect(call.calls[0]?.id).toMatch(/^call_[a-z0-9]{8}$/)
    expect(calls.at(-1)).toMatchObject({ kind: "done", reason: "stop" })
    const thought = await collect(
      backend.generate("qwen3:4b", { prompt: "Why is the sky blue?", think: true, numCtx: 8192 }),
    )
    const kinds = thought.map((c) => c.kind)
    expect(kinds[0]).toBe("thinking")
    expect(kinds.lastIndexOf("thinking")).toBeLessThan(kinds.indexOf("token"))
  })

  it("maps server failures to reasons", async () => {
    const { backend, engine } = await make()
    expect(await fail(backend.describeModel("nope:1b"))).toMatchObject({ reason: "ModelNotFound" })
    expect(
      await fail(Stream.runDrain(backend.generate("nope:1b", { prompt: "x", numCtx: 4096 }))),
    ).toMatchObject({
      reason: "ModelNotFound",
      isRetryable: false,
    })
    expect(await fail(backend.load("qwen2.5-coder:32b", 8192, "chat"))).toMatchObject({
      reason: "OutOfMemory",
    })
    engine.injectFault("qwen3:4b", "cut")
    const cut = await fail(
      Stream.runDrain(backend.generate("qwen3:4b", { prompt: "Write a poem", numCtx: 8192 })),
    )
    expect(cut).toMatchObject({ reason: "Crashed", isRetryable: true })
    engine.injectFault("qwen3:4b", "error")
    expect(
      await fail(Stream.runDrain(backend.generate("qwen3:4b", { prompt: "hi", numCtx: 8192 }))),
    ).toMatchObject({
      reason: "Crashed",
    })
    engine.injectFault("mistral:7b", "load_oom")
    expect(await fail(backend.load("mistral:7b", 8192, "chat"))).toMatchObject({ reason: "OutOfMemory" })
    engine.unreachableFor(60_000)
    expect(await fail(backend.runningModels)).toMatchObject({ reason: "Unavailable", isRetryable: true })
  })

  it("reports a full queue as QueueFull with a retry hint", async () => {
    // One model at a time and a queue of 3: a busy model makes everything else wait.
    const p = decodeProfile({ ...profile, server: { ...profile.server, maxLoadedModels: 1, maxQueue: 3 } })
    const h = await make(p)
    // Slow enough that it is still running when the queue fills, however fast the scaled clock runs.
    h.engine.injectFault("qwen3:4b", "slow", 1, { slowFactor: 1_000_000 })
    const busy = Effect.runFork(
      Stream.runDrain(h.backend.generate("qwen3:4b", { prompt: "Write a story", numCtx: 8192 })),
    )
    await waitFor(() => (h.engine.state().runners[0]?.active ?? 0) > 0)
    const waiting = ["qwen2.5:14b", "mistral:7b", "llama3.1:8b", "qwen2-math:7b"].map((m) =>
      Effect.runFork(Stream.runDrain(h.backend.generate(m, { prompt: "hi", numCtx: 4096 }))),
    )
    // The first queued request is being scheduled (it waits for the busy victim); three more fill
    // the queue, so none is refused yet — the next one is.
    await waitFor(() => h.engine.state().pending === 3)
    const refused = await fail(
      Stream.runDrain(h.backend.generate("deepseek-coder:6.7b", { prompt: "x", numCtx: 4096 })),
    )
    expect(refused).toMatchObject({ reason: "QueueFull", retryAfterMs: 1000, isRetryable: true })
    await Effect.runPromise(Fiber.interrupt(busy))
    for (const f of waiting) await Effect.runPromise(Fiber.interrupt(f))
  })

  it("cancellation stops the generation on the simulator and frees its slot", async () => {
    const { backend, engine } = await make()
    engine.injectFault("qwen3:4b", "slow", 1, { slowFactor: 100 })
    let tokens = 0
    const fiber = Effect.runFork(
      Stream.runForEach(backend.generate("qwen3:4b", { prompt: "Write a long story", numCtx: 8192 }), () =>
        Effect.sync(() => {
          tokens++
        }),
      ),
    )
    await waitFor(() => tokens >= 2)
    await Effect.runPromise(Fiber.interrupt(fiber))
    await waitFor(() => engine.state().requests.cancelled === 1)
    const r = engine.state().runners[0]
    expect(r).toMatchObject({ active: 0, refCount: 0 })
  })
})

describe("resolveOllamaHost", () => {
  it("reads OLLAMA_HOST the way Ollama does", () => {
    expect(resolveOllamaHost(undefined, {})).toBe("http://127.0.0.1:11434")
    expect(resolveOllamaHost(undefined, { OLLAMA_HOST: "0.0.0.0" })).toBe("http://127.0.0.1:11434")
    expect(resolveOllamaHost(undefined, { OLLAMA_HOST: "gpu-box:11500" })).toBe("http://gpu-box:11500")
    expect(resolveOllamaHost("https://ollama.example.com", {})).toBe("https://ollama.example.com")
  })
})
