/**
 * The console's store (pure; no DOM): a snapshot and the events after it give each model's
 * residency, slots, queue, breaker and health; a request's events give its state, time to first
 * token, rate, fallbacks and (for this tab's own) its text, with `restart` taking text back;
 * finished requests beyond the limit are dropped, never one in flight; a dropped connection
 * marks the unfinished as lost; each change bumps the versions the renderers watch.
 */
import { describe, expect, it } from "vitest"
import { ConsoleStore } from "../../src/console/client/store.js"
import type { StatusSnapshot } from "../../src/console/client/wire.js"

const snapshot = (over: Partial<StatusSnapshot> = {}): StatusSnapshot => ({
  backend: { kind: "sim", description: "simulator tiny-ci", reachable: true },
  policy: "swap-aware",
  models: [
    {
      name: "a:1b",
      available: true,
      state: "resident",
      bytes: 2e9,
      leases: 1,
      slots: 2,
      pinned: false,
      external: false,
      loadMs: 900,
      loadFailures: 0,
    },
    {
      name: "b:7b",
      available: true,
      state: "unloaded",
      bytes: 5e9,
      leases: 0,
      slots: 1,
      pinned: true,
      external: false,
      loadMs: 3000,
      loadFailures: 0,
    },
  ],
  vram: { used: 2e9, budget: 14e9, capacity: 16e9 },
  queues: [{ model: "a:1b", depth: 3, inflight: 2, oldestWaitMs: 1500 }],
  breakers: [{ model: "a:1b", state: "half_open" }],
  health: [{ model: "a:1b", successRate: 0.5, latencyMs: 1200, consecutiveFailures: 1, attempts: 4 }],
  personas: ["researcher"],
  ...over,
})

