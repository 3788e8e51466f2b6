/**
 * The simulated Ollama server over real HTTP, driven with the official `ollama` client exactly as
 * users drive a real server: catalogue (list, show, ps, version), generate and chat (streamed and
 * not), load/unload and keep_alive, error statuses, the queue limit, cancellation, Ollama's
 * eviction order, out-of-memory, every fault kind (through the engine and the `/sim/` control
 * endpoints) and determinism by seed. Each test starts its own engine and server on a fast
 * scaled clock (or a manual one) and waits for background state by polling, never with fixed sleeps.
 */
import { type ChatResponse, type GenerateResponse, Ollama } from "ollama"
import { afterEach, describe, expect, it } from "vitest"
import {
  decodeProfile,
  loadProfile,
  ManualClock,
  resolveProfilePath,
  SimEngine,
  type SimEvent,
  type SimProfile,
  type SimServer,
  startSimServer,
  type TimeSource,
} from "../../../src/backends/sim/index.js"

const tiny = loadProfile(resolveProfilePath("tiny-ci"))
const withServer = (server: Partial<SimProfile["server"]>, p: SimProfile = tiny): SimProfile =>
  decodeProfile({ ...p, server: { ...p.server, ...server } })

const PROMPT = "Why is the sky blue?"
const HOUR_MS = 3_600_000
const YEAR_MS = 365.25 * 24 * HOUR_MS

// ---------------------------------------------------------------- harness

interface Harness {
  readonly engine: SimEngine
  readonly server: SimServer
  readonly ollama: Ollama
  readonly url: string
  /** Every engine event, in order. */
  readonly events: SimEvent[]
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const start = async (
  options: { profile?: SimProfile; timeScale?: number; seed?: number; clock?: TimeSource } = {},
): Promise<Harness> => {
  const engine = new SimEngine(options.profile ?? tiny, {
    ...(options.clock !== undefined ? { clock: options.clock } : { timeScale: options.timeScale ?? 200 }),
    seed: options.seed ?? 7,
  })
  const events: SimEvent[] = []
  engine.subscribe((e) => events.push(e))
  const server = await startSimServer(engine, { port: 0 })
  cleanups.push(async () => {
    await server.close()
    engine.close()
  })
  return { engine, server, url: server.url, ollama: new Ollama({ host: server.url }), events }
}

/** Poll `predicate` every few milliseconds until it holds. */
const waitFor = async (
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 3_000,
  what = "condition",
): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 3))
  }
}

/** An object's fields, for JSON read as `unknown` and for fields the client's types omit. */
const fields = (u: unknown): Record<string, unknown> => {
  if (typeof u !== "object" || u === null || Array.isArray(u)) throw new Error(`not an object: ${String(u)}`)
  return Object.fromEntries(Object.entries(u))
}

interface HttpFailure {
  readonly status: number
  readonly message: string
}

/** The ollama client's ResponseError (not exported): status and message; anything else rethrown. */
const responseError = async (call: () => Promise<unknown>): Promise<HttpFailure> => {
  try {
    await call()
  } catch (e) {
    if (e instanceof Error && e.name === "ResponseError" && "status_code" in e) {
      const status = e.status_code
      if (typeof status === "number") return { status, message: e.message }
    }
    throw e
  }
  throw new Error("expected the call to fail with a ResponseError")
}

interface Drained<T> {
  readonly chunks: T[]
  /** When each chunk reached the client, read with `now` (pass the engine clock to time a stream). */
  readonly at: number[]
  readonly error: Error | undefined
}

const drain = async <T>(stream: AsyncIterable<T>, now: () => number = () => 0): Promise<Drained<T>> => {
  const chunks: T[] = []
  const at: number[] = []
  try {
    for await (const c of stream) {
      chunks.push(c)
      at.push(now())
    }
  } catch (e) {
    return { chunks, at, error: e instanceof Error ? e : new Error(String(e)) }
  }
  return { chunks, at, error: undefined }
}

/** Mark a promise handled now (it is awaited later, and a failing test must not leave it unhandled). */
const handled = <T>(p: Promise<T>): Promise<T> => {
  p.catch(() => undefined)
  return p
}

const textOf = (chunks: ReadonlyArray<GenerateResponse>): string =>
  chunks.map((c) => c.response ?? "").join("")

const psNames = async (ollama: Ollama): Promise<string[]> =>
  (await ollama.ps()).models.map((m) => m.name).sort()

const runnerOf = (engine: SimEngine, name: string) => engine.state().runners.find((r) => r.name === name)

const expiresAt = async (ollama: Ollama, name: string): Promise<number> => {
  const m = (await ollama.ps()).models.find((x) => x.name === name)
  if (m === undefined) throw new Error(`${name} is not in ps`)
  return new Date(m.expires_at).getTime()
}

const postJson = async (url: string, body: unknown): Promise<{ status: number; body: unknown }> => {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: await res.json() }
}

const expectTimings = (r: GenerateResponse | ChatResponse): void => {
  for (const key of [
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
  ] as const) {
    expect(Number.isInteger(r[key]), key).toBe(true)
    expect(r[key], key).toBeGreaterThanOrEqual(0)
  }
  expect(r.total_duration).toBeGreaterThanOrEqual(r.load_duration)
  expect(r.eval_count).toBeGreaterThan(0)
  expect(r.prompt_eval_count).toBeGreaterThan(0)
}

// ---------------------------------------------------------------- tests

