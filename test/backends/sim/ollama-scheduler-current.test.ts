/**
 * What the current Ollama release's scheduler does that v0.12.6's did not, on virtual time: cold
 * and warm loads through the page cache (and its eviction), measured load times and the load-cost
 * scale, the 80% rule, llama-server's CPU offload, runners joining the loaded set only after their
 * load, the VRAM-based default context, aborted loads, the OOM retry, serial unloads, and the
 * keep-alive "resurrection" stall of ollama#17408.
 */
import { describe, expect, it } from "vitest"
import {
  decodeProfile,
  loadProfile,
  ManualClock,
  resolveProfilePath,
  SimEngine,
  type SimEvent,
  type SimProfile,
} from "../../../src/backends/sim/index.js"
import { footprintBytes } from "../../../src/backends/sim/profile.js"

const tiny = loadProfile(resolveProfilePath("tiny-ci"))
const ws = loadProfile(resolveProfilePath("workstation-24gb"))
const GB = 1e9
const GiB = 1024 ** 3
const HOUR_MS = 3_600_000

const withChanges = (p: SimProfile, changes: Record<string, unknown>): SimProfile =>
  decodeProfile({ ...p, ...changes })
const withServer = (p: SimProfile, server: Partial<SimProfile["server"]>): SimProfile =>
  decodeProfile({ ...p, server: { ...p.server, ...server } })
const modelOf = (p: SimProfile, name: string) => {
  const m = p.models.find((x) => x.name === name)
  if (m === undefined) throw new Error(`no ${name}`)
  return m
}

interface Run {
  readonly chunks: Array<Record<string, unknown>>
  readonly done: Promise<Array<Record<string, unknown>>>
}

const setup = (profile: SimProfile, options: { loadCostScale?: number } = {}) => {
  const clock = new ManualClock()
  const engine = new SimEngine(profile, { clock, ...options })
  const events: SimEvent[] = []
  engine.subscribe((e) => events.push(e))
  const send = (req: Parameters<SimEngine["generate"]>[0], signal?: AbortSignal): Run => {
    const chunks: Array<Record<string, unknown>> = []
    const done = (async () => {
      const r = await engine.generate(req, signal)
      if (r.kind === "single") {
        chunks.push(r.body)
        return chunks
      }
      chunks.push(r.first)
      for (let x = await r.rest.next(); x.done !== true; x = await r.rest.next()) chunks.push(x.value)
      return chunks
    })()
    done.catch(() => undefined)
    return { chunks, done }
  }
  /** Send, let it run for `ms`, return its last chunk. */
  const ask = async (req: Parameters<SimEngine["generate"]>[0], ms = 60_000) => {
    const r = send(req)
    await clock.advance(ms)
    const chunks = await r.done
    return chunks[chunks.length - 1] as Record<string, unknown>
  }
  /** keep_alive 0 with an empty prompt, then time for the unload. */
  const unload = async (model: string) => {
    await engine.generate({ model, prompt: "", keep_alive: 0 })
    await clock.advance(5_000)
  }
  const ofType = <T extends SimEvent["type"]>(type: T) =>
    events.filter((e): e is Extract<SimEvent, { type: T }> => e.type === type)
  return { clock, engine, events, send, ask, unload, ofType }
}

/** A duration in ns is `ms` milliseconds (to the float error of adding times). */
const expectMs = (ns: unknown, ms: number) => expect(Math.abs((ns as number) - ms * 1e6)).toBeLessThan(100)