describe("ConsoleStore", () => {
  it("takes models, memory, queues, breakers and health from the snapshot", () => {
    const s = new ConsoleStore()
    s.applySnapshot(snapshot(), 10_000)
    const a = s.models.get("a:1b")
    expect(a).toMatchObject({ state: "resident", busy: 2, slots: 2, queueDepth: 3, breaker: "half_open" })
    expect(a?.health).toEqual({ successRate: 0.5, latencyMs: 1200, consecutiveFailures: 1 })
    expect(s.oldestWaitMs(a as NonNullable<typeof a>, 10_500)).toBe(2000)
    expect(s.models.get("b:7b")).toMatchObject({ state: "unloaded", pinned: true, health: undefined })
    expect(s.hosts()).toEqual([
      {
        name: "simulator tiny-ci",
        used: 2e9,
        budget: 14e9,
        capacity: 16e9,
        models: [{ name: "a:1b", bytes: 2e9, state: "resident" }],
      },
    ])
    expect(s.personas).toEqual(["researcher"])
  })

  it("with several GPU hosts, shows each host's memory and models, following the events that name it", () => {
    const s = new ConsoleStore()
    const host = (name: string, used: number, models: StatusSnapshot["models"]) => ({
      name,
      up: true,
      vram: { used, budget: 23e9, capacity: 24e9 },
      models: models.map((m) => ({ name: m.name, state: m.state, bytes: m.bytes })),
    })
    const base = snapshot()
    s.applySnapshot(
      {
        ...base,
        hosts: [host("gpu-a", 2e9, base.models.slice(0, 1)), host("gpu-b", 0, base.models.slice(1))],
      },
      0,
    )
    expect(s.hosts().map((h) => [h.name, h.used, h.models.map((m) => `${m.name}:${m.state}`)])).toEqual([
      ["gpu-a", 2e9, ["a:1b:resident"]],
      ["gpu-b", 0, []],
    ])
    s.apply({ type: "model_loading", model: "b:7b", bytes: 5e9, host: "gpu-b" }, 10)
    s.apply({ type: "vram", usedBytes: 5e9, budgetBytes: 23e9, capacityBytes: 24e9, host: "gpu-b" }, 10)
    s.apply({ type: "model_loaded", model: "b:7b", bytes: 4.8e9, loadMs: 900, host: "gpu-b" }, 20)
    s.apply({ type: "model_evicted", model: "a:1b", reason: "idle", bytes: 2e9, host: "gpu-a" }, 30)
    s.apply({ type: "model_unloaded", model: "a:1b", bytes: 2e9, host: "gpu-a" }, 31)
    expect(
      s.hosts().map((h) => [h.name, h.used, h.models.map((m) => `${m.name}:${m.state}:${m.bytes}`)]),
    ).toEqual([
      ["gpu-a", 2e9, []],
      ["gpu-b", 5e9, ["b:7b:resident:4800000000"]],
    ])
  })

  it("follows a model through loading, resident, draining, unloading and unloaded, logging each", () => {
    const s = new ConsoleStore({ requests: 10, log: 3 }, () => 42)
    s.applySnapshot(snapshot(), 0)
    const v0 = s.versions.models
    s.apply({ type: "model_loading", model: "b:7b", bytes: 5.1e9 }, 100)
    expect(s.models.get("b:7b")).toMatchObject({ state: "loading", loadingSince: 100, bytes: 5.1e9 })
    expect(s.versions.models).toBeGreaterThan(v0)
    s.apply({ type: "model_loaded", model: "b:7b", bytes: 5e9, loadMs: 2500 }, 2600)
    expect(s.models.get("b:7b")).toMatchObject({
      state: "resident",
      loadingSince: undefined,
      expectedLoadMs: 2500,
    })
    s.apply({ type: "model_draining", model: "b:7b", reason: "requested" }, 2700)
    expect(s.models.get("b:7b")).toMatchObject({ state: "draining", why: "requested" })
    s.apply({ type: "model_evicted", model: "b:7b", reason: "requested", bytes: 5e9 }, 2800)
    expect(s.models.get("b:7b")?.state).toBe("unloading")
    s.apply({ type: "model_unloaded", model: "b:7b", bytes: 5e9 }, 2900)
    expect(s.models.get("b:7b")?.state).toBe("unloaded")
    s.apply({ type: "model_pinned", model: "b:7b", pinned: false }, 3000)
    expect(s.models.get("b:7b")?.pinned).toBe(false)
    // The log keeps the newest three.
    expect(s.log.map((l) => l.text)).toEqual([
      "b:7b: draining (requested); unloads when its requests end",
      "b:7b: evicted (requested), 5.0 GB freed",
      "b:7b: unpinned",
    ])
    s.apply(
      { type: "model_load_failed", model: "b:7b", reason: "OutOfMemory", message: "no room", loadMs: 10 },
      3100,
    )
    expect(s.models.get("b:7b")).toMatchObject({
      state: "unloaded",
      lastError: "OutOfMemory: no room",
      loadFailures: 1,
    })
    expect(s.log.at(-1)).toMatchObject({ level: "error", time: 42 })
    s.apply({ type: "queue", model: "a:1b", depth: 0, inflight: 0 }, 3200)
    expect(s.models.get("a:1b")).toMatchObject({ queueDepth: 0, busy: 0, oldestQueuedSince: undefined })
    s.apply({ type: "reconciled", adopted: ["x"], vanished: [], corrected: [] }, 3300)
    expect(s.needsSnapshot).toBe(true)
  })

  it("follows this tab's request from acceptance to completion, with its text, rate and first token", () => {
    const s = new ConsoleStore()
    s.expect("q1")
    s.apply({ type: "accepted", id: "q1", at: 1000 }, 0)
    s.apply({ type: "queued", id: "q1", model: "a:1b", position: 2, estimatedWaitMs: 800, at: 1001 }, 5)
    s.apply({ type: "queued", id: "q1", model: "a:1b", position: 1, estimatedWaitMs: 400, at: 1200 }, 50)
    const r = s.requests.get("q1")
    expect(r).toMatchObject({ mine: true, state: "queued", position: 1, queuedSince: 5 })
    s.apply({ type: "started", id: "q1", model: "a:1b", attempt: 1, at: 1500 }, 60)
    s.apply({ type: "token", id: "q1", text: "Hel", at: 1600 }, 61)
    s.apply({ type: "token", id: "q1", text: "lo wrld", at: 1700 }, 62)
    s.apply({ type: "restart", id: "q1", model: "a:1b", discard: 4 }, 63)
    s.apply({ type: "token", id: "q1", text: "world", at: 1800 }, 64)
    expect(r).toMatchObject({
      state: "streaming",
      text: "Hello world",
      tokens: 3,
      firstTokenAt: 1600,
      queuedSince: undefined,
    })
    expect(s.inFlightCount).toBe(1)
    const before = r?.version ?? 0
    s.apply({ type: "validated", id: "q1", model: "a:1b", ok: true, failures: [] }, 65)
    s.apply(
      {
        type: "completed",
        id: "q1",
        model: "a:1b",
        tier: "fast",
        taskType: "general_qa",
        text: "Hello world",
        reason: "complexity_tier",
        usage: { promptTokens: 5, evalTokens: 3 },
        timings: { queueMs: 500, loadMs: 0, firstTokenMs: 600, totalMs: 800 },
        attempts: [{ model: "a:1b", outcome: "completed" }],
        warnings: [],
      },
      66,
    )
    expect(r).toMatchObject({ state: "completed", validation: { ok: true, failures: [] } })
    expect(r?.version).toBeGreaterThan(before)
    expect(s.inFlightCount).toBe(0)
    // Nothing after the end changes it.
    s.apply({ type: "token", id: "q1", text: "late", at: 1900 }, 67)
    expect(r?.text).toBe("Hello world")
  })

  it("keeps no text of other clients' requests, records their fallbacks, and marks the unfinished lost on a disconnect", () => {
    const s = new ConsoleStore()
    s.apply({ type: "accepted", id: "x", client: "agent-7", at: 0 }, 0)
    s.apply({ type: "fallback", id: "x", from: "a:1b", to: "b:7b", reason: "Timeout" }, 1)
    s.apply({ type: "token", id: "x", text: "secret", at: 10 }, 2)
    expect(s.requests.get("x")).toMatchObject({ client: "agent-7", text: "", tokens: 1, model: "b:7b" })
    expect(s.requests.get("x")?.fallbacks).toEqual([{ from: "a:1b", to: "b:7b", reason: "Timeout" }])
    s.markLost()
    expect(s.requests.get("x")?.state).toBe("lost")
    expect(s.inFlightCount).toBe(0)
  })

  it("drops the oldest finished requests beyond its limit, never one in flight; lists the newest first", () => {
    const s = new ConsoleStore({ requests: 3, log: 10 })
    s.apply({ type: "accepted", id: "busy" }, 0)
    for (const id of ["d1", "d2", "d3"]) {
      s.apply({ type: "accepted", id }, 0)
      s.apply({ type: "cancelled", id, attempts: [] }, 0)
    }
    expect([...s.requests.keys()]).toEqual(["busy", "d2", "d3"])
    expect(s.visibleRequests(2).map((r) => r.id)).toEqual(["d3", "d2"])
  })

  it("a query refused by the server ends as failed with the server's reason", () => {
    const s = new ConsoleStore()
    s.expect("q9")
    s.apply({ type: "error", code: "invalid_request", message: "persona: unknown persona 'x'", id: "q9" }, 0)
    expect(s.requests.get("q9")).toMatchObject({
      state: "failed",
      error: { reason: "invalid_request", message: "persona: unknown persona 'x'" },
    })
    // Errors about other ids (not this tab's) are not requests.
    s.apply({ type: "error", code: "rate_limited", message: "slow down" }, 0)
    expect(s.requests.size).toBe(1)
  })
})
