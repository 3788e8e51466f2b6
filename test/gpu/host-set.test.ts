import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { conductorError, isConductorError } from "../../src/domain/errors.js"
import type { HostSet } from "../../src/gpu/host-set.js"
import { hostsEnv } from "../support/hosts-env.js"

const CODER = "qwen2.5-coder:32b"
const GENERAL = "qwen2.5:14b"
const CHAT = "llama3.1:8b"

/** Per simulated host: never two loads at once (checked on every simulator event). */
const watchLoads = (
  engines: ReadonlyArray<{ subscribe: (l: (e: { type: string }) => void) => () => void }>,
) => {
  const loading = engines.map(() => 0)
  let overlapped = 0
  for (const [i, engine] of engines.entries()) {
    engine.subscribe((e) => {
      if (e.type === "load_started") {
        loading[i] = (loading[i] ?? 0) + 1
        if ((loading[i] ?? 0) > 1) overlapped++
      }
      if (e.type === "loaded" || e.type === "load_failed") loading[i] = Math.max(0, (loading[i] ?? 0) - 1)
    })
  }
  return () => overlapped
}

const where = (set: HostSet, model: string) =>
  set.hosts.filter((h) => h.residency.get(model)?.state === "resident").map((h) => h.name)

describe("gpu/host-set (two simulated 24 GB hosts, virtual time)", () => {
  it("places the 22 GB coder on one host and the general models together on the other", async () => {
    const env = await hostsEnv()
    const got = [CODER, GENERAL, CHAT].map((m) => env.set.acquire(m))
    for (let t = 0; t < 200; t++) await env.clock.advance(100)
    const leases = await Promise.all(got)
    expect(leases.map((l) => l.host.name)).toEqual(["h1", "h2", "h2"])
    expect(where(env.set, CODER)).toEqual(["h1"])
    expect(where(env.set, GENERAL)).toEqual(["h2"])
    // What the learner reads of residency is the host placement would choose, not the first.
    expect(env.set.first.name).toBe("h1")
    expect(env.set.first.residency.get(GENERAL)?.state).not.toBe("resident")
    expect(env.set.readiness(GENERAL)).toEqual({ resident: true, waitMs: expect.any(Number), loadMs: 0 })
    expect(env.set.readiness(CODER).resident).toBe(true)
    for (const l of leases) l.lease.release()
    // Warm: the next chat request goes where chat is resident.
    const again = env.set.acquire(CHAT)
    await env.clock.advance(10)
    expect((await again).host.name).toBe("h2")
    expect(env.engines.map((e) => e.state().overcommits)).toEqual([0, 0])
    await env.set.close()
  })

  it("property: never over any host's budget, never two loads on one host, every request ends", async () => {
    const request = fc.record({
      gapMs: fc.integer({ min: 0, max: 2_000 }),
      model: fc.constantFrom(CODER, GENERAL, CHAT, "mistral:7b", "qwen3:4b"),
      holdMs: fc.integer({ min: 50, max: 6_000 }),
    })
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 25 }), async (requests) => {
        const env = await hostsEnv()
        const overlapped = watchLoads(env.engines)
        const outcomes: Array<"served" | "pending"> = requests.map(() => "pending")
        const runs = requests.map(async (r, i) => {
          await env.clock.sleep(requests.slice(0, i + 1).reduce((s, x) => s + x.gapMs, 0))
          const { lease } = await env.set.acquire(r.model)
          await env.clock.sleep(r.holdMs)
          lease.release()
          outcomes[i] = "served"
        })
        const all = Promise.all(runs)
        for (let t = 0; t < 600 && outcomes.includes("pending"); t++) {
          await env.clock.advance(500)
          for (const h of env.set.hosts) {
            expect(h.residency.budget.used).toBeLessThanOrEqual(h.residency.budget.capacity)
          }
        }
        await all
        expect(outcomes).not.toContain("pending")
        expect(overlapped()).toBe(0)
        expect(env.engines.map((e) => e.state().overcommits)).toEqual([0, 0])
        await env.set.close()
      }),
      { numRuns: 15, seed: 1919 },
    )
  })

  it("a host that stops answering is marked down, reset and avoided; back, it is reconciled and used", async () => {
    const env = await hostsEnv()
    const first = env.set.acquire(CHAT)
    for (let t = 0; t < 100; t++) await env.clock.advance(100)
    const held = await first
    const dead = held.host
    const other = env.set.hosts.find((h) => h !== dead)
    // Waiting behind the held slot on the same host (chat has 2 slots: fill them).
    const second = await env.set.acquire(CHAT)
    const queued = env.set.acquire(CHAT, { requestId: "r-queued" })
    const queuedOutcome = queued.then(
      (l) => ({ host: l.host.name }),
      (e: unknown) => ({ error: e }),
    )
    const engine = env.engines[env.set.hosts.indexOf(dead)]
    engine?.unreachableFor(20_000)
    engine?.crash()
    const tagged = env.set.failed(
      dead,
      conductorError("Unavailable", "socket hang up", { model: CHAT }),
      "r1",
    )
    expect(tagged.details?.hostFailure).toBe(true)
    for (let t = 0; t < 20 && dead.up; t++) await env.clock.advance(100)
    expect(dead.up).toBe(false)
    expect(env.events.some((e) => e.type === "host" && e.state === "down" && e.host === dead.name)).toBe(true)
    expect(dead.residency.models().every((m) => m.state === "unloaded" || m.state === "loading")).toBe(true)
    const out = await queuedOutcome
    expect("error" in out && isConductorError(out.error) && out.error.details?.hostFailure).toBe(true)
    // Its retry goes to the other host, as does new work.
    expect(env.set.anotherHost("r1", CHAT)).toBe(true)
    expect(env.set.place(CHAT, "r1")).toMatchObject({ ok: true, host: other?.name })
    expect(env.set.place(CHAT)).toMatchObject({ ok: true, host: other?.name })
    held.lease.release()
    second.lease.release()
    // Back after 20 s: probed, reconciled, up again.
    for (let t = 0; t < 400 && !dead.up; t++) await env.clock.advance(100)
    expect(dead.up).toBe(true)
    expect(env.events.some((e) => e.type === "host" && e.state === "up" && e.host === dead.name)).toBe(true)
    expect(env.engines.map((e) => e.state().overcommits)).toEqual([0, 0])
    await env.set.close()
  })
})