describe("backends/sim: the current Ollama scheduler (virtual time)", () => {
  describe("load time", () => {
    it("a first load reads the file from disk; once read, the page cache makes the next one warm", async () => {
      const { ask, unload, ofType } = setup(ws)
      // workstation-24gb: 1 s start-up; 4.9 GB at 1.4 GB/s from disk, 6 GB/s from the cache.
      const cold = await ask({
        model: "llama3.1:8b",
        prompt: "hi",
        options: { num_predict: 2, num_ctx: 8192 },
      })
      expectMs(cold.load_duration, 1000 + (4.9 / 1.4) * 1000)
      await unload("llama3.1:8b")
      const warm = await ask({
        model: "llama3.1:8b",
        prompt: "hi",
        options: { num_predict: 2, num_ctx: 8192 },
      })
      expectMs(warm.load_duration, 1000 + (4.9 / 6) * 1000)
      expect(ofType("load_started").map((e) => e.cachedFraction)).toEqual([0, 1])
      expect(ofType("loaded").map((e) => Math.round(e.loadMs))).toEqual([4500, 1817])
    })

    it("the page cache drops the least recently read file first, a part of it when that is enough", async () => {
      const { ask, unload, engine, ofType } = setup(withChanges(ws, { pageCacheGb: 10 }))
      const opts = { num_predict: 2, num_ctx: 8192 }
      await ask({ model: "qwen2.5:14b", prompt: "hi", options: opts })
      await unload("qwen2.5:14b")
      await ask({ model: "llama3.1:8b", prompt: "hi", options: opts })
      // 9 GB + 4.9 GB in 10 GB: the 14B file, read least recently, keeps 5.1 GB.
      const cached = Object.fromEntries(engine.state().pageCache.files.map((f) => [f.name, f.cachedBytes]))
      expect(cached).toEqual({ "llama3.1:8b": 4.9 * GB, "qwen2.5:14b": 5.1 * GB })
      await unload("llama3.1:8b")
      const again = await ask({ model: "qwen2.5:14b", prompt: "hi", options: opts })
      expect(ofType("load_started").at(-1)?.cachedFraction).toBeCloseTo(5.1 / 9, 9)
      const warm = 1000 + (9 / 6) * 1000
      const cold = 1000 + (9 / 1.4) * 1000
      expectMs(again.load_duration, warm + (cold - warm) * (3.9 / 9))
    })

    it("measured per-model times override the formula; loadCostScale multiplies every load", async () => {
      const measured = withChanges(ws, {
        loadCostScale: 2,
        models: ws.models.map((m) => (m.name === "qwen3:4b" ? { ...m, loadSec: { cold: 20, warm: 2 } } : m)),
      })
      const { ask, unload, engine } = setup(measured)
      const opts = { num_predict: 2, num_ctx: 8192 }
      expectMs((await ask({ model: "qwen3:4b", prompt: "hi", options: opts })).load_duration, 40_000)
      await unload("qwen3:4b")
      engine.setLoadCostScale(0.5)
      expectMs((await ask({ model: "qwen3:4b", prompt: "hi", options: opts })).load_duration, 1_000)
      expect(engine.state().loadCostScale).toBe(0.5)
      // The engine option overrides the profile's scale.
      const swept = setup(measured, { loadCostScale: 1 })
      expectMs((await swept.ask({ model: "qwen3:4b", prompt: "hi", options: opts })).load_duration, 20_000)
      expect(() => engine.setLoadCostScale(0)).toThrow(/> 0/)
    })

    it("warmStart begins with the files cached; dropping the page cache makes loads cold again", async () => {
      const { ask, unload, engine, ofType } = setup(withChanges(ws, { warmStart: true }))
      const opts = { num_predict: 2, num_ctx: 8192 }
      expectMs(
        (await ask({ model: "mistral:7b", prompt: "hi", options: opts })).load_duration,
        1000 + (4.1 / 6) * 1000,
      )
      await unload("mistral:7b")
      engine.dropPageCache()
      expectMs(
        (await ask({ model: "mistral:7b", prompt: "hi", options: opts })).load_duration,
        1000 + (4.1 / 1.4) * 1000,
      )
      expect(ofType("load_started").map((e) => e.cachedFraction)).toEqual([1, 0])
    })

    it("on unified memory a loaded model's file stays cached: another load finds no room", async () => {
      const unified = withChanges(ws, {
        unifiedMemory: true,
        gpus: [{ name: "Apple", vramGb: 40 }],
        pageCacheGb: 12,
      })
      const { ask, engine } = setup(unified)
      const opts = { num_predict: 2, num_ctx: 8192 }
      await ask({ model: "qwen2.5:14b", prompt: "hi", options: opts })
      await ask({ model: "llama3.1:8b", prompt: "hi", options: opts })
      const cached = Object.fromEntries(engine.state().pageCache.files.map((f) => [f.name, f.cachedBytes]))
      // 12 GB less the two runners' KV caches (1.2 + 2.2 GB) leaves 8.6: the pinned 9 GB file
      // already takes it all.
      expect(cached).toEqual({ "qwen2.5:14b": 9 * GB })
      expect(
        engine
          .state()
          .runners.map((r) => r.name)
          .sort(),
      ).toEqual(["llama3.1:8b", "qwen2.5:14b"])
    })
  })

  describe("memory", () => {
    it("loads beside others only if the model needs at most 80% of the free memory", async () => {
      const { ask, ofType } = setup(tiny)
      await ask({ model: "qwen2.5:14b", prompt: "hi", options: { num_predict: 2, num_ctx: 8192 } })
      // 5.8 GB free: qwen3:4b's 3 GB is under 80% of it and loads beside.
      await ask({ model: "qwen3:4b", prompt: "hi", options: { num_predict: 2, num_ctx: 8192 } })
      expect(ofType("unload_started")).toEqual([])
      const { ask: ask2, ofType: ofType2, engine } = setup(tiny)
      await ask2({ model: "qwen2.5:14b", prompt: "hi", options: { num_predict: 2, num_ctx: 8192 } })
      // qwen2-math:7b's 5 GB fits in the 5.8 GB free, but is more than 80% of it: the 14B goes.
      await ask2({ model: "qwen2-math:7b", prompt: "hi", options: { num_predict: 2 } })
      expect(ofType2("unload_started")).toMatchObject([
        { model: "qwen2.5:14b", reason: "evicted", cause: "headroom" },
      ])
      expect(engine.state().runners.map((r) => r.name)).toEqual(["qwen2-math:7b"])
      expect(engine.state().evictions).toBe(1)
    })

    it("a first model larger than the GPU runs the layers that do not fit on the CPU, slower", async () => {
      const { ask, engine, unload } = setup(ws)
      // No num_ctx: 32768 on a 24 GiB GPU, 28.4 GB for the 32B coder.
      const need = footprintBytes(modelOf(ws, "qwen2.5-coder:32b"), 32768)
      const offloaded = await ask({
        model: "qwen2.5-coder:32b",
        prompt: "Write a sort",
        options: { num_predict: 40 },
      })
      const ps = engine.ps().models[0]
      expect(ps).toMatchObject({ size: need, size_vram: 25.76 * GB - GiB, context_length: 32768 })
      const runner = engine.state().runners[0]
      expect(runner?.cpuBytes).toBe(need - (25.76 * GB - GiB))
      await unload("qwen2.5-coder:32b")
      const onGpu = await ask({
        model: "qwen2.5-coder:32b",
        prompt: "Write a sort",
        options: { num_predict: 40, num_ctx: 8192 },
      })
      expect(engine.ps().models[0]).toMatchObject({ size: 22 * GB, size_vram: 22 * GB })
      const perToken = (c: Record<string, unknown>) => (c.eval_duration as number) / (c.eval_count as number)
      const share = (25.76 * GB - GiB) / need
      expect(perToken(offloaded) / perToken(onGpu)).toBeCloseTo(share + ((1 - share) * 19.9 * 28) / 60, 3)
    })

    it("unloads one at a time, each holding its memory for the VRAM-recovery wait", async () => {
      const { ask, engine, clock, ofType } = setup(tiny)
      await ask({ model: "qwen3:4b", prompt: "hi", options: { num_predict: 2, num_ctx: 8192 } })
      await ask({ model: "mistral:7b", prompt: "hi", options: { num_predict: 2, num_ctx: 8192 } })
      const t = clock.now()
      await engine.generate({ model: "qwen3:4b", prompt: "", keep_alive: 0 })
      await engine.generate({ model: "mistral:7b", prompt: "", keep_alive: 0 })
      await clock.advance(1_000)
      // tiny-ci's unloadSec is 0.05: the second unload ends 50 ms after the first.
      expect(ofType("unloaded").map((e) => [e.model, Math.round(e.at - t)])).toEqual([
        ["qwen3:4b", 50],
        ["mistral:7b", 100],
      ])
    })
  })

  describe("loads", () => {
    it("a runner joins the loaded set only after its load: arrivals queue, /api/ps omits it, an unload misses it", async () => {
      const { send, engine, clock, ofType } = setup(ws)
      const opts = { num_predict: 2, num_ctx: 8192 }
      const first = send({ model: "qwen2.5:14b", prompt: "hi", options: opts })
      await clock.advance(1_000)
      expect(engine.state().runners).toMatchObject([{ name: "qwen2.5:14b", state: "loading" }])
      expect(engine.ps().models).toEqual([])
      // A second request for the loading model waits in the queue (v0.12.6 waited on the runner).
      const second = send({ model: "qwen2.5:14b", prompt: "hi again", options: opts })
      // So does one for another model: the load holds the queue.
      const other = send({ model: "mistral:7b", prompt: "hi", options: opts })
      await clock.advance(10)
      expect(engine.state().pending).toBe(2)
      // keep_alive 0 finds no loaded runner to expire.
      await engine.generate({ model: "qwen2.5:14b", prompt: "", keep_alive: 0 })
      await clock.advance(HOUR_MS / 60)
      await Promise.all([first.done, second.done, other.done])
      expect(ofType("load_started").map((e) => e.model)).toEqual(["qwen2.5:14b", "mistral:7b"])
      const loaded14 = ofType("loaded")[0]?.at ?? Number.NaN
      expect(ofType("load_started")[1]?.at).toBeGreaterThanOrEqual(loaded14)
      expect(ofType("unload_started")).toEqual([])
      expect(
        engine
          .ps()
          .models.map((m) => m.name)
          .sort(),
      ).toEqual(["mistral:7b", "qwen2.5:14b"])
    })

    it("a client that leaves during its load aborts the load; what was read stays cached", async () => {
      const { send, engine, clock, ofType, ask } = setup(ws)
      const ctl = new AbortController()
      const run = send({ model: "qwen2.5:14b", prompt: "hi", options: { num_ctx: 8192 } }, ctl.signal)
      const cold = 1000 + (9 / 1.4) * 1000
      await clock.advance(2_000)
      ctl.abort()
      await clock.advance(1)
      await expect(run.done).rejects.toMatchObject({ status: 499 })
      expect(ofType("load_failed")).toMatchObject([
        { model: "qwen2.5:14b", error: "timed out waiting for llama-server to start: context canceled" },
      ])
      expect(engine.state().runners).toEqual([])
      expect(engine.state().vram.usedBytes).toBe(0)
      await ask({ model: "qwen2.5:14b", prompt: "hi", options: { num_predict: 2, num_ctx: 8192 } })
      expect(ofType("load_started").at(-1)?.cachedFraction).toBeCloseTo(2_000 / cold, 9)
    })

    it("a load out of memory with Ollama's context evicts the others and retries a tier lower", async () => {
      const { ask, send, engine, clock, ofType } = setup(ws)
      await ask({ model: "qwen3:4b", prompt: "hi", options: { num_predict: 2, num_ctx: 8192 } })
      engine.injectFault("mistral:7b", "load_oom")
      const failed = send({ model: "mistral:7b", prompt: "hi" })
      await clock.advance(60_000)
      await expect(failed.done).rejects.toMatchObject({ message: expect.stringContaining("out of memory") })
      expect(
        ofType("load_started")
          .slice(1)
          .map((e) => [e.model, e.numCtx]),
      ).toEqual([
        ["mistral:7b", 32768],
        ["mistral:7b", 4096],
      ])
      expect(ofType("unload_started")).toMatchObject([
        { model: "qwen3:4b", reason: "evicted", cause: "oom_retry" },
      ])
      expect(ofType("load_failed")).toHaveLength(2)
      expect(engine.state().loadFailures).toBe(2)
    })
  })

  describe("the default context", () => {
    it("follows the GPU memory when a request sets no num_ctx, and automatic requests share the runner", async () => {
      const { ask, engine, clock, ofType } = setup(ws)
      await ask({ model: "llama3.1:8b", prompt: "hi", options: { num_predict: 2 } })
      const ps = engine.ps().models[0]
      expect(ps).toMatchObject({
        context_length: 32768,
        size: footprintBytes(modelOf(ws, "llama3.1:8b"), 32768),
      })
      // Again without num_ctx, then with the same value set: the same runner.
      await ask({ model: "llama3.1:8b", prompt: "hi", options: { num_predict: 2 } })
      await ask({ model: "llama3.1:8b", prompt: "hi", options: { num_predict: 2, num_ctx: 32768 } })
      expect(ofType("load_started")).toHaveLength(1)
      // Conductor's fixed context is another: a reload.
      await ask({ model: "llama3.1:8b", prompt: "hi", options: { num_predict: 2, num_ctx: 8192 } })
      expect(ofType("load_started").map((e) => e.numCtx)).toEqual([32768, 8192])
      expect(ofType("unload_started")).toMatchObject([{ model: "llama3.1:8b", reason: "reload" }])
      // A model's training context caps it: nomic-embed-text holds 2048.
      const embedded = engine.embed({ model: "nomic-embed-text:latest", input: "" })
      await clock.advance(10_000)
      await embedded
      expect(engine.ps().models.find((m) => m.name === "nomic-embed-text:latest")?.context_length).toBe(2048)
    })

    it("is 4096 on a 16 GB GPU, and OLLAMA_CONTEXT_LENGTH replaces it", async () => {
      const { ask, engine } = setup(tiny)
      await ask({ model: "qwen3:4b", prompt: "hi", options: { num_predict: 2 } })
      expect(engine.ps().models[0]?.context_length).toBe(4096)
      const configured = setup(withServer(ws, { contextLength: 8192 }))
      await configured.ask({ model: "qwen3:4b", prompt: "hi", options: { num_predict: 2 } })
      expect(configured.engine.ps().models[0]?.context_length).toBe(8192)
    })
  })

  describe("the keep-alive stall (ollama#17408)", () => {
    /**
     * One loaded model at most. A (qwen3:4b) streams slowly; B (mistral:7b) arrives, and the
     * scheduler, needing A's place, marks A to unload once idle and waits. Then C, for A,
     * arrives with `keepAlive` and takes the fast path to A.
     */
    const scenario = async (keepAlive: string | number | undefined) => {
      const env = setup(withServer(tiny, { maxLoadedModels: 1 }))
      const { send, clock, engine } = env
      engine.injectFault("qwen3:4b", "slow", 1, { slowFactor: 20 })
      const a = send({ model: "qwen3:4b", prompt: "Write a long story", options: { num_predict: 300 } })
      await clock.advance(1_000)
      expect(a.chunks.length).toBeGreaterThan(0)
      const b = send({ model: "mistral:7b", prompt: "hi", options: { num_predict: 2 } })
      await clock.advance(10)
      const c = send({
        model: "qwen3:4b",
        prompt: "hi",
        options: { num_predict: 2 },
        ...(keepAlive !== undefined ? { keep_alive: keepAlive } : {}),
      })
      await clock.advance(10)
      return { ...env, a, b, c }
    }

    it("a request with keep_alive -1 restores the victim's keep-alive: the eviction waits forever", async () => {
      const { a, b, c, clock, engine, ofType, send } = await scenario(-1)
      expect(ofType("resurrected")).toMatchObject([
        { model: "qwen3:4b", keepAliveMs: Number.POSITIVE_INFINITY },
      ])
      await clock.advance(24 * HOUR_MS)
      await Promise.all([a.done, c.done])
      // A is idle, kept forever; B is still waiting, and so is everything for another model.
      expect(b.chunks).toEqual([])
      expect(engine.state().runners).toMatchObject([
        { name: "qwen3:4b", state: "ready", refCount: 0, keepAliveMs: Number.POSITIVE_INFINITY },
      ])
      const d = send({ model: "llama3.1:8b", prompt: "hi", options: { num_predict: 2 } })
      await clock.advance(HOUR_MS)
      expect(engine.state()).toMatchObject({ pending: 1, processing: true })
      expect(d.chunks).toEqual([])
      // Requests for the loaded model still work (the fast path), which hides the stall.
      const e = send({ model: "qwen3:4b", prompt: "hi", options: { num_predict: 2 } })
      await clock.advance(5_000)
      expect((await e.done).at(-1)?.done).toBe(true)
      // Only a restart gets the queue moving.
      engine.crash()
      await clock.advance(60_000)
      await Promise.all([b.done, d.done])
      expect(ofType("load_started").map((x) => x.model)).toEqual(["qwen3:4b", "mistral:7b", "llama3.1:8b"])
    })

    it("with a finite keep_alive the eviction waits for that expiry; without one it happens when idle", async () => {
      const finite = await scenario("10m")
      await finite.clock.advance(5 * 60_000)
      await Promise.all([finite.a.done, finite.c.done])
      expect(finite.b.chunks).toEqual([])
      const idleAt = Math.max(
        ...finite.ofType("request_finished").flatMap((e) => (e.model === "qwen3:4b" ? [e.at] : [])),
      )
      await finite.clock.advance(10 * 60_000)
      await finite.b.done
      expect(finite.ofType("unload_started")).toMatchObject([{ model: "qwen3:4b", reason: "expired" }])
      expect(finite.ofType("unload_started")[0]?.at).toBe(idleAt + 10 * 60_000)

      const none = await scenario(undefined)
      expect(none.ofType("resurrected")).toEqual([])
      await none.clock.advance(5 * 60_000)
      await Promise.all([none.a.done, none.b.done, none.c.done])
      expect(none.ofType("unload_started")).toMatchObject([
        { model: "qwen3:4b", reason: "evicted", cause: "loaded_limit" },
      ])
    })
  })
})
