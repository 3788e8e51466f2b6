/**
 * Conductor over two simulated GPU hosts (in-process, virtual time): requests are placed by fit
 * and residency, the snapshot lists each host, and when one host dies mid-stream its requests
 * finish on the other host (the same model first), each ending exactly once.
 */
import { afterEach, describe, expect, it } from "vitest"
import { TERMINAL_TYPES } from "../src/domain/events.js"
import { type ConductorEnv, conductorEnv } from "./support/conductor-env.js"

const CODER = "qwen2.5-coder:32b"
const CHAT = "llama3.1:8b"
const GENERAL = "qwen2.5:14b"

let env: ConductorEnv | undefined
afterEach(async () => {
  await env?.conductor.close()
  env = undefined
})

const twoHosts = () =>
  conductorEnv({
    simProfile: "workstation-24gb",
    simHosts: 2,
    config: {
      hardware: { utilisation: 1, reserveGb: 0.2 },
      health: { probeAfter: "2s", maxProbeAfter: "8s" },
      scheduler: { reconcileInterval: "5s" },
    },
  })

describe("conductor with two GPU hosts", () => {
  it("places each model where it fits and lists both hosts in the snapshot", async () => {
    env = await twoHosts()
    const e = env
    const results = [CODER, GENERAL, CHAT].map((model, i) =>
      e.conductor.generate({
        prompt: "Write a short note on caching.",
        model,
        id: `p${i}`,
        options: { numPredict: 20 },
      }),
    )
    const all = await e.settle(Promise.all(results))
    expect(all.error).toBeUndefined()
    const snap = e.conductor.snapshot()
    expect(snap.hosts.map((h) => [h.name, h.up])).toEqual([
      ["sim-1", true],
      ["sim-2", true],
    ])
    const on = (model: string) =>
      snap.hosts
        .filter((h) => h.models.some((m) => m.name === model && m.state === "resident"))
        .map((h) => h.name)
    expect(on(CODER)).toHaveLength(1)
    expect(on(GENERAL)).toEqual(on(CHAT))
    expect(on(GENERAL)).not.toEqual(on(CODER))
    for (const h of snap.hosts) expect(h.vram.used).toBeLessThanOrEqual(h.vram.budget)
    expect(snap.vram.budget).toBe(snap.hosts.reduce((n, h) => n + h.vram.budget, 0))
    expect(snap.simulator?.overcommits).toBe(0)
    // Embeddings are placed too.
    const embedded = await e.settle(e.conductor.embed({ input: ["six", "seven"] }))
    expect((embedded.value as { embeddings: number[][] } | undefined)?.embeddings).toHaveLength(2)
    // Model events carry their host.
    expect(e.events.some((ev) => ev.type === "model_loaded" && ev.host !== undefined)).toBe(true)
  })

  it("a host killed mid-stream: its requests finish on the other host, each ends exactly once", async () => {
    env = await twoHosts()
    const e = env
    const warm = await e.settle(
      e.conductor.generate({ prompt: "hi", model: CHAT, id: "warm", options: { numPredict: 5 } }),
    )
    expect(warm.error).toBeUndefined()
    const victim = e.conductor.snapshot().hosts.find((h) => h.models.some((m) => m.name === CHAT))?.name
    const engine = e.conductor.simulators[victim === "sim-1" ? 0 : 1]
    if (engine === undefined) throw new Error("no simulated host")
    const handles = Array.from({ length: 12 }, (_, i) =>
      e.conductor.submit({
        prompt: `Summarise what DNS is, take ${i}.`,
        model: CHAT,
        id: `r${i}`,
        options: { numPredict: 200 },
      }),
    )
    // Some are streaming on the victim: kill it (its runners die, it refuses connections for 30 s).
    await e.until(() => e.events.some((ev) => ev.type === "token"))
    engine.unreachableFor(30_000)
    engine.crash()
    const results = await e.settle(Promise.allSettled(handles.map((h) => h.result)))
    const settled = results.value ?? []
    expect(settled.filter((r) => r.status === "fulfilled")).toHaveLength(12)
    // Some were cut on the victim and retried (the kill did hit work in flight).
    const retried = settled.filter((r) => r.status === "fulfilled" && r.value.attempts.length > 1)
    expect(retried.length).toBeGreaterThan(0)
    for (const h of handles) {
      const terminal = e.of(h.id).filter((ev) => TERMINAL_TYPES.has(ev.type))
      expect(terminal).toHaveLength(1)
    }
    expect(e.events.some((ev) => ev.type === "host" && ev.state === "down" && ev.host === victim)).toBe(true)
    // The same model took over on the other host (a fallback from chat to chat), not the model breaker.
    expect(e.events.some((ev) => ev.type === "fallback" && ev.from === CHAT && ev.to === CHAT)).toBe(true)
    expect(e.conductor.snapshot().breakers.find((b) => b.model === CHAT)?.state ?? "closed").toBe("closed")
    // It comes back: probed, reconciled, up.
    await e.until(() => e.conductor.snapshot().hosts.every((h) => h.up), 120_000, 200)
    expect(e.conductor.readiness().ready).toBe(true)
    expect(e.conductor.snapshot().simulator?.overcommits).toBe(0)
  })

  it("with every host down a request fails at once, naming them; readiness says why", async () => {
    env = await twoHosts()
    const e = env
    for (const engine of e.conductor.simulators) engine.unreachableFor(600_000)
    // The next failed check marks them down (reconciliation every 5 s).
    await e.until(() => e.conductor.snapshot().hosts.every((h) => !h.up), 60_000, 200)
    const r = await e.settle(e.conductor.generate({ prompt: "hi", model: CHAT, id: "none" }))
    expect(r.error).toBeDefined()
    const failed = e.of("none").find((ev) => ev.type === "failed")
    const attempts = failed?.type === "failed" ? failed.attempts : []
    expect(attempts.length).toBeGreaterThan(0)
    for (const a of attempts) expect(a.message).toContain("sim-1, sim-2 are down")
    expect(e.conductor.readiness()).toMatchObject({ ready: false, reasons: ["no GPU host is up"] })
    // The hosts failed, not the models: no model's breaker counted it.
    expect(e.conductor.snapshot().health.filter((h) => h.failures > 0)).toEqual([])
  })
})
