import { describe, expect, it } from "vitest"
import { swapAwarePolicy } from "../../../src/gpu/policies/swap-aware.js"
import { GB, model, resident, view, waiting } from "./views.js"

const policy = swapAwarePolicy({ minResidencyMs: 10_000, maxWaitMs: 30_000 })

describe("gpu/policies/swap-aware", () => {
  it("a resident model takes as many requests as it has slots; a draining one takes none", () => {
    expect(policy.concurrency(resident("a", { slots: 2 }))).toBe(2)
    expect(policy.concurrency(resident("a", { state: "draining" }))).toBe(0)
  })

  it("keeps busy models resident: an older request that needs one evicted waits, a later one that fits loads", () => {
    const v = view(20_000, 12, [
      resident("busy", { bytes: 8 * GB, inflight: 1, queued: 3, oldestSince: 0, oldestSeq: 0 }),
      waiting("big", 1_000, 1, { bytes: 8 * GB }),
      waiting("small", 2_000, 2, { bytes: 3 * GB }),
    ])
    expect(policy.nextLoad(v)).toEqual({ model: "small", now: [], whenIdle: [] })
  })

  it("a request waiting maxWait drains busy models for itself, and nothing loads ahead of it", () => {
    const v = view(40_000, 12, [
      resident("busy", { bytes: 8 * GB, inflight: 1, queued: 3, oldestSince: 0, oldestSeq: 0 }),
      waiting("big", 5_000, 1, { bytes: 8 * GB }),
      waiting("small", 6_000, 2, { bytes: 3 * GB }),
    ])
    expect(policy.nextLoad(v)).toEqual({ model: "big", now: [], whenIdle: ["busy"] })
  })

  it("evicts the idle model cheapest to lose: low demand, quick to reload, many bytes", () => {
    const v = view(60_000, 16, [
      resident("hot", { bytes: 5 * GB, demand: 20, loadMs: 3_000 }),
      resident("cold-big", { bytes: 5 * GB, demand: 0.5, loadMs: 3_000 }),
      resident("cold-slow", { bytes: 5 * GB, demand: 0.5, loadMs: 30_000 }),
      waiting("new", 59_000, 0, { bytes: 5 * GB }),
    ])
    expect(policy.nextLoad(v)).toEqual({ model: "new", now: ["cold-big"], whenIdle: [] })
  })

  it("does not evict a model before its minimum residency, and says when to look again", () => {
    const fresh = view(5_000, 10, [resident("a", { bytes: 8 * GB, loadedAt: 1_000 }), waiting("b", 2_000, 0)])
    expect(policy.nextLoad(fresh)).toBeUndefined()
    expect(policy.wakeAt(fresh)).toBe(11_000)
    const later = { ...fresh, now: 11_000 }
    expect(policy.nextLoad(later)).toEqual({ model: "b", now: ["a"], whenIdle: [] })
  })

  it("woken at the time it asked for, a waiting request is starving — whatever the rounding of fractional times", () => {
    // 43838.4218951593 + 30000 − 43838.4218951593 < 30000 in floating point.
    for (const since of [43_838.4218951593, 4_186_293.7769747586, 0.1, 12_345.678]) {
      const before = view(since + 1, 12, [
        resident("busy", {
          bytes: 8 * GB,
          inflight: 1,
          queued: 2,
          oldestSince: since,
          oldestSeq: 0,
          loadedAt: -60_000,
        }),
        waiting("big", since, 1, { bytes: 8 * GB }),
      ])
      const at = policy.wakeAt(before) as number
      expect(at).toBe(since + 30_000)
      expect(policy.nextLoad({ ...before, now: at })).toEqual({ model: "big", now: [], whenIdle: ["busy"] })
    }
  })

  it("counts draining and unloading memory as coming free", () => {
    const v = view(50_000, 10, [
      resident("a", { bytes: 6 * GB, state: "draining", inflight: 1 }),
      model("x", { state: "loading", bytes: 9 * GB, queued: 1, oldestSince: 0, oldestSeq: 0 }),
    ])
    expect(policy.moreRoom({ ...v, usedBytes: 6 * GB }, "x")).toBeUndefined()
  })

  it("wakes when the oldest waiting request will start to starve", () => {
    const v = view(1_000, 10, [
      resident("a", { bytes: 8 * GB, inflight: 1, loadedAt: -60_000 }),
      waiting("b", 500, 0, { bytes: 8 * GB }),
    ])
    expect(policy.nextLoad(v)).toBeUndefined()
    expect(policy.wakeAt(v)).toBe(30_500)
  })

  it("stays under the backend's loaded-model limit, evicting the cheapest idle model for a place", () => {
    const v = view(60_000, 100, [
      resident("a", { demand: 5 }),
      resident("b", { demand: 0.1 }),
      resident("c", { inflight: 1 }),
      waiting("d", 59_000, 0),
    ])
    expect(policy.nextLoad(v)).toEqual({ model: "d", now: ["b"], whenIdle: [] })
  })
})

