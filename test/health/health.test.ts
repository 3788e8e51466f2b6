import { describe, expect, it } from "vitest"
import type { ErrorReason } from "../../src/domain/errors.js"
import type { ConductorEvent } from "../../src/domain/events.js"
import { HealthCore, type HealthOptions } from "../../src/health/health.js"
import { ManualClock } from "../../src/time/clock.js"

const OPTIONS: HealthOptions = {
  errorThresholdPercentage: 50,
  volumeThreshold: 4,
  windowMs: 60_000,
  probeAfterMs: 10_000,
  maxProbeAfterMs: 35_000,
  ewmaAlpha: 0.5,
  minTenants: 1,
  maxTenantBreakers: 100,
}

const setup = (options: Partial<HealthOptions> = {}) => {
  const clock = new ManualClock()
  const events: ConductorEvent[] = []
  const health = new HealthCore({
    time: clock,
    publish: (e) => events.push(e),
    options: { ...OPTIONS, ...options },
  })
  const ticket = (model: string, tenant?: string) => {
    const a = health.admit(model, tenant)
    if (!a.allowed) throw new Error(`not admitted (${a.scope})`)
    return a.ticket
  }
  const fail = (model: string, reason: ErrorReason = "Crashed", tenant?: string) =>
    health.record(ticket(model, tenant), { kind: "failure", reason, message: "boom" })
  const succeed = (model: string, latencyMs = 100, tenant?: string) =>
    health.record(ticket(model, tenant), { kind: "success", latencyMs })
  const transitions = () =>
    events.flatMap((e) => (e.type === "breaker" ? [`${e.model}:${e.previous}→${e.state}`] : []))
  const tenantTransitions = () =>
    events.flatMap((e) =>
      e.type === "tenant_breaker" ? [`${e.model}/${e.tenant}:${e.previous}→${e.state}`] : [],
    )
  return { clock, health, events, ticket, fail, succeed, transitions, tenantTransitions }
}

