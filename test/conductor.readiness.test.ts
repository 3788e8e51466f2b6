/**
 * Readiness tells the truth (issue 13, part A): not ready while no routable model's breaker
 * admits work, and breakers the backend's outage opened half-open as soon as it is back — on the
 * in-process simulator, virtual time.
 */
import { afterEach, describe, expect, it } from "vitest"
import type { ConductorEvent } from "../src/domain/events.js"
import { type ConductorEnv, conductorEnv } from "./support/conductor-env.js"

const PROMPT = "What is the capital of France?"

let env: ConductorEnv | undefined
afterEach(async () => {
  await env?.conductor.close()
  env = undefined
})

const breakerStates = (e: ConductorEnv) =>
  Object.fromEntries(e.conductor.snapshot().breakers.map((b) => [b.model, b.state]))

describe("readiness (in-process simulator, virtual time)", () => {
  it("is not ready while every routable model's breaker refuses work, and says which", async () => {
    const e = await conductorEnv({ config: { health: { volumeThreshold: 2, probeAfter: "5m" } } })
    env = e
    expect(e.conductor.readiness()).toMatchObject({ ready: true, backend: "reachable", reasons: [] })
    const chat = e.conductor
      .models()
      .filter((m) => m.kind === "chat" && m.available)
      .map((m) => m.name)
    expect(chat.length).toBeGreaterThan(2)
    e.conductor.simulator?.setFaults(undefined, { errorBeforeFirstToken: 1 })
    // Two tenants' requests fail on every model, one model at a time.
    for (const model of chat) {
      for (const tenant of ["a", "b"]) await e.settle(e.conductor.generate({ prompt: PROMPT, model, tenant }))
    }
    const r = e.conductor.readiness()
    expect(r.ready).toBe(false)
    expect(r).toMatchObject({ backend: "reachable", admitting: 0 })
    // Routable: available chat models within the VRAM budget (one of tiny-ci's exceeds it).
    expect(r.routable).toBe(chat.length - 1)
    expect(r.refusing).toHaveLength(r.routable)
    for (const x of r.refusing) expect(x).toMatchObject({ state: "open", nextProbeAt: expect.any(Number) })
    expect(r.reasons).toEqual([
      expect.stringMatching(/^every routable model's breaker refuses work: .*\(open\)/),
    ])
    // A query now fails with CircuitOpen: readiness said so.
    const q = await e.settle(e.conductor.generate({ prompt: PROMPT, tenant: "c" }))
    expect(q.error).toMatchObject({ reason: "CircuitOpen" })
  })

  it("half-opens the breakers an outage of the backend opened as soon as the backend is back", async () => {
    const e = await conductorEnv({ config: { health: { volumeThreshold: 2, probeAfter: "5m" } } })
    env = e
    e.conductor.simulator?.unreachableFor(20_000)
    for (const tenant of ["a", "b", "a", "b"]) {
      const r = await e.settle(e.conductor.generate({ prompt: PROMPT, tenant }))
      expect(r.error).toMatchObject({ reason: expect.stringMatching(/Unavailable|CircuitOpen/) })
    }
    const opened = Object.entries(breakerStates(e)).filter(([, s]) => s === "open")
    expect(opened.length).toBeGreaterThan(0)
    expect(e.conductor.readiness()).toMatchObject({ ready: false, backend: "unreachable" })
    // Reconciliation finds the backend again (its interval is 15 s; the outage lasts 20 s).
    const upAt = (events: ReadonlyArray<ConductorEvent>) =>
      events.findIndex((x) => x.type === "backend" && x.state === "up")
    await e.until(() => upAt(e.events) >= 0, 60_000)
    await e.clock.advance(0)
    // At once, not 5 minutes later: every breaker the outage opened is half-open.
    for (const [model] of opened) expect(breakerStates(e)[model]).toBe("half_open")
    const after = e.events.slice(upAt(e.events))
    expect(after.filter((x) => x.type === "breaker").map((x) => x.type === "breaker" && x.state)).toEqual(
      opened.map(() => "half_open"),
    )
    expect(e.conductor.readiness().ready).toBe(true)
    const r = await e.settle(e.conductor.generate({ prompt: PROMPT, tenant: "a" }))
    expect(r.error).toBeUndefined()
    expect(r.value?.attempts.at(-1)?.outcome).toBe("completed")
  })
})
