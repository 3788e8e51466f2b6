/**
 * The simulator's replica of Ollama's scheduler (the current release's), on virtual time:
 * queueing, one load at a time, eviction order, keep_alive, reloads, parallel slots, faults and
 * crashes. The behaviours new since v0.12.6 (cold and warm loads, the 80% rule, joining the
 * loaded set after the load, the default context, the keep-alive stall) are in
 * ollama-scheduler-current.test.ts.
 */
import fc from "fast-check"
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
import { TINY_CI_MODELS } from "../../support/tiny-ci.js"

const tiny = loadProfile(resolveProfilePath("tiny-ci"))
const withServer = (p: SimProfile, server: Partial<SimProfile["server"]>): SimProfile =>
  decodeProfile({ ...p, server: { ...p.server, ...server } })

interface Run {
  readonly chunks: Array<Record<string, unknown>>
  readonly done: Promise<Array<Record<string, unknown>>>
}

const setup = (profile: SimProfile = tiny) => {
  const clock = new ManualClock()
  const engine = new SimEngine(profile, { clock })
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
  const order = (type: SimEvent["type"]) =>
    events.filter((e) => e.type === type).map((e) => ("model" in e ? e.model : ""))
  return { clock, engine, events, send, order }
}

const text = (chunks: ReadonlyArray<Record<string, unknown>>) => chunks.map((c) => c.response ?? "").join("")
const last = (chunks: ReadonlyArray<Record<string, unknown>>) =>
  chunks[chunks.length - 1] as Record<string, unknown>

