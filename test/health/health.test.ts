import { Effect, Exit, Fiber, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { conductorError } from "../../src/domain/errors.js"
import type { ConductorEvent } from "../../src/domain/events.js"
import { EventBus, makeEventBus } from "../../src/events/bus.js"
import { Health, HealthCore, type HealthOptions } from "../../src/health/health.js"
import { ManualClock } from "../../src/time/clock.js"
import { Time } from "../../src/time/effect-clock.js"

const OPTIONS: HealthOptions = {
  errorThresholdPercentage: 50,
  volumeThreshold: 4,
  windowMs: 60_000,
  probeAfterMs: 10_000,
  maxProbeAfterMs: 35_000,
  ewmaAlpha: 0.5,
}

const setup = (options: Partial<HealthOptions> = {}) => {
  const clock = new ManualClock()
  const events: ConductorEvent[] = []
  const health = new HealthCore({
    time: clock,
    publish: (e) => events.push(e),
    options: { ...OPTIONS, ...options },
  })
  const fail = (model: string, reason: "Crashed" | "Timeout" = "Crashed") => {
    const a = health.admit(model)
    if (!a.allowed) throw new Error("not admitted")
    health.record(model, { kind: "failure", reason, message: "boom" }, a.probe)
  }
  const succeed = (model: string, latencyMs = 100) => {
    const a = health.admit(model)
    if (!a.allowed) throw new Error("not admitted")
    health.record(model, { kind: "success", latencyMs }, a.probe)
  }
  const transitions = () =>
    events.flatMap((e) => (e.type === "breaker" ? [`${e.model}:${e.previous}→${e.state}`] : []))
  return { clock, health, events, fail, succeed, transitions }
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
    expect(health.admit("m")).toEqual({ allowed: false, retryAfterMs: 10_000 })
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
        health.record("m", outcome, false)
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
    const { clock, health, fail, succeed, transitions } = setup()
    for (let i = 0; i < 4; i++) fail("m")
    await clock.advance(10_000)
    expect(health.get("m").breaker).toBe("half_open")
    const probe = health.admit("m")
    expect(probe).toEqual({ allowed: true, probe: true })
    expect(health.admit("m").allowed).toBe(false)
    health.record("m", { kind: "failure", reason: "Timeout", message: "stalled" }, true)
    expect(health.get("m").nextProbeAt).toBe(10_000 + 20_000)
    await clock.advance(20_000)
    fail("m")
    // 40 s would exceed the 35 s maximum.
    expect(health.get("m").nextProbeAt).toBe(30_000 + 35_000)
    await clock.advance(35_000)
    // A cancelled probe gives its turn back.
    const cancelled = health.admit("m")
    health.record("m", { kind: "cancelled" }, cancelled.allowed && cancelled.probe)
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

  it("Health.guard runs an attempt under the breaker and records how it ended", async () => {
    const clock = new ManualClock()
    const bus = makeEventBus(() => clock.now())
    const layer = Health.layer({ ...OPTIONS, volumeThreshold: 1, errorThresholdPercentage: 40 }).pipe(
      Layer.provideMerge(Layer.merge(Time.layer(clock), Layer.succeed(EventBus, bus))),
    )
    const program = Effect.gen(function* () {
      const health = yield* Health
      const ok = yield* health.guard("m", Effect.succeed("answer").pipe(Effect.delay("2 seconds")))
      const interrupted = yield* Effect.forkChild(health.guard("m", Effect.never))
      yield* Fiber.interrupt(interrupted)
      const failed = yield* Effect.exit(
        health.guard("m", Effect.fail(conductorError("Crashed", "runner died"))),
      )
      // Opossum decides on a failure a microtask later.
      yield* Effect.yieldNow
      const refused = yield* Effect.exit(health.guard("m", Effect.succeed("never runs")))
      return { ok, failed, refused, snapshot: yield* health.snapshot }
    }).pipe(Effect.provide(layer), Effect.scoped)
    const run = Effect.runPromise(program)
    await clock.advance(2_000)
    const r = await run
    expect(r.ok).toBe("answer")
    expect(Exit.isFailure(r.failed)).toBe(true)
    expect(r.refused).toMatchObject({
      cause: { reasons: [{ error: { reason: "CircuitOpen", retryAfterMs: 10_000 } }] },
    })
    expect(r.snapshot[0]).toMatchObject({ model: "m", attempts: 2, failures: 1, latencyMs: 2_000 })
  })
})