describe("health", () => {
  it("opens a model's breaker once enough of its attempts failed, and refuses attempts with a retry-after", async () => {
    const { clock, health, fail, succeed, transitions } = setup()
    succeed("m")
    fail("m")
    fail("m")
    await clock.advance(0)
    expect(health.get("m").breaker).toBe("closed")
    fail("m")
    await clock.advance(0)
    expect(transitions()).toEqual(["m:closed→open"])
    expect(health.admit("m")).toEqual({ allowed: false, retryAfterMs: 10_000, scope: "model" })
    expect(health.isAvailable("m")).toBe(false)
    expect(health.isAvailable("other")).toBe(true)
    expect(health.get("m")).toMatchObject({
      attempts: 4,
      failures: 3,
      consecutiveFailures: 3,
      nextProbeAt: 10_000,
    })
  })

  it("does not count cancellations, full queues or bad requests", async () => {
    const { clock, health } = setup()
    for (let i = 0; i < 10; i++) {
      for (const outcome of [
        { kind: "cancelled" },
        { kind: "failure", reason: "QueueFull", message: "busy" },
        { kind: "failure", reason: "BadRequest", message: "bad" },
      ] as const) {
        health.record({ model: "m", tenant: "t", probe: false, tenantProbe: false }, outcome)
      }
    }
    await clock.advance(0)
    expect(health.get("m")).toMatchObject({
      breaker: "closed",
      attempts: 0,
      window: { attempts: 0, failures: 0 },
    })
  })

  it("lets one probe through when half-open: success closes, failure re-opens with the wait doubled", async () => {
    const { clock, health, fail, succeed, ticket, transitions } = setup()
    for (let i = 0; i < 4; i++) fail("m")
    await clock.advance(10_000)
    expect(health.get("m").breaker).toBe("half_open")
    const probe = health.admit("m")
    expect(probe).toMatchObject({ allowed: true, ticket: { probe: true } })
    expect(health.admit("m").allowed).toBe(false)
    if (!probe.allowed) throw new Error("not admitted")
    health.record(probe.ticket, { kind: "failure", reason: "Timeout", message: "stalled" })
    expect(health.get("m").nextProbeAt).toBe(10_000 + 20_000)
    await clock.advance(20_000)
    fail("m")
    // 40 s would exceed the 35 s maximum.
    expect(health.get("m").nextProbeAt).toBe(30_000 + 35_000)
    await clock.advance(35_000)
    // A cancelled probe gives its turn back.
    health.record(ticket("m"), { kind: "cancelled" })
    succeed("m")
    expect(health.get("m").breaker).toBe("closed")
    expect(transitions()).toEqual([
      "m:closed→open",
      "m:open→half_open",
      "m:half_open→open",
      "m:open→half_open",
      "m:half_open→open",
      "m:open→half_open",
      "m:half_open→closed",
    ])
    // After closing, the first probe wait is back to probeAfter.
    for (let i = 0; i < 4; i++) fail("m")
    await clock.advance(0)
    expect(health.get("m").nextProbeAt).toBe(clock.now() + 10_000)
  })

  it("forgets failures older than the rolling window", async () => {
    const { clock, health, fail } = setup()
    for (let i = 0; i < 3; i++) fail("m")
    await clock.advance(61_000)
    expect(health.get("m").window).toEqual({ attempts: 0, failures: 0 })
    fail("m")
    await clock.advance(0)
    expect(health.get("m").breaker).toBe("closed")
  })

  it("tracks success rate and latency as moving averages, and time since the last success", async () => {
    const { clock, health, fail, succeed, events } = setup()
    succeed("m", 100)
    succeed("m", 300)
    fail("m")
    await clock.advance(5_000)
    const h = health.get("m")
    // α = 0.5: 1 → 1 → 1 → 0.5; latency 100 → 200.
    expect(h).toMatchObject({
      successRate: 0.5,
      latencyMs: 200,
      consecutiveFailures: 1,
      sinceLastSuccessMs: 5_000,
    })
    expect(h.lastFailure).toMatchObject({ reason: "Crashed", at: 0 })
    expect(events.filter((e) => e.type === "health")).toHaveLength(3)
  })

  it("one tenant's failures never open a model's shared breaker: its own breaker opens, for it alone", async () => {
    const { clock, health, fail, succeed, transitions, tenantTransitions } = setup({ minTenants: 2 })
    for (let i = 0; i < 6; i++) fail("m", "Crashed", "mallory")
    await clock.advance(0)
    expect(transitions()).toEqual([])
    expect(tenantTransitions()).toEqual(["m/mallory:closed→open"])
    expect(health.admit("m", "mallory")).toEqual({ allowed: false, retryAfterMs: 10_000, scope: "tenant" })
    // Others are served as before.
    succeed("m", 100, "alice")
    expect(health.get("m")).toMatchObject({ breaker: "closed", tenantBreakersOpen: 1 })
    // Mallory's own breaker recovers as a model's would: a probe after probeAfter.
    await clock.advance(10_000)
    expect(tenantTransitions().at(-1)).toBe("m/mallory:open→half_open")
    succeed("m", 100, "mallory")
    expect(tenantTransitions().at(-1)).toBe("m/mallory:half_open→closed")
    expect(health.get("m").tenantBreakersOpen).toBe(0)
  })

  it("a model's shared breaker opens once failures from minTenants distinct tenants fall in the window", async () => {
    const { clock, health, fail, transitions } = setup({ minTenants: 2 })
    for (let i = 0; i < 3; i++) fail("m", "Timeout", "a")
    await clock.advance(0)
    expect(transitions()).toEqual([])
    fail("m", "Timeout", "b")
    await clock.advance(0)
    expect(transitions()).toEqual(["m:closed→open"])
    expect(health.admit("m", "c")).toMatchObject({ allowed: false, scope: "model" })
  })

  it("failures from tenants apart by more than the window do not add up", async () => {
    const { clock, fail, transitions } = setup({ minTenants: 2, volumeThreshold: 2 })
    fail("m", "Crashed", "a")
    await clock.advance(61_000)
    fail("m", "Crashed", "b")
    fail("m", "Crashed", "b")
    await clock.advance(0)
    expect(transitions()).toEqual([])
  })

  it("never counts failures the request caused (blame: request), nor gives a tenant a breaker for them", async () => {
    const { clock, health, ticket, transitions, tenantTransitions } = setup({ minTenants: 1 })
    for (let i = 0; i < 10; i++) {
      health.record(ticket("m", "mallory"), {
        kind: "failure",
        reason: "ValidationFailed",
        message: "format: does not match the requested schema",
        blame: "request",
      })
    }
    await clock.advance(0)
    expect(transitions()).toEqual([])
    expect(tenantTransitions()).toEqual([])
    expect(health.get("m")).toMatchObject({ attempts: 0, failures: 0, successRate: 1 })
    expect(health.tenantBreakers).toBe(0)
  })

  it("breakers the backend's failures opened half-open as soon as the backend is back; a model's own wait for their probe", async () => {
    const { clock, health, fail, transitions, tenantTransitions } = setup({ minTenants: 1 })
    for (let i = 0; i < 4; i++) fail("down", "Unavailable", "a")
    for (let i = 0; i < 4; i++) fail("broken", "Crashed", "a")
    await clock.advance(1_000)
    expect(health.get("down").breaker).toBe("open")
    expect(health.get("broken").breaker).toBe("open")
    health.backendRecovered()
    expect(health.get("down").breaker).toBe("half_open")
    expect(health.get("broken")).toMatchObject({ breaker: "open", nextProbeAt: 10_000 })
    expect(transitions()).toEqual(["down:closed→open", "broken:closed→open", "down:open→half_open"])
    // Tenant a's own breakers were opened by the same failures: the same rule.
    expect(tenantTransitions()).toEqual([
      "down/a:closed→open",
      "broken/a:closed→open",
      "down/a:open→half_open",
    ])
    // The probe timer it no longer needs does not fire a second transition.
    await clock.advance(10_000)
    expect(transitions().filter((t) => t.startsWith("down"))).toEqual([
      "down:closed→open",
      "down:open→half_open",
    ])
  })

  it("keeps at most maxTenantBreakers (least recently used forgotten first) and forgets idle ones after the window", async () => {
    const { clock, health, tenantTransitions, ...h } = setup({ minTenants: 2, maxTenantBreakers: 3 })
    // Each tenant on a model of its own: only tenant breakers can open.
    const fail = (t: string) => h.fail(`m-${t}`, "Crashed", t)
    for (const t of ["a", "b", "c"]) fail(t)
    // a is used again, so b is the least recently used when d arrives.
    fail("a")
    fail("d")
    expect(health.tenantBreakers).toBe(3)
    // Forgotten pairs start afresh: b's first failure no longer counts toward its own breaker.
    for (let i = 0; i < 3; i++) fail("b")
    await clock.advance(0)
    expect(tenantTransitions()).toEqual([])
    expect(health.tenantBreakers).toBe(3)
    // Idle past the window (and not open): forgotten.
    await clock.advance(70_000)
    expect(health.tenantBreakers).toBe(0)
    // An open one outlives the sweep; once half-open and idle it is forgotten (reported closed).
    for (let i = 0; i < 4; i++) fail("e")
    await clock.advance(0)
    expect(health.get("m-e").tenantBreakersOpen).toBe(1)
    await clock.advance(9_000)
    expect(health.tenantBreakers).toBe(1)
    await clock.advance(70_000)
    expect(tenantTransitions()).toEqual([
      "m-e/e:closed→open",
      "m-e/e:open→half_open",
      "m-e/e:half_open→closed",
    ])
    expect(health.tenantBreakers).toBe(0)
    // Pushed out while open: reported closed (the tenant is no longer held back).
    for (let i = 0; i < 4; i++) fail("e")
    await clock.advance(0)
    for (const t of ["f", "g", "h"]) fail(t)
    expect(tenantTransitions().slice(3)).toEqual(["m-e/e:closed→open", "m-e/e:open→closed"])
    expect(health.get("m-e").tenantBreakersOpen).toBe(0)
  })
})
