import { describe, expect, it } from "vitest"
import { isConductorError } from "../../src/domain/errors.js"
import { swapAwarePolicy } from "../../src/gpu/policies/swap-aware.js"
import type { GrantedLease } from "../../src/gpu/scheduler.js"
import { GB, gpuEnv, track } from "../support/gpu-env.js"

type Env = Awaited<ReturnType<typeof gpuEnv>>

/** Take a lease and keep it for `ms` of virtual time. */
const hold = (env: Env, model: string, ms: number, requestId?: string) => {
  const t = track(
    env.scheduler.acquire(model, requestId !== undefined ? { requestId } : {}).then(async (lease) => {
      await env.clock.sleep(ms)
      lease.release()
      return lease
    }),
  )
  return t
}

const reasonOf = (e: unknown) => (isConductorError(e) ? e.reason : e)

describe("gpu/scheduler (virtual time, in-process simulator)", () => {
  it("starts requests on a model up to its slots and queues the rest in order, publishing positions", async () => {
    const env = await gpuEnv()
    // llama3.1:8b has two slots on tiny-ci.
    const leases = ["r1", "r2", "r3"].map((id) =>
      track(env.scheduler.acquire("llama3.1:8b", { requestId: id })),
    )
    expect(env.ofType("queued").map((e) => [e.id, e.position])).toEqual([
      ["r1", 1],
      ["r2", 2],
      ["r3", 3],
    ])
    await env.clock.advance(1_000)
    expect(leases.map((l) => l.settled)).toEqual([true, true, false])
    expect(env.ofType("loading").map((e) => e.id)).toEqual(["r1", "r2", "r3"])
    expect(env.ofType("loaded").map((e) => e.id)).toEqual(["r1", "r2"])
    const first = leases[0]?.value as GrantedLease
    expect(first.loadMs).toBeGreaterThan(0)
    expect(env.ofType("queued").at(-1)).toMatchObject({ id: "r3", position: 1 })
    await env.clock.advance(500)
    first.release()
    await env.clock.advance(0)
    expect(leases[2]?.settled).toBe(true)
    expect(env.ofType("loaded").at(-1)).toMatchObject({ id: "r3", loadMs: 1_500 })
    expect(leases[2]?.value?.waitedMs).toBe(1_500)
    expect(env.scheduler.snapshot()).toMatchObject({
      queued: 0,
      queues: [{ model: "llama3.1:8b", inflight: 2 }],
    })
  })

  it("fails at once: unknown model, a model that can never fit, a full queue (with retry-after)", async () => {
    const env = await gpuEnv({ maxQueued: 2 })
    await expect(env.scheduler.acquire("nope:1b")).rejects.toMatchObject({ reason: "ModelNotFound" })
    await expect(env.scheduler.acquire("qwen2.5-coder:32b")).rejects.toMatchObject({ reason: "OutOfMemory" })
    void env.scheduler.acquire("mistral:7b")
    void env.scheduler.acquire("mistral:7b")
    const full = env.scheduler.acquire("mistral:7b")
    await expect(full).rejects.toMatchObject({ reason: "QueueFull", retryAfterMs: 1000 })
    await env.clock.advance(2_000)
  })

  it("refuses, and routing leaves out, a model the server would load only by evicting a pinned one", async () => {
    // 16 GB card, qwen3:4b pinned in memory: beside it the server loads at most 80% of the free
    // 13 GB (10.4 GB), so the 11 GB qwen2.5:14b could only load if the server evicted the pin.
    for (const [headroom, loadable] of [
      [0.8, false],
      [1, true],
    ] as const) {
      const env = await gpuEnv({ pinned: ["qwen3:4b"], residency: { loadHeadroom: headroom } })
      const pin = track(env.scheduler.acquire("qwen3:4b"))
      await env.clock.advance(2_000)
      pin.value?.release()
      expect(env.scheduler.loadable("qwen2.5:14b")).toBe(loadable)
      expect(env.scheduler.loadable("mistral:7b")).toBe(true)
      if (!loadable) {
        await expect(env.scheduler.acquire("qwen2.5:14b")).rejects.toMatchObject({
          reason: "OutOfMemory",
          message: expect.stringMatching(
            /needs 11\.0 GB but beside the pinned models the server loads a model only into 80% of the free GPU memory, 10\.4 GB/,
          ),
        })
      }
    }
  })

  it("a cancelled request leaves the queue; with nobody left waiting, a pending load is given up", async () => {
    // A short aging bound: the waiting request soon starves and may drain the busy model.
    const env = await gpuEnv({ policy: swapAwarePolicy({ minResidencyMs: 0, maxWaitMs: 50 }) })
    const busy = hold(env, "qwen2.5:14b", 60_000)
    await env.clock.advance(2_000)
    expect(busy.settled).toBe(false)
    const abort = new AbortController()
    const waiting = track(env.scheduler.acquire("llama3.1:8b", { signal: abort.signal }))
    await env.clock.advance(100)
    // Starving, it committed to the load and marked the busy model to go when idle.
    expect(env.residency.get("llama3.1:8b")).toMatchObject({ state: "loading", waitingForMemory: true })
    expect(env.residency.get("qwen2.5:14b")?.state).toBe("draining")
    abort.abort()
    await env.clock.advance(100)
    expect(reasonOf(waiting.error)).toBe("Cancelled")
    expect(env.residency.get("llama3.1:8b")?.state).toBe("unloaded")
    expect(env.residency.get("qwen2.5:14b")?.state).toBe("resident")
    expect(env.scheduler.snapshot().queued).toBe(0)
    await env.clock.advance(60_000)
  })

  it("a failed load fails the requests waiting for it, with the load's error", async () => {
    const env = await gpuEnv()
    env.engine.injectFault("mistral:7b", "load_terminated")
    const a = track(env.scheduler.acquire("mistral:7b"))
    const b = track(env.scheduler.acquire("mistral:7b"))
    await env.clock.advance(2_000)
    expect([reasonOf(a.error), reasonOf(b.error)]).toEqual(["Crashed", "Crashed"])
    const retry = track(env.scheduler.acquire("mistral:7b"))
    await env.clock.advance(2_000)
    expect(retry.value?.model).toBe("mistral:7b")
  })

  it("swap-aware: keeps the busy model, loads what fits meanwhile, and drains only for a starving request", async () => {
    const env = await gpuEnv({ policy: swapAwarePolicy({ minResidencyMs: 0, maxWaitMs: 30_000 }) })
    // qwen2.5:14b stays busy: each request is followed by the next one.
    let stop = false
    const loop = (async () => {
      while (!stop) {
        const lease = await env.scheduler.acquire("qwen2.5:14b").catch(() => undefined)
        if (lease === undefined) return
        await env.clock.sleep(3_000)
        lease.release()
      }
    })()
    await env.clock.advance(2_000)
    const llama = hold(env, "llama3.1:8b", 1_000, "llama")
    await env.clock.advance(10)
    const small = hold(env, "qwen3:4b", 1_000, "small")
    await env.clock.advance(5_000)
    // qwen3:4b fits beside the busy model and loads; llama3.1:8b does not, and waits.
    expect(small.settled).toBe(true)
    expect(llama.settled).toBe(false)
    expect(env.residency.get("qwen2.5:14b")?.state).toBe("resident")
    await env.clock.advance(40_000)
    // After waiting 30 s it is starving: the busy model drains and llama3.1:8b loads.
    expect(llama.settled).toBe(true)
    const drained = env.ofType("model_evicted").find((e) => e.model === "qwen2.5:14b")
    expect(drained?.reason).toBe("make_room")
    expect(drained?.at).toBeGreaterThanOrEqual(2_010 + 30_000)
    stop = true
    await env.clock.advance(120_000)
    await loop
    expect(env.engine.state().overcommits).toBe(0)
  })

  it("swap-aware: a freshly loaded model is not evicted before minResidency", async () => {
    const env = await gpuEnv({ policy: swapAwarePolicy({ minResidencyMs: 20_000, maxWaitMs: 60_000 }) })
    hold(env, "qwen2.5:14b", 100)
    await env.clock.advance(2_000)
    const llama = hold(env, "llama3.1:8b", 100)
    await env.clock.advance(10_000)
    expect(llama.settled).toBe(false)
    await env.clock.advance(15_000)
    expect(llama.settled).toBe(true)
    const evicted = env.ofType("model_evicted")[0]
    expect(evicted?.model).toBe("qwen2.5:14b")
    expect(evicted?.at).toBeGreaterThanOrEqual(20_000)
  })

  it("publishes queue depth and in-flight counts per model", async () => {
    const env = await gpuEnv()
    hold(env, "qwen3:4b", 1_000)
    hold(env, "qwen3:4b", 1_000)
    await env.clock.advance(5_000)
    const depths = env.ofType("queue").map((e) => [e.depth, e.inflight])
    expect(depths[0]).toEqual([1, 0])
    expect(depths).toContainEqual([2, 0])
    expect(depths).toContainEqual([1, 1])
    expect(depths.at(-1)).toEqual([0, 0])
    expect(env.budget.used).toBe(3 * GB)
  })
})