describe("backends/sim over HTTP", () => {
  describe("catalogue", () => {
    it("list: every tiny-ci model with its size and details", async () => {
      const { ollama } = await start()
      const { models } = await ollama.list()
      expect(models.map((m) => m.name)).toEqual(tiny.models.map((m) => m.name))
      const qwen = models.find((m) => m.name === "qwen2.5:14b")
      expect(qwen).toMatchObject({
        model: "qwen2.5:14b",
        size: 9_000_000_000,
        details: { format: "gguf", family: "qwen2", parameter_size: "14.8B", quantization_level: "Q4_K_M" },
      })
      expect(qwen?.digest).toMatch(/^[0-9a-f]{64}$/)
      for (const m of models) {
        const spec = tiny.models.find((s) => s.name === m.name)
        expect(m.size).toBe(Math.round((spec?.sizeGb ?? 0) * 1e9))
        expect(m.details.parameter_size).toBe(spec?.parameterSize)
        expect(m.details.quantization_level).toBe(spec?.quantisation)
      }
    })

    it("show: details and model_info keyed by architecture; unknown model → 404", async () => {
      const { ollama } = await start()
      const shown = await ollama.show({ model: "llama3.1:8b" })
      expect(shown.details.parameter_size).toBe("8.0B")
      expect(shown.details.quantization_level).toBe("Q4_K_M")
      expect(fields(shown.model_info)).toMatchObject({
        "general.architecture": "llama",
        "general.parameter_count": 8_000_000_000,
        "llama.context_length": 131072,
        "llama.block_count": 32,
        "llama.attention.head_count": 32,
        "llama.attention.head_count_kv": 8,
        "llama.embedding_length": 4096,
      })
      const qwen = fields((await ollama.show({ model: "qwen2.5:14b" })).model_info)
      expect(qwen["general.architecture"]).toBe("qwen2")
      expect(qwen["general.parameter_count"]).toBe(14_800_000_000)
      expect(qwen["qwen2.context_length"]).toBe(32768)
      expect(qwen["qwen2.block_count"]).toBe(48)

      expect(await responseError(() => ollama.show({ model: "x" }))).toEqual({
        status: 404,
        message: "model 'x' not found",
      })
    })

    it("ps: empty at first, then the loaded model with its size, expiry, context and details", async () => {
      const { ollama, engine } = await start()
      expect((await ollama.ps()).models).toEqual([])
      await ollama.generate({ model: "qwen3:4b", prompt: PROMPT })
      const { models } = await ollama.ps()
      expect(models).toHaveLength(1)
      const m = models[0]
      // No num_ctx: Ollama's default for a GPU under 23 GiB, 4096 tokens (the profile quotes 3 GB
      // at 8192; the KV cache is 92160 bytes a token).
      const size = 3_000_000_000 - 92160 * 4096
      expect(m).toMatchObject({
        name: "qwen3:4b",
        model: "qwen3:4b",
        size,
        size_vram: size,
        details: { family: "qwen3", parameter_size: "4.0B", quantization_level: "Q4_K_M" },
      })
      expect(fields(m).context_length).toBe(4096)
      expect(m?.digest).toMatch(/^[0-9a-f]{64}$/)
      const expires = new Date(m?.expires_at ?? 0).getTime()
      // The default keep_alive (5m) of simulated time from now.
      expect(expires).toBeGreaterThan(engine.clock.epochMs())
      expect(expires).toBeLessThanOrEqual(engine.clock.epochMs() + 5 * 60_000)
    })

    it("version, and GET / answers 'Ollama is running'", async () => {
      const { ollama, url } = await start()
      expect(await ollama.version()).toEqual({ version: "0.32.15" })
      const res = await fetch(`${url}/`)
      expect(res.status).toBe(200)
      expect(await res.text()).toBe("Ollama is running")
    })
  })

  describe("generation", () => {
    it("generate, not streamed: text, done_reason stop and integer nanosecond timings", async () => {
      const { ollama } = await start()
      const r = await ollama.generate({ model: "qwen3:4b", prompt: PROMPT, stream: false })
      expect(r.model).toBe("qwen3:4b")
      expect(r.response?.length ?? 0).toBeGreaterThan(0)
      expect(r.done).toBe(true)
      expect(r.done_reason).toBe("stop")
      expectTimings(r)
      // The first request loaded the model; simulated time, reported in nanoseconds.
      expect(r.load_duration).toBeGreaterThan(100_000_000)
      expect(r.context.length).toBeGreaterThan(0)
    })

    it("generate, streamed: the chunks make the same text; the last one is done with timings", async () => {
      const { ollama } = await start()
      const whole = await ollama.generate({ model: "qwen3:4b", prompt: PROMPT, stream: false })
      const { chunks, error } = await drain(
        await ollama.generate({ model: "qwen3:4b", prompt: PROMPT, stream: true }),
      )
      expect(error).toBeUndefined()
      expect(chunks.length).toBeGreaterThan(2)
      expect(chunks.slice(0, -1).every((c) => c.done === false)).toBe(true)
      const last = chunks.at(-1)
      if (last === undefined) throw new Error("no chunks")
      expect(last.done).toBe(true)
      expect(last.done_reason).toBe("stop")
      expectTimings(last)
      expect(last.eval_count).toBe(chunks.length - 1)
      expect(textOf(chunks)).toBe(whole.response)
      // The model was already loaded: no load time this time.
      expect(last.load_duration).toBeLessThan(whole.load_duration)
    })

    it("streamed responses are NDJSON (application/x-ndjson); non-streamed are JSON", async () => {
      const { url } = await start()
      const res = await fetch(`${url}/api/generate`, {
        method: "POST",
        body: JSON.stringify({ model: "qwen3:4b", prompt: PROMPT }),
      })
      expect(res.status).toBe(200)
      expect(res.headers.get("content-type")).toBe("application/x-ndjson")
      const lines = (await res.text()).split("\n").filter((l) => l !== "")
      const parsed = lines.map((l) => fields(JSON.parse(l)))
      expect(parsed.length).toBeGreaterThan(2)
      expect(parsed.at(-1)?.done).toBe(true)

      const single = await fetch(`${url}/api/generate`, {
        method: "POST",
        body: JSON.stringify({ model: "qwen3:4b", prompt: PROMPT, stream: false }),
      })
      expect(single.headers.get("content-type")).toMatch(/^application\/json/)
      expect(fields(await single.json()).done).toBe(true)
    })

    it("chat, streamed and not: assistant messages with content", async () => {
      const { ollama } = await start()
      const messages = [{ role: "user", content: "Summarise the plot of Hamlet." }]
      const r = await ollama.chat({ model: "mistral:7b", messages, stream: false })
      expect(r.message.role).toBe("assistant")
      expect(r.message.content.length).toBeGreaterThan(0)
      expect(r.done_reason).toBe("stop")
      expectTimings(r)

      const { chunks, error } = await drain(
        await ollama.chat({ model: "mistral:7b", messages, stream: true }),
      )
      expect(error).toBeUndefined()
      expect(chunks.every((c) => c.message.role === "assistant")).toBe(true)
      expect(chunks.map((c) => c.message.content).join("")).toBe(r.message.content)
      expect(chunks.at(-1)?.done).toBe(true)
    })

    it("options.num_predict caps the answer: eval_count 5, done_reason length", async () => {
      const { ollama } = await start()
      const r = await ollama.generate({ model: "qwen3:4b", prompt: PROMPT, options: { num_predict: 5 } })
      expect(r.eval_count).toBe(5)
      expect(r.done_reason).toBe("length")
      const c = await ollama.chat({
        model: "qwen3:4b",
        messages: [{ role: "user", content: PROMPT }],
        options: { num_predict: 5 },
      })
      expect(c.eval_count).toBe(5)
      expect(c.done_reason).toBe("length")
    })
  })

  describe("load, unload and keep_alive", () => {
    it("generate with an empty prompt loads; with keep_alive 0 it unloads", async () => {
      const { ollama } = await start()
      const loaded = await ollama.generate({ model: "qwen3:4b", prompt: "" })
      expect(loaded).toMatchObject({ model: "qwen3:4b", response: "", done: true, done_reason: "load" })
      expect(await psNames(ollama)).toEqual(["qwen3:4b"])

      const unloaded = await ollama.generate({ model: "qwen3:4b", prompt: "", keep_alive: 0 })
      expect(unloaded).toMatchObject({ response: "", done: true, done_reason: "unload" })
      await waitFor(async () => (await psNames(ollama)).length === 0, 3_000, "qwen3:4b to leave ps")
    })

    it("chat with no messages loads; with keep_alive 0 it unloads", async () => {
      const { ollama } = await start()
      const loaded = await ollama.chat({ model: "mistral:7b", messages: [] })
      expect(loaded.done_reason).toBe("load")
      expect(loaded.message).toEqual({ role: "assistant", content: "" })
      expect(await psNames(ollama)).toEqual(["mistral:7b"])

      const unloaded = await ollama.chat({ model: "mistral:7b", messages: [], keep_alive: 0 })
      expect(unloaded.done_reason).toBe("unload")
      await waitFor(async () => (await psNames(ollama)).length === 0, 3_000, "mistral:7b to leave ps")
    })

    it("keep_alive forms: seconds, negative (forever), duration strings; sticky per runner", async () => {
      const { ollama, engine } = await start()
      const model = "qwen3:4b"
      const keepAlive = () => runnerOf(engine, model)?.keepAliveMs

      await ollama.generate({ model, prompt: PROMPT, keep_alive: "5m" })
      expect(keepAlive()).toBe(5 * 60_000)
      const fiveMinutes = await expiresAt(ollama, model)

      await ollama.generate({ model, prompt: PROMPT, keep_alive: 3600 })
      expect(keepAlive()).toBe(HOUR_MS)
      const anHour = await expiresAt(ollama, model)
      expect(anHour).toBeGreaterThan(fiveMinutes + 50 * 60_000)
      expect(anHour).toBeLessThanOrEqual(engine.clock.epochMs() + HOUR_MS)
      expect(anHour).toBeGreaterThan(engine.clock.epochMs() + HOUR_MS - 60_000)

      await ollama.generate({ model, prompt: PROMPT, keep_alive: "10m" })
      expect(keepAlive()).toBe(10 * 60_000)
      // No keep_alive: the runner keeps the last one it was given, not the server default (5m).
      await ollama.generate({ model, prompt: PROMPT })
      expect(keepAlive()).toBe(10 * 60_000)
      expect(await expiresAt(ollama, model)).toBeGreaterThan(engine.clock.epochMs() + 9 * 60_000)

      await ollama.generate({ model, prompt: PROMPT, keep_alive: -1 })
      expect(keepAlive()).toBe(Number.POSITIVE_INFINITY)
      expect(await expiresAt(ollama, model)).toBeGreaterThan(engine.clock.epochMs() + 100 * YEAR_MS)
      await ollama.generate({ model, prompt: PROMPT })
      expect(keepAlive()).toBe(Number.POSITIVE_INFINITY)

      expect(await responseError(() => ollama.generate({ model, prompt: PROMPT, keep_alive: "5" }))).toEqual({
        status: 400,
        message: expect.stringContaining("missing unit"),
      })
      // The rejected request changed nothing.
      expect(keepAlive()).toBe(Number.POSITIVE_INFINITY)

      const r = await ollama.generate({ model, prompt: PROMPT, keep_alive: "0" })
      expect(r.done_reason).toBe("stop")
      await waitFor(async () => (await psNames(ollama)).length === 0, 3_000, `${model} to unload`)
    })
  })

  describe("errors", () => {
    it("unknown models are 404 for generate and chat", async () => {
      const { ollama } = await start()
      expect(await responseError(() => ollama.generate({ model: "nope:1b", prompt: PROMPT }))).toEqual({
        status: 404,
        message: "model 'nope:1b' not found",
      })
      const chat = () => ollama.chat({ model: "nope:1b", messages: [{ role: "user", content: PROMPT }] })
      expect(await responseError(chat)).toEqual({ status: 404, message: "model 'nope:1b' not found" })
    })

    it("malformed JSON is 400 with an error; chat without a model is 400 'model is required'", async () => {
      const { url, ollama } = await start()
      for (const path of ["/api/generate", "/api/chat"]) {
        const res = await fetch(`${url}${path}`, { method: "POST", body: '{"model": "qwen3:4b", "prompt": ' })
        expect(res.status).toBe(400)
        expect(res.headers.get("content-type")).toMatch(/^application\/json/)
        const body = fields(await res.json())
        expect(typeof body.error).toBe("string")
        expect(String(body.error).length).toBeGreaterThan(0)
      }
      const broken = await fetch(`${url}/api/generate`, { method: "POST", body: "{bad" })
      expect(broken.status).toBe(400)
      expect(fields(await broken.json()).error).toMatch(/^invalid character 'b'/)

      expect(await responseError(() => ollama.chat({ model: "", messages: [] }))).toEqual({
        status: 400,
        message: "model is required",
      })
      const noModel = await postJson(`${url}/api/chat`, { messages: [{ role: "user", content: "hi" }] })
      expect(noModel).toEqual({ status: 400, body: { error: "model is required" } })
    })

    it("a full queue answers 503 with Ollama's exact message", async () => {
      const { ollama, engine } = await start({ profile: withServer({ maxQueue: 1, maxLoadedModels: 1 }) })
      // A holds the only runner slot: it streams, then stalls for an hour of simulated time.
      engine.injectFault("qwen3:4b", "stall", 1, { stallSec: 3600 })
      const a = await ollama.generate({ model: "qwen3:4b", prompt: PROMPT, stream: true })
      const aIt = a[Symbol.asyncIterator]()
      expect((await aIt.next()).done).toBe(false)

      // B is being scheduled (waiting for busy A to be evicted), C waits in the queue…
      const b = handled(ollama.generate({ model: "mistral:7b", prompt: PROMPT }))
      await waitFor(() => engine.state().processing && engine.state().evictions === 1, 3_000, "B scheduling")
      const c = handled(ollama.generate({ model: "llama3.1:8b", prompt: PROMPT }))
      await waitFor(() => engine.state().pending === 1, 3_000, "C queued")
      // …and the queue (1) is full.
      expect(
        await responseError(() => ollama.generate({ model: "deepseek-coder:6.7b", prompt: PROMPT })),
      ).toEqual({
        status: 503,
        message: "server busy, please try again.  maximum pending requests exceeded",
      })
      const chat = () => ollama.chat({ model: "qwen2.5:14b", messages: [{ role: "user", content: "hi" }] })
      expect((await responseError(chat)).status).toBe(503)

      // Freeing A lets B then C run.
      a.abort()
      expect((await drain({ [Symbol.asyncIterator]: () => aIt })).error?.name).toBe("AbortError")
      const [rb, rc] = await Promise.all([b, c])
      expect(rb.done_reason).toBe("stop")
      expect(rc.done_reason).toBe("stop")
      expect(engine.state().requests).toMatchObject({ completed: 2, cancelled: 1 })
      expect(await psNames(ollama)).toEqual(["llama3.1:8b"])
    })

    it("out of memory: a model larger than the GPU fails with Ollama's wording", async () => {
      const { ollama, engine } = await start()
      const e = await responseError(() => ollama.generate({ model: "qwen2.5-coder:32b", prompt: PROMPT }))
      expect(e.status).toBe(500)
      expect(e.message.startsWith("model requires more system memory")).toBe(true)
      expect(e.message).toMatch(/\(\d+\.\d GiB\) than is available \(\d+\.\d GiB\)$/)
      expect((await ollama.ps()).models).toEqual([])
      expect(engine.state().loads).toBe(0)
    })
  })

  describe("cancellation", () => {
    it("aborting a stream mid-way frees the runner's slot and counts as cancelled", async () => {
      const { ollama, engine } = await start()
      engine.injectFault("qwen3:4b", "slow", 1, { slowFactor: 1000 })
      const stream = await ollama.generate({
        model: "qwen3:4b",
        prompt: PROMPT,
        stream: true,
        options: { num_predict: 100_000 },
      })
      const it = stream[Symbol.asyncIterator]()
      for (let i = 0; i < 3; i++) expect((await it.next()).done).toBe(false)
      expect(runnerOf(engine, "qwen3:4b")).toMatchObject({ active: 1, refCount: 1 })

      stream.abort()
      // Lines already received may still come out of the client's buffer; then it throws.
      const rest = await drain({ [Symbol.asyncIterator]: () => it })
      expect(rest.error?.name).toBe("AbortError")
      expect(rest.chunks.every((c) => c.done === false)).toBe(true)
      await waitFor(
        () => {
          const r = runnerOf(engine, "qwen3:4b")
          return r?.active === 0 && r.refCount === 0 && engine.state().requests.cancelled === 1
        },
        3_000,
        "the slot to be freed",
      )
      expect(engine.state().requests).toMatchObject({ started: 1, completed: 0, failed: 0, cancelled: 1 })
      // The model stays loaded and serves the next request at once.
      const next = await ollama.generate({ model: "qwen3:4b", prompt: PROMPT, options: { num_predict: 3 } })
      expect(next.eval_count).toBe(3)
    })
  })

  describe("eviction (Ollama's order)", () => {
    const twoPerGpu = withServer({ maxLoadedModels: 2 })

    const unloadStarts = (events: ReadonlyArray<SimEvent>) =>
      events.flatMap((e) => (e.type === "unload_started" ? [`${e.model}:${e.reason}`] : []))

    it("the idle runner with the shortest keep_alive goes first", async () => {
      const { ollama, events } = await start({ profile: twoPerGpu })
      await ollama.generate({ model: "mistral:7b", prompt: "", keep_alive: "10m" })
      await ollama.generate({ model: "qwen3:4b", prompt: "", keep_alive: "1m" })
      expect(await psNames(ollama)).toEqual(["mistral:7b", "qwen3:4b"])

      await ollama.generate({ model: "llama3.1:8b", prompt: PROMPT })
      expect(unloadStarts(events)).toEqual(["qwen3:4b:evicted"])
      expect(await psNames(ollama)).toEqual(["llama3.1:8b", "mistral:7b"])
    })

    it("equal keep_alive: the smaller model path (the file's digest) goes first, not the oldest", async () => {
      const { ollama, events } = await start({ profile: twoPerGpu })
      await ollama.generate({ model: "mistral:7b", prompt: "", keep_alive: "5m" })
      await ollama.generate({ model: "qwen3:4b", prompt: "", keep_alive: "5m" })
      // Ollama sorts by the blob path, blobs/sha256-<digest>: the digest /api/ps shows.
      const [first, second] = (await ollama.ps()).models.sort((a, b) => (a.digest < b.digest ? -1 : 1))
      expect(first?.name).toBe("qwen3:4b")

      await ollama.chat({ model: "llama3.1:8b", messages: [{ role: "user", content: PROMPT }] })
      expect(unloadStarts(events)).toEqual([`${first?.name}:evicted`])
      expect(await psNames(ollama)).toEqual(["llama3.1:8b", second?.name])
    })

    it("a busy victim is waited for: the new model loads after its stream ends", async () => {
      const { ollama, engine, events } = await start({ profile: withServer({ maxLoadedModels: 1 }) })
      // A streams for about 170 ms of real time (100× slower than normal).
      engine.injectFault("qwen3:4b", "slow", 1, { slowFactor: 100 })
      const order: string[] = []
      const a = await ollama.generate({ model: "qwen3:4b", prompt: PROMPT, stream: true })
      const aDone = drain(a).then((d) => {
        order.push("a:done")
        return d
      })
      const c = handled(
        (async () => {
          const s = await ollama.generate({ model: "mistral:7b", prompt: PROMPT, stream: true })
          let first = true
          return drain(
            (async function* () {
              for await (const chunk of s) {
                if (first) order.push("c:first")
                first = false
                yield chunk
              }
            })(),
          )
        })(),
      )
      // C has chosen A, still streaming, as its victim and waits; nothing of C is loaded yet.
      await waitFor(() => engine.state().evictions === 1, 3_000, "C to choose its victim")
      expect(runnerOf(engine, "qwen3:4b")).toMatchObject({ state: "ready", refCount: 1, keepAliveMs: 0 })
      expect(runnerOf(engine, "mistral:7b")).toBeUndefined()
      expect(order).toEqual([])

      const [ra, rc] = await Promise.all([aDone, c])
      expect(ra.error).toBeUndefined()
      expect(rc.error).toBeUndefined()
      expect(ra.chunks.at(-1)?.done).toBe(true)
      expect(rc.chunks.at(-1)?.done).toBe(true)
      expect(order).toEqual(["a:done", "c:first"])

      const index = (p: (e: SimEvent) => boolean) => events.findIndex(p)
      const aFinished = index((e) => e.type === "request_finished" && e.model === "qwen3:4b")
      const aEvicted = index((e) => e.type === "unload_started" && e.model === "qwen3:4b")
      const cLoad = index((e) => e.type === "load_started" && e.model === "mistral:7b")
      expect(aFinished).toBeGreaterThanOrEqual(0)
      expect(aEvicted).toBeGreaterThan(aFinished)
      expect(cLoad).toBeGreaterThan(aEvicted)
      expect(events[aEvicted]).toMatchObject({ reason: "evicted" })
      expect(engine.state().evictions).toBe(1)
    })
  })

  describe("faults", () => {
    it("error before the first token: 500, streamed or not, and no chunk", async () => {
      const { ollama, engine } = await start()
      engine.injectFault("qwen3:4b", "error", 2)
      const message = "an error was encountered while running the model: unexpected EOF"
      expect(await responseError(() => ollama.generate({ model: "qwen3:4b", prompt: PROMPT }))).toEqual({
        status: 500,
        message,
      })
      const chunks: GenerateResponse[] = []
      const streamed = await responseError(async () => {
        const s = await ollama.generate({ model: "qwen3:4b", prompt: PROMPT, stream: true })
        for await (const c of s) chunks.push(c)
      })
      expect(streamed).toEqual({ status: 500, message })
      expect(chunks).toEqual([])
      expect(engine.state().requests.failed).toBe(2)
      // The faults are used up: the next request succeeds.
      expect((await ollama.generate({ model: "qwen3:4b", prompt: PROMPT })).done_reason).toBe("stop")
    })

    it("cut mid-stream: some chunks, then the iterator throws the error line", async () => {
      const { ollama, engine } = await start()
      engine.injectFault("mistral:7b", "cut")
      const whole = await (async () => {
        const s = await ollama.generate({ model: "mistral:7b", prompt: PROMPT, stream: true })
        return drain(s)
      })()
      expect(whole.error?.message).toBe("an error was encountered while running the model: unexpected EOF")
      expect(whole.chunks.length).toBeGreaterThan(0)
      expect(whole.chunks.every((c) => c.done === false)).toBe(true)
      const full = await ollama.generate({ model: "mistral:7b", prompt: PROMPT })
      expect(full.response?.startsWith(textOf(whole.chunks))).toBe(true)
      expect(full.eval_count).toBeGreaterThan(whole.chunks.length)
      // Not streamed, a cut is a plain 500.
      engine.injectFault("mistral:7b", "cut")
      expect(
        (await responseError(() => ollama.generate({ model: "mistral:7b", prompt: PROMPT }))).status,
      ).toBe(500)
    })

    it("stall: a gap in the stream (set through POST /sim/faults), which still completes", async () => {
      // 100× real time: the 20 s stall is 200 ms of real time, well above timer jitter.
      const { ollama, engine, url } = await start({ timeScale: 100 })
      const set = await postJson(`${url}/sim/faults`, {
        model: "qwen3:4b",
        inject: { kind: "stall", count: 1, stallSec: 20 },
      })
      expect(set.status).toBe(200)
      expect(fields(set.body).queued).toEqual([{ model: "qwen3:4b", kind: "stall", remaining: 1 }])

      const s = await ollama.generate({ model: "qwen3:4b", prompt: PROMPT, stream: true })
      const { chunks, at, error } = await drain(s, () => engine.clock.now())
      expect(error).toBeUndefined()
      const last = chunks.at(-1)
      expect(last?.done).toBe(true)
      expect(last?.done_reason).toBe("stop")
      // eval_duration includes the stall (simulated time).
      expect(last?.eval_duration ?? 0).toBeGreaterThanOrEqual(20e9)
      const gaps = at.slice(1).map((t, i) => t - (at[i] ?? t))
      const widest = Math.max(...gaps)
      expect(widest).toBeGreaterThan(15_000)
      // Only one gap of that size: the rest of the stream flows.
      expect(gaps.filter((g) => g > 10_000)).toHaveLength(1)
      const after = fields(await (await fetch(`${url}/sim/faults`)).json())
      expect(after.queued).toEqual([])
    })

    it("slow: eval_duration grows by the slow factor", async () => {
      const { ollama, engine } = await start()
      const model = "qwen3:4b"
      const normal = await ollama.generate({ model, prompt: PROMPT })
      engine.injectFault(model, "slow", 1, { slowFactor: 50 })
      const slow = await ollama.generate({ model, prompt: PROMPT })
      expect(slow.response).toBe(normal.response)
      expect(slow.eval_count).toBe(normal.eval_count)
      // At least factor × tokens × (1 / 800 tok/s), in nanoseconds; timers only add.
      expect(slow.eval_duration).toBeGreaterThanOrEqual(50 * slow.eval_count * 1.25e6)
      expect(slow.eval_duration).toBeGreaterThan(3 * normal.eval_duration)
      // Prompt evaluation is slowed too: factor × prompt tokens / 40000 tok/s at least.
      expect(slow.prompt_eval_duration).toBeGreaterThanOrEqual((50 * slow.prompt_eval_count * 1e9) / 40_000)
    })

    it("load failures: 500 'llama runner process has terminated', and nothing stays loaded", async () => {
      const { ollama, engine, url } = await start()
      engine.injectFault("mistral:7b", "load_oom")
      const oom = await responseError(() => ollama.generate({ model: "mistral:7b", prompt: PROMPT }))
      expect(oom.status).toBe(500)
      expect(oom.message).toBe("llama runner process has terminated: cudaMalloc failed: out of memory")
      expect((await ollama.ps()).models).toEqual([])

      const set = await postJson(`${url}/sim/faults`, {
        model: "qwen3:4b",
        inject: { kind: "load_terminated", count: 1 },
      })
      expect(set.status).toBe(200)
      const chat = () => ollama.chat({ model: "qwen3:4b", messages: [{ role: "user", content: PROMPT }] })
      const terminated = await responseError(chat)
      expect(terminated.status).toBe(500)
      expect(terminated.message.startsWith("llama runner process has terminated")).toBe(true)
      expect((await ollama.ps()).models).toEqual([])
      expect(engine.state()).toMatchObject({ loads: 2, loadFailures: 2, vram: { usedBytes: 0 } })

      // The faults were one-shot: the next load works.
      expect((await chat()).done_reason).toBe("stop")
      expect(await psNames(ollama)).toEqual(["qwen3:4b"])
    })

    it("crash (POST /sim/crash) mid-stream: the stream throws, ps empties, the next load works", async () => {
      const { ollama, engine, url } = await start()
      engine.injectFault("qwen3:4b", "slow", 1, { slowFactor: 1000 })
      const s = await ollama.generate({ model: "qwen3:4b", prompt: PROMPT, stream: true })
      const it = s[Symbol.asyncIterator]()
      expect((await it.next()).done).toBe(false)

      expect(await postJson(`${url}/sim/crash`, {})).toEqual({ status: 200, body: { crashed: true } })
      expect((await ollama.ps()).models).toEqual([])
      const rest = await drain({ [Symbol.asyncIterator]: () => it })
      expect(rest.error?.message).toMatch(/^llama runner process has terminated/)
      expect(rest.chunks.every((c) => c.done === false)).toBe(true)
      expect(engine.state().requests.failed).toBe(1)

      const again = await ollama.generate({ model: "qwen3:4b", prompt: PROMPT })
      expect(again.done_reason).toBe("stop")
      expect(again.load_duration).toBeGreaterThan(100_000_000)
      expect(engine.state().loads).toBe(2)
    })

    it("load cost (POST /sim/load-cost) and the page cache (DELETE /sim/page-cache)", async () => {
      const { ollama, url, events } = await start()
      const post = (path: string, body: unknown, method = "POST") =>
        fetch(`${url}${path}`, { method, body: JSON.stringify(body) })
      const reload = async () => {
        await ollama.generate({ model: "qwen3:4b", prompt: "", keep_alive: 0 })
        await waitFor(() => events.some((e) => e.type === "unloaded"), 3_000, "the unload")
        events.length = 0
        await ollama.generate({ model: "qwen3:4b", prompt: "" })
        return events.flatMap((e) => (e.type === "load_started" ? [e.expectedMs] : []))
      }
      await ollama.generate({ model: "qwen3:4b", prompt: "" })
      // tiny-ci: 0.2 s start-up, the 2.5 GB file at 20 GB/s cold, 40 GB/s warm.
      expect(events.flatMap((e) => (e.type === "load_started" ? [e.expectedMs] : []))).toEqual([325])
      expect(await (await post("/sim/load-cost", { scale: 2 })).json()).toEqual({ loadCostScale: 2 })
      expect(await reload()).toEqual([525])
      const dropped = await post("/sim/page-cache", undefined, "DELETE")
      expect(await dropped.json()).toMatchObject({ usedBytes: 0, files: [] })
      expect(await reload()).toEqual([650])
      const bad = await post("/sim/load-cost", { scale: 0 })
      expect(bad.status).toBe(400)
      expect(await bad.json()).toEqual({ error: "scale: expected a number > 0" })
    })

    it("unreachable (POST /sim/unreachable): connections are refused, then served again", async () => {
      // Virtual time: the window ends only when the test says so.
      const clock = new ManualClock()
      const { ollama, engine, url } = await start({ clock })
      expect(await postJson(`${url}/sim/unreachable`, { seconds: 30 })).toEqual({
        status: 200,
        body: { unreachableForSec: 30 },
      })
      expect(engine.state().unreachableUntil).toBeDefined()
      const failure = await ollama.list().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(failure).toBeInstanceOf(TypeError)
      expect(failure instanceof Error ? failure.message : "").toBe("fetch failed")
      const cause = failure instanceof Error ? fields(failure.cause) : {}
      expect(cause.code).toBe("ECONNREFUSED")
      // Still refused just before the window ends.
      await clock.advance(29_000)
      await expect(ollama.version()).rejects.toThrow("fetch failed")

      await clock.advance(1_000)
      await waitFor(
        () =>
          ollama.list().then(
            () => true,
            () => false,
          ),
        3_000,
        "the server to be reachable again",
      )
      expect(engine.state().unreachableUntil).toBeUndefined()
      expect(await ollama.version()).toEqual({ version: "0.32.15" })
    })

    it("control endpoints: GET /sim/state, DELETE /sim/faults, bad fault kinds are 400", async () => {
      const { url, engine } = await start()
      const state = fields(await (await fetch(`${url}/sim/state`)).json())
      expect(state).toMatchObject({ profile: "tiny-ci", timeScale: 200, runners: [], pending: 0 })

      const bad = await postJson(`${url}/sim/faults`, { model: "qwen3:4b", inject: { kind: "gremlins" } })
      expect(bad.status).toBe(400)
      expect(String(fields(bad.body).error)).toMatch(/^inject\.kind: expected one of error, cut/)
      const unknown = await postJson(`${url}/sim/faults`, { model: "x", inject: { kind: "cut" } })
      expect(unknown).toEqual({ status: 404, body: { error: "model 'x' not found" } })

      await postJson(`${url}/sim/faults`, { set: { cutMidStream: 0.25 } })
      await postJson(`${url}/sim/faults`, { model: "mistral:7b", inject: { kind: "error", count: 2 } })
      expect(engine.state().faults.defaults.cutMidStream).toBe(0.25)
      expect(engine.state().faults.queued).toEqual([{ model: "mistral:7b", kind: "error", remaining: 2 }])
      const cleared = await fetch(`${url}/sim/faults`, { method: "DELETE" })
      expect(cleared.status).toBe(200)
      expect(engine.state().faults.defaults.cutMidStream).toBe(0)
      expect(engine.state().faults.queued).toEqual([])
    })
  })

  describe("determinism", () => {
    const textFrom = async (seed: number, options?: { seed: number }): Promise<string> => {
      const { ollama } = await start({ seed })
      const r = await ollama.generate({
        model: "llama3.1:8b",
        prompt: "Write a short story about a lighthouse keeper",
        ...(options !== undefined ? { options } : {}),
      })
      return r.response ?? ""
    }

    it("the same engine seed gives the same text; another seed (or options.seed) another", async () => {
      const a = await textFrom(7)
      const b = await textFrom(7)
      expect(a.length).toBeGreaterThan(0)
      expect(b).toBe(a)
      expect(await textFrom(8)).not.toBe(a)
      const withOption = await textFrom(7, { seed: 1234 })
      expect(withOption).not.toBe(a)
      expect(await textFrom(8, { seed: 1234 })).toBe(withOption)
    })

    it("seeded probabilistic faults fail the same requests on two engines", async () => {
      const outcomes = async (): Promise<string[]> => {
        const { ollama, engine } = await start({ seed: 11 })
        engine.setFaults(undefined, { cutMidStream: 0.5 })
        const out: string[] = []
        for (let i = 0; i < 12; i++) {
          const model = i % 3 === 0 ? "mistral:7b" : "qwen3:4b"
          const s = await ollama.generate({ model, prompt: `${PROMPT} #${i}`, stream: true })
          const { chunks, error } = await drain(s)
          out.push(error === undefined ? "ok" : `cut after ${chunks.length}`)
        }
        return out
      }
      const first = await outcomes()
      const second = await outcomes()
      expect(second).toEqual(first)
      expect(first).toContain("ok")
      expect(first.some((o) => o.startsWith("cut"))).toBe(true)
    })
  })

  // Regressions: places where the simulator once disagreed with Ollama.
  describe("fixed divergences from Ollama", () => {
    // A runner killed by crash() must not re-arm its keep_alive when its last request ends, or its
    // expiry would unload the reloaded model.
    it("after a crash, the dead runner's keep_alive never unloads anything", async () => {
      const { ollama, engine, url, events } = await start()
      engine.injectFault("qwen3:4b", "slow", 1, { slowFactor: 1000 })
      const s = await ollama.generate({ model: "qwen3:4b", prompt: PROMPT, stream: true, keep_alive: "10s" })
      const it = s[Symbol.asyncIterator]()
      await it.next()
      await postJson(`${url}/sim/crash`, {})
      await drain({ [Symbol.asyncIterator]: () => it })
      await ollama.generate({ model: "qwen3:4b", prompt: PROMPT, keep_alive: "1h" })
      const crashedAt = events.find((e) => e.type === "crashed")?.at ?? 0
      // Long past the dead runner's 10 s keep_alive (and its unload time).
      await waitFor(() => engine.clock.now() > crashedAt + 30_000, 3_000, "30 s of simulated time")
      expect(events.filter((e) => e.type === "unload_started" || e.type === "unloaded")).toEqual([])
      expect(engine.state().unloads).toBe(0)
    })

    // Go's json.Decoder (gin's ShouldBindJSON) says "unexpected EOF" for a body cut short.
    it("a truncated JSON body is 400 'unexpected EOF', not an invalid first character", async () => {
      const { url } = await start()
      const res = await fetch(`${url}/api/chat`, {
        method: "POST",
        body: '{"model": "qwen3:4b", "messages": ',
      })
      expect(res.status).toBe(400)
      expect(fields(await res.json()).error).toBe("unexpected EOF")
    })

    // Go decodes a JSON null into a pointer (keep_alive), string (prompt) or `format` as "not set".
    it("keep_alive: null is 'not set' (the runner keeps its keep_alive), not a 400", async () => {
      const { url } = await start()
      const body = { model: "qwen3:4b", prompt: PROMPT, stream: false, keep_alive: null }
      const r = await postJson(`${url}/api/generate`, body)
      expect(r.status).toBe(200)
      expect(fields(r.body).done_reason).toBe("stop")
    })

    it("format: null is 'not set': a free-text answer, not JSON", async () => {
      const { url } = await start()
      const plain = await postJson(`${url}/api/generate`, {
        model: "qwen3:4b",
        prompt: PROMPT,
        stream: false,
      })
      const body = { model: "qwen3:4b", prompt: PROMPT, stream: false, format: null }
      const withNull = await postJson(`${url}/api/generate`, body)
      expect(withNull.status).toBe(200)
      expect(fields(withNull.body).response).toBe(fields(plain.body).response)
    })

    it("prompt: null is an empty prompt: the model is loaded", async () => {
      const { url } = await start()
      const r = await postJson(`${url}/api/generate`, { model: "qwen3:4b", prompt: null })
      expect(r.status).toBe(200)
      expect(fields(r.body).done_reason).toBe("load")
    })
  })
})