describe("gpu/policies/swap-aware: priorities and fair share", () => {
  const w = (seq: number, tenant: string, priority: "interactive" | "batch", since: number) => ({
    seq,
    model: "m",
    tenant,
    priority,
    since,
  })
  const ctx = (now: number, levels: Record<string, number> = {}) => ({
    now,
    level: (t: string) => levels[t] ?? 0,
  })

  it("orders waiting requests: aged first (oldest first), then interactive, then the lowest fair-share level, then arrival", () => {
    const c = ctx(40_000, { flooder: 500, polite: 10 })
    const agedBatch = w(1, "flooder", "batch", 0)
    const interactive = w(5, "flooder", "interactive", 35_000)
    const batch = w(2, "polite", "batch", 20_000)
    expect(policy.before(c, agedBatch, interactive)).toBe(true)
    expect(policy.before(c, interactive, batch)).toBe(true)
    expect(policy.before(c, w(9, "polite", "interactive", 39_000), interactive)).toBe(true)
    expect(policy.before(c, w(3, "polite", "batch", 30_000), w(4, "polite", "batch", 31_000))).toBe(true)
    expect(policy.before(c, w(4, "polite", "batch", 31_000), w(3, "polite", "batch", 30_000))).toBe(false)
  })

  it("loads first the model whose first request goes first: a polite tenant's model before a flooder's older backlog", () => {
    const levels: Record<string, number> = { flooder: 10_000, polite: 0 }
    const v = {
      ...view(20_000, 12, [
        waiting("flooded", 1_000, 1, { head: w(1, "flooder", "interactive", 1_000) }),
        waiting("polite", 9_000, 7, { head: w(7, "polite", "interactive", 9_000) }),
      ]),
      level: (t: string) => levels[t] ?? 0,
    }
    expect(policy.nextLoad(v)?.model).toBe("polite")
  })

  it("an interactive request may drain a model doing only batch work; a model with interactive work is kept", () => {
    const batchBusy = resident("batchy", {
      bytes: 8 * GB,
      inflight: 1,
      queued: 2,
      inflightInteractive: 0,
      queuedInteractive: 0,
    })
    const interactiveBusy = resident("chatty", { bytes: 8 * GB, inflight: 1, queued: 2 })
    const want = waiting("chat", 19_000, 9, { bytes: 8 * GB })
    expect(policy.nextLoad(view(20_000, 12, [batchBusy, want]))).toEqual({
      model: "chat",
      now: [],
      whenIdle: ["batchy"],
    })
    expect(policy.nextLoad(view(20_000, 12, [interactiveBusy, want]))).toBeUndefined()
    // A batch request does not drain anything before it starves.
    const batchWant = waiting("job", 19_000, 9, {
      bytes: 8 * GB,
      head: w(9, "library", "batch", 19_000),
      queuedInteractive: 0,
    })
    expect(policy.nextLoad(view(20_000, 12, [batchBusy, batchWant]))).toBeUndefined()
  })
})
