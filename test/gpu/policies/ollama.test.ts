import { describe, expect, it } from "vitest"
import { ollamaPolicy } from "../../../src/gpu/policies/ollama.js"
import { GB, model, resident, view, waiting } from "./views.js"

const policy = ollamaPolicy()

describe("gpu/policies/ollama", () => {
  it("resident models take every request (the runner queues them), even one chosen as a victim", () => {
    expect(policy.concurrency(resident("a"))).toBe(Number.POSITIVE_INFINITY)
    expect(policy.concurrency(resident("a", { state: "draining" }))).toBe(Number.POSITIVE_INFINITY)
    expect(policy.concurrency(model("a", { state: "loading" }))).toBe(0)
  })

  it("loads the model of the oldest waiting request, without evicting when it fits", () => {
    const v = view(100, 24, [waiting("b", 10, 2), waiting("c", 5, 1), resident("a")])
    expect(policy.nextLoad(v)).toEqual({ model: "c", now: [], whenIdle: [] })
  })

  it("evicts one idle victim, by name, when the model does not fit", () => {
    const v = view(100, 12, [
      resident("zeta", { bytes: 4 * GB }),
      resident("alpha", { bytes: 4 * GB, inflight: 1 }),
      resident("beta", { bytes: 4 * GB }),
      waiting("new", 1, 0, { bytes: 6 * GB }),
    ])
    // alpha is busy, so the first idle one by name goes — and only one: Ollama looks again after.
    expect(policy.nextLoad(v)).toEqual({ model: "new", now: ["beta"], whenIdle: [] })
  })

  it("waits for a busy victim when none is idle (head-of-line blocking)", () => {
    const v = view(100, 10, [
      resident("b", { bytes: 6 * GB, inflight: 1 }),
      resident("a", { bytes: 4 * GB, inflight: 1 }),
      waiting("x", 1, 0, { bytes: 6 * GB }),
    ])
    expect(policy.nextLoad(v)).toEqual({ model: "x", now: [], whenIdle: ["a"] })
  })

  it("holds the queue while its head's model is still unloading, and never picks pinned victims", () => {
    expect(
      policy.nextLoad(view(0, 24, [waiting("a", 0, 0, { state: "unloading" }), waiting("b", 1, 1)])),
    ).toBe(undefined)
    const pinned = view(0, 10, [resident("router", { pinned: true, bytes: 8 * GB }), waiting("x", 0, 0)])
    expect(policy.nextLoad(pinned)).toBeUndefined()
  })

  it("keeps at most maxLoaded models (Ollama's 3 per GPU), even when memory allows more", () => {
    const v = view(0, 100, [resident("a"), resident("b"), resident("c"), waiting("d", 0, 0)])
    expect(policy.nextLoad(v)).toEqual({ model: "d", now: ["a"], whenIdle: [] })
    expect(policy.nextLoad({ ...v, maxLoaded: 6 })).toEqual({ model: "d", now: [], whenIdle: [] })
  })

  it("asks for more room one victim at a time, waiting while an unload is under way", () => {
    const loading = model("x", { state: "loading", bytes: 9 * GB, queued: 1, oldestSince: 0, oldestSeq: 0 })
    const busy = view(0, 10, [resident("a", { bytes: 4 * GB }), resident("b", { bytes: 4 * GB }), loading])
    // x is still waiting for memory (its bytes are not held): 2 GB free, 9 needed.
    const v = { ...busy, usedBytes: 8 * GB }
    expect(policy.moreRoom(v, "x")).toEqual({ now: ["a"], whenIdle: [] })
    const unloadingA = {
      ...v,
      models: [resident("a", { state: "unloading", bytes: 4 * GB }), v.models[1], loading],
    }
    expect(policy.moreRoom(unloadingA as typeof v, "x")).toBeUndefined()
    expect(policy.wakeAt(v)).toBeUndefined()
  })
})