describe("gpu/scheduler: priorities and fair share (virtual time)", () => {
  /** Acquire with a tenant and priority; record when each starts; hold for `ms`. */
  const timed = (
    env: Env,
    started: string[],
    name: string,
    options: { tenant?: string; priority?: "interactive" | "batch" },
    ms = 1_000,
  ) =>
    track(
      env.scheduler.acquire("mistral:7b", options).then(async (lease) => {
        started.push(name)
        await env.clock.sleep(ms)
        lease.release()
      }),
    )

  it("on a busy model, interactive requests start before batch ones that arrived earlier", async () => {
    const env = await gpuEnv()
    const started: string[] = []
    const first = timed(env, started, "first", {}, 10_000)
    await env.clock.advance(3_000)
    const batch = ["b1", "b2", "b3"].map((n) => timed(env, started, n, { priority: "batch" }))
    await env.clock.advance(10)
    const chat = timed(env, started, "chat", { priority: "interactive" })
    await env.clock.advance(30_000)
    expect([first, chat, ...batch].every((t) => t.settled)).toBe(true)
    expect(started).toEqual(["first", "chat", "b1", "b2", "b3"])
  })

  it("a batch request that waited the aging bound goes before interactive ones: batch never starves", async () => {
    const env = await gpuEnv({ policy: swapAwarePolicy({ minResidencyMs: 0, maxWaitMs: 5_000 }) })
    const started: string[] = []
    timed(env, started, "first", {}, 1_000)
    await env.clock.advance(2_000)
    timed(env, started, "old-batch", { priority: "batch" })
    // A stream of interactive requests, each arriving while the slot is busy.
    for (let i = 0; i < 8; i++) {
      timed(env, started, `chat${i}`, { priority: "interactive" })
      await env.clock.advance(1_000)
    }
    await env.clock.advance(30_000)
    const at = started.indexOf("old-batch")
    expect(at).toBeGreaterThan(0)
    // It waited about the aging bound (5 s, one request at a time), not behind all eight.
    expect(at).toBeLessThan(8)
  })

  it("a tenant flooding a model does not keep another tenant waiting behind its backlog", async () => {
    const env = await gpuEnv()
    const started: string[] = []
    timed(env, started, "flood0", { tenant: "flooder" }, 10_000)
    await env.clock.advance(3_000)
    for (let i = 1; i <= 6; i++) timed(env, started, `flood${i}`, { tenant: "flooder" })
    await env.clock.advance(10)
    timed(env, started, "polite", { tenant: "polite" })
    await env.clock.advance(30_000)
    // The flooder had slot time already: the polite tenant's request is next.
    expect(started.slice(0, 2)).toEqual(["flood0", "polite"])
    expect(started).toHaveLength(8)
  })

  it("queue snapshots and queued events say priority and tenant", async () => {
    const env = await gpuEnv()
    timed(env, [], "busy", { tenant: "a" }, 5_000)
    await env.clock.advance(3_000)
    const waiting = env.scheduler.acquire("mistral:7b", { tenant: "b", priority: "batch", requestId: "w" })
    void waiting.then((l) => l.release())
    await env.clock.advance(10)
    const q = env.scheduler.snapshot().queues.find((x) => x.model === "mistral:7b")
    expect(q).toMatchObject({ depth: 1, byPriority: { interactive: 0, batch: 1 }, byTenant: { b: 1 } })
    expect(env.events.filter((e) => e.type === "queued" && e.id === "w").at(-1)).toMatchObject({
      priority: "batch",
      tenant: "b",
      position: 1,
    })
    await env.clock.advance(10_000)
  })
})