describe("backends/sim scheduler (virtual time)", () => {
  it("loads one model at a time, in arrival order", async () => {
    const { clock, send, events } = setup()
    const a = send({ model: "mistral:7b", prompt: "hi" })
    const b = send({ model: "qwen3:4b", prompt: "hi" })
    await clock.runUntilIdle()
    await Promise.all([a.done, b.done])
    const loads = events.filter((e) => e.type === "load_started" || e.type === "loaded")
    expect(loads.map((e) => `${e.type}:${"model" in e ? e.model : ""}`)).toEqual([
      "load_started:mistral:7b",
      "loaded:mistral:7b",
      "load_started:qwen3:4b",
      "loaded:qwen3:4b",
    ])
  })

  it("serves a resident model at once while the queue waits for a load", async () => {
    const { clock, send, engine, events } = setup()
    const warm = send({ model: "qwen3:4b", prompt: "hi" })
    await clock.advance(2_000)
    await warm.done
    const slow = send({ model: "qwen2.5:14b", prompt: "Explain why the sky is blue" })
    await clock.advance(10)
    expect(engine.state().runners.find((r) => r.name === "qwen2.5:14b")?.state).toBe("loading")
    const fast = send({ model: "qwen3:4b", prompt: "hi again" })
    await clock.advance(50)
    expect(fast.chunks.length).toBeGreaterThan(0)
    const loaded14 = events.find((e) => e.type === "loaded" && e.model === "qwen2.5:14b")
    expect(loaded14).toBeUndefined()
    await clock.runUntilIdle()
    await Promise.all([slow.done, fast.done])
  })

  it("evicts the idle runner with the shortest keep_alive, ties by model path", async () => {
    const p = withServer(tiny, { maxLoadedModels: 2 })
    const { clock, send, order } = setup(p)
    for (const [model, keep] of [
      ["qwen3:4b", "10m"],
      ["mistral:7b", "1m"],
    ] as const) {
      const r = send({ model, prompt: "hi", keep_alive: keep })
      await clock.advance(5_000)
      await r.done
    }
    const c = send({ model: "llama3.1:8b", prompt: "hi" })
    await clock.advance(5_000)
    await c.done
    expect(order("unload_started")).toEqual(["mistral:7b"])

    // Equal keep_alive: Ollama compares the model files' paths (blobs/sha256-<digest>), so
    // qwen3:4b goes first although mistral:7b was loaded earlier (and sorts first by name).
    const q = setup(p)
    for (const model of ["mistral:7b", "qwen3:4b"]) {
      const r = q.send({ model, prompt: "hi", keep_alive: "5m" })
      await q.clock.advance(5_000)
      await r.done
    }
    const byDigest = q.engine.ps().models.sort((a, b) => (a.digest < b.digest ? -1 : 1))
    expect(byDigest.map((m) => m.name)).toEqual(["qwen3:4b", "mistral:7b"])
    const d = q.send({ model: "llama3.1:8b", prompt: "hi" })
    await q.clock.advance(5_000)
    await d.done
    expect(q.order("unload_started")).toEqual(["qwen3:4b"])
  })

  it("makes the whole queue wait for a busy victim (head-of-line blocking)", async () => {
    const p = withServer(tiny, { maxLoadedModels: 1 })
    const { clock, send, events, engine } = setup(p)
    engine.injectFault("qwen3:4b", "slow", 1, { slowFactor: 20 })
    const long = send({
      model: "qwen3:4b",
      prompt: "Write a long story about dragons",
      options: { num_predict: 400 },
    })
    await clock.advance(1_000)
    expect(long.chunks.length).toBeGreaterThan(0)
    const b = send({ model: "mistral:7b", prompt: "hi" })
    const c = send({ model: "llama3.1:8b", prompt: "hi" })
    await clock.advance(200)
    // b waits for the busy victim; c waits behind b.
    expect(b.chunks).toHaveLength(0)
    expect(c.chunks).toHaveLength(0)
    expect(engine.state().pending).toBe(1)
    await clock.runUntilIdle()
    await Promise.all([long.done, b.done, c.done])
    const finishedLong = events.findIndex((e) => e.type === "request_finished" && e.model === "qwen3:4b")
    const unloadedLong = events.findIndex((e) => e.type === "unload_started" && e.model === "qwen3:4b")
    const loadB = events.findIndex((e) => e.type === "load_started" && e.model === "mistral:7b")
    const loadC = events.findIndex((e) => e.type === "load_started" && e.model === "llama3.1:8b")
    expect(finishedLong).toBeLessThan(unloadedLong)
    expect(unloadedLong).toBeLessThan(loadB)
    expect(loadB).toBeLessThan(loadC)
  })

  it("never holds more memory than the GPU has, and fails a model larger than the GPU and RAM", async () => {
    const { clock, send, engine } = setup()
    // 20.9 GB at the default 4096 tokens: 14.9 GB fit on the GPU (less llama-server's 1 GiB
    // margin), and the rest does not fit in the 4 GB of RAM left beside Ollama's 8 GB headroom.
    const big = send({ model: "qwen2.5-coder:32b", prompt: "hi" })
    await clock.advance(10)
    await expect(big.done).rejects.toMatchObject({
      status: 500,
      message: expect.stringMatching(
        /^model requires more system memory \(19\.5 GiB\) than is available \(18\.6 GiB\)$/,
      ),
    })
    const runs = ["qwen2.5:14b", "llama3.1:8b", "mistral:7b", "qwen3:4b", "qwen2-math:7b"].map((model) =>
      send({ model, prompt: "hi" }),
    )
    await clock.runUntilIdle()
    await Promise.all(runs.map((r) => r.done))
    const s = engine.state()
    expect(s.overcommits).toBe(0)
    expect(s.vram.peakBytes).toBeLessThanOrEqual(s.vram.capacityBytes)
  })

  it("keeps keep_alive sticky, expires idle runners, and unloads on keep_alive 0 after in-flight work", async () => {
    const { clock, send, engine, order } = setup()
    const a = send({ model: "qwen3:4b", prompt: "hi", keep_alive: "1m" })
    await clock.advance(2_000)
    await a.done
    const b = send({ model: "qwen3:4b", prompt: "hi again" })
    await clock.advance(500)
    await b.done
    expect(engine.state().runners[0]?.keepAliveMs).toBe(60_000)
    // Expiry counts from when the runner went idle, i.e. after b.
    const idleSince = engine.clock.now()
    await clock.advance(59_000)
    expect(order("unload_started")).toEqual([])
    await clock.advance(1_500)
    expect(order("unload_started")).toEqual(["qwen3:4b"])
    expect(engine.clock.now() - idleSince).toBeGreaterThanOrEqual(60_000)

    engine.injectFault("mistral:7b", "slow", 1, { slowFactor: 20 })
    const busy = send({
      model: "mistral:7b",
      prompt: "Write a poem about rain",
      options: { num_predict: 200 },
    })
    await clock.advance(1_000)
    const unload = send({ model: "mistral:7b", prompt: "", keep_alive: 0 })
    await clock.advance(1)
    expect(last(await unload.done)).toMatchObject({ done: true, done_reason: "unload" })
    expect(engine.state().runners.find((r) => r.name === "mistral:7b")?.state).toBe("ready")
    await clock.runUntilIdle()
    await busy.done
    expect(order("unload_started")).toContain("mistral:7b")
  })

  it("reloads a model when num_ctx changes", async () => {
    const { clock, send, order, engine } = setup()
    const a = send({ model: "qwen3:4b", prompt: "hi", options: { num_ctx: 8192 } })
    await clock.advance(2_000)
    await a.done
    const b = send({ model: "qwen3:4b", prompt: "hi", options: { num_ctx: 16384 } })
    await clock.advance(2_000)
    await b.done
    expect(order("load_started")).toEqual(["qwen3:4b", "qwen3:4b"])
    const r = engine.state().runners[0]
    expect(r?.numCtx).toBe(16384)
    expect(r?.bytes).toBeGreaterThan(3e9)
  })

  it("serves parallel slots and queues the rest first in, first out", async () => {
    const { clock, send, engine } = setup()
    // llama3.1:8b has two slots on tiny-ci; its 4.9 GB file loads cold in 445 ms.
    const runs = [0, 1, 2].map((i) =>
      send({ model: "llama3.1:8b", prompt: `Write a story number ${i}`, options: { num_predict: 200 } }),
    )
    await clock.advance(600)
    const r = engine.state().runners[0]
    expect(r?.active).toBe(2)
    expect(r?.waitingForSlot).toBe(1)
    expect(runs[2]?.chunks).toHaveLength(0)
    await clock.runUntilIdle()
    await Promise.all(runs.map((x) => x.done))
    expect(runs.every((x) => last(x.chunks).done === true)).toBe(true)
  })

  it("honours num_predict with done_reason length and reports timings in nanoseconds", async () => {
    const { clock, send } = setup()
    const r = send({
      model: "qwen3:4b",
      prompt: "Explain how a refrigerator works",
      options: { num_predict: 7 },
    })
    await clock.runUntilIdle()
    const chunks = await r.done
    const final = last(chunks)
    expect(chunks).toHaveLength(8)
    expect(final).toMatchObject({ done: true, done_reason: "length", eval_count: 7 })
    for (const k of ["total_duration", "load_duration", "prompt_eval_duration", "eval_duration"]) {
      expect(Number.isInteger(final[k])).toBe(true)
    }
    expect(final.total_duration as number).toBeGreaterThanOrEqual(final.load_duration as number)
    // A cold load: the 2.5 GB file at 20 GB/s + 0.2 s start-up = 0.325 s.
    expect(final.load_duration).toBe(325_000_000)
  })

  it("is deterministic for a seed", async () => {
    const one = setup()
    const two = setup()
    const a = one.send({ model: "qwen3:4b", prompt: "Summarise the causes of the French revolution" })
    const b = two.send({ model: "qwen3:4b", prompt: "Summarise the causes of the French revolution" })
    await one.clock.runUntilIdle()
    await two.clock.runUntilIdle()
    expect(text(await a.done)).toBe(text(await b.done))
    const c = one.send({
      model: "qwen3:4b",
      prompt: "Summarise the causes of the French revolution",
      options: { seed: 99 },
    })
    await one.clock.runUntilIdle()
    expect(text(await c.done)).not.toBe(text(await a.done))
  })

  it("injects every fault kind", async () => {
    const { clock, send, engine } = setup()
    engine.injectFault("qwen3:4b", "error")
    const e = send({ model: "qwen3:4b", prompt: "hi" })
    await clock.runUntilIdle()
    await expect(e.done).rejects.toMatchObject({ status: 500 })
    expect(e.chunks).toHaveLength(0)

    engine.injectFault("qwen3:4b", "cut")
    const cut = send({ model: "qwen3:4b", prompt: "Write a poem about the sea" })
    await clock.runUntilIdle()
    await expect(cut.done).rejects.toMatchObject({
      message: expect.stringContaining("error was encountered"),
    })
    expect(cut.chunks.length).toBeGreaterThan(0)

    const normal = send({ model: "qwen3:4b", prompt: "Write a poem about the sea" })
    await clock.runUntilIdle()
    const normalEval = last(await normal.done).eval_duration as number
    engine.injectFault("qwen3:4b", "stall", 1, { stallSec: 20 })
    const stalled = send({ model: "qwen3:4b", prompt: "Write a poem about the sea" })
    await clock.runUntilIdle()
    expect(last(await stalled.done).eval_duration as number).toBeGreaterThanOrEqual(normalEval + 20e9)
    engine.injectFault("qwen3:4b", "slow", 1, { slowFactor: 5 })
    const slow = send({ model: "qwen3:4b", prompt: "Write a poem about the sea" })
    await clock.runUntilIdle()
    expect(last(await slow.done).eval_duration as number).toBeGreaterThanOrEqual(normalEval * 4.5)

    engine.injectFault("mistral:7b", "load_oom")
    const oom = send({ model: "mistral:7b", prompt: "hi" })
    await clock.runUntilIdle()
    await expect(oom.done).rejects.toMatchObject({
      message: "llama runner process has terminated: cudaMalloc failed: out of memory",
    })
    expect(engine.state().runners.some((r) => r.name === "mistral:7b")).toBe(false)
    engine.injectFault("mistral:7b", "load_terminated")
    const term = send({ model: "mistral:7b", prompt: "hi" })
    await clock.runUntilIdle()
    await expect(term.done).rejects.toMatchObject({
      message: "llama runner process has terminated: exit status 2",
    })
    const ok = send({ model: "mistral:7b", prompt: "hi" })
    await clock.runUntilIdle()
    expect(last(await ok.done).done).toBe(true)
  })

  it("a crash fails in-flight streams and frees every runner", async () => {
    const { clock, send, engine } = setup()
    engine.injectFault("qwen3:4b", "slow", 1, { slowFactor: 50 })
    const r = send({ model: "qwen3:4b", prompt: "Write a long story", options: { num_predict: 300 } })
    await clock.advance(1_000)
    expect(r.chunks.length).toBeGreaterThan(0)
    engine.crash()
    await clock.runUntilIdle()
    await expect(r.done).rejects.toMatchObject({
      message: expect.stringContaining("runner process has terminated"),
    })
    expect(engine.state().runners).toEqual([])
    expect(engine.state().vram.usedBytes).toBe(0)
  })

  it("a cancelled request leaves the queue or its slot", async () => {
    const { clock, send, engine, order } = setup(withServer(tiny, { maxLoadedModels: 1 }))
    engine.injectFault("qwen3:4b", "slow", 1, { slowFactor: 20 })
    const busy = send({ model: "qwen3:4b", prompt: "Write a story", options: { num_predict: 300 } })
    await clock.advance(400)
    // Waiting in the queue: leaves it at once.
    const blocker = send({ model: "mistral:7b", prompt: "hi" })
    const ctl = new AbortController()
    const queued = send({ model: "llama3.1:8b", prompt: "hi" }, ctl.signal)
    await clock.advance(10)
    expect(engine.state().pending).toBe(1)
    ctl.abort()
    await clock.advance(1)
    expect(engine.state().pending).toBe(0)
    await expect(queued.done).rejects.toMatchObject({ status: 499 })
    await clock.runUntilIdle()
    await Promise.all([busy.done, blocker.done])
    expect(order("load_started")).not.toContain("llama3.1:8b")

    // Streaming: the slot and the runner's reference are released.
    const streaming = new AbortController()
    engine.injectFault("qwen3:4b", "slow", 1, { slowFactor: 20 })
    const s = send(
      { model: "qwen3:4b", prompt: "Write a story", options: { num_predict: 300 } },
      streaming.signal,
    )
    await clock.advance(2_000)
    expect(s.chunks.length).toBeGreaterThan(0)
    streaming.abort()
    await clock.advance(1)
    await expect(s.done).rejects.toBeDefined()
    const state = engine.state()
    expect(state.requests.cancelled).toBe(1)
    expect(state.runners.every((x) => x.active === 0 && x.refCount === 0)).toBe(true)
  })

  it("a request ends with its done chunk, also for a consumer that stops reading there", async () => {
    const { clock, engine, order } = setup(withServer(tiny, { maxLoadedModels: 1 }))
    const read = (async () => {
      const r = await engine.generate({ model: "qwen3:4b", prompt: "hi", options: { num_predict: 5 } })
      if (r.kind !== "stream") throw new Error("expected a stream")
      let part = r.first
      while (!part.done) {
        const next = await r.rest.next()
        if (next.done === true) throw new Error("no done chunk")
        part = next.value
      }
      return part // and never asks for more
    })()
    await clock.advance(5_000)
    expect((await read).done).toBe(true)
    expect(engine.state().requests).toMatchObject({ started: 1, completed: 1 })
    expect(engine.state().runners[0]).toMatchObject({ refCount: 0, active: 0 })
    // So the runner can make room for the next model.
    const other = engine.generate({ model: "mistral:7b", prompt: "", keep_alive: "1m" })
    await clock.advance(5_000)
    await other
    expect(order("unload_started")).toEqual(["qwen3:4b"])
  })

  it("rejects bad input the way Ollama does", async () => {
    const { engine } = setup()
    await expect(engine.generate({ model: "nope:1b", prompt: "hi" })).rejects.toMatchObject({
      status: 404,
      message: "model 'nope:1b' not found",
    })
    await expect(engine.chat({ messages: [] })).rejects.toMatchObject({
      status: 400,
      message: "model is required",
    })
    await expect(engine.generate({ model: "qwen3:4b", prompt: "hi", keep_alive: "5" })).rejects.toMatchObject(
      {
        status: 400,
        message: 'time: missing unit in duration "5"',
      },
    )
    await expect(
      engine.generate({ model: "qwen3:4b", prompt: "hi", options: { num_ctx: "big" as unknown as number } }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringContaining("Options.num_ctx") })
  })

  it("property: random workloads with cancellations never overcommit, and drain unless a keep-alive stalls them", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            model: fc.constantFrom(...TINY_CI_MODELS),
            gap: fc.integer({ min: 0, max: 400 }),
            tokens: fc.integer({ min: 1, max: 60 }),
            cancelAfter: fc.option(fc.integer({ min: 0, max: 800 }), { nil: undefined }),
            keep: fc.constantFrom("0", "30s", "5m", "-1"),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        fc.constantFrom(1, 2, 3),
        async (reqs, maxLoaded) => {
          const { clock, send, engine } = setup(withServer(tiny, { maxLoadedModels: maxLoaded }))
          let peak = 0
          let resurrections = 0
          engine.subscribe((e) => {
            peak = Math.max(peak, engine.state().vram.usedBytes)
            if (e.type === "resurrected") resurrections++
          })
          const runs: Run[] = []
          for (const r of reqs) {
            const ctl = new AbortController()
            runs.push(
              send(
                {
                  model: r.model,
                  prompt: `question about ${r.model}`,
                  keep_alive: r.keep === "-1" ? -1 : r.keep,
                  options: { num_predict: r.tokens },
                },
                ctl.signal,
              ),
            )
            if (r.cancelAfter !== undefined) void clock.sleep(r.cancelAfter).then(() => ctl.abort())
            await clock.advance(r.gap)
          }
          await clock.advance(3_600_000)
          const stalled = engine.state()
          if (stalled.pending > 0 || stalled.processing) {
            // Only a restored keep-alive (ollama#17408) leaves the queue stuck an hour later; as
            // for a real server, a restart (here a crash of every runner) is the way out.
            expect(resurrections).toBeGreaterThan(0)
            engine.crash()
            await clock.advance(3_600_000)
          }
          const outcomes = await Promise.allSettled(runs.map((r) => r.done))
          const s = engine.state()
          expect(s.overcommits).toBe(0)
          expect(peak).toBeLessThanOrEqual(s.vram.capacityBytes)
          expect(s.pending).toBe(0)
          expect(s.runners.every((x) => x.refCount === 0 && x.active === 0)).toBe(true)
          expect(outcomes.every((o) => o.status === "fulfilled" || o.reason !== undefined)).toBe(true)
          const finished = s.requests.completed + s.requests.failed + s.requests.cancelled
          expect(finished).toBe(s.requests.started)
          engine.close()
        },
      ),
      { numRuns: 40, seed: 5 },
    )
  })
})
