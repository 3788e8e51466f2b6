import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { isConductorError } from "../../src/domain/errors.js"
import { swapAwarePolicy } from "../../src/gpu/policies/swap-aware.js"
import { gpuEnv } from "../support/gpu-env.js"
import { TINY_CI_MODELS } from "../support/tiny-ci.js"

const request = fc.record({
  gapMs: fc.integer({ min: 0, max: 3_000 }),
  model: fc.constantFrom(...TINY_CI_MODELS),
  holdMs: fc.integer({ min: 50, max: 4_000 }),
  cancelAfterMs: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
})

describe("gpu/scheduler (property, virtual time)", () => {
  for (const [name, makePolicy] of [
    ["swap-aware", () => swapAwarePolicy({ minResidencyMs: 2_000, maxWaitMs: 10_000 })],
  ] as const) {
    it(`${name}: never over budget, never makes the server evict or over-commit, every request ends`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(request, { minLength: 1, maxLength: 30, size: "max" }),
          async (requests) => {
            const env = await gpuEnv({ policy: makePolicy() })
            const serverEvictions: string[] = []
            env.engine.subscribe((e) => {
              if (e.type === "unload_started" && e.reason === "evicted") serverEvictions.push(e.cause ?? "?")
            })
            const outcomes: Array<"served" | "cancelled" | "pending"> = requests.map(() => "pending")
            let held = 0
            const runs = requests.map(async (r, i) => {
              await env.clock.sleep(requests.slice(0, i + 1).reduce((s, x) => s + x.gapMs, 0))
              const abort = new AbortController()
              if (r.cancelAfterMs !== undefined) {
                void env.clock.sleep(r.cancelAfterMs).then(() => abort.abort())
              }
              try {
                const lease = await env.scheduler.acquire(r.model, { signal: abort.signal })
                held++
                await env.clock.sleep(r.holdMs)
                held--
                lease.release()
                outcomes[i] = "served"
              } catch (e) {
                if (!isConductorError(e) || e.reason !== "Cancelled") throw e
                outcomes[i] = "cancelled"
              }
            })
            const all = Promise.all(runs)
            for (let t = 0; t < 400 && outcomes.includes("pending"); t++) {
              await env.clock.advance(500)
              expect(env.budget.used).toBeLessThanOrEqual(env.budget.capacity)
            }
            await all
            expect(outcomes).not.toContain("pending")
            expect(held).toBe(0)
            expect(env.scheduler.snapshot().queued).toBe(0)
            expect(env.residency.models().every((m) => m.leases === 0)).toBe(true)
            const sim = env.engine.state()
            expect(sim.overcommits).toBe(0)
            // Conductor made the room a model needs itself: the server never chose a victim because
            // a model did not fit, the loaded-model limit was reached, or (Ollama ≥ 0.30) it fit
            // but needed more than 80% of the free memory ("headroom").
            expect(serverEvictions).toEqual([])
            expect(sim.evictions).toBe(serverEvictions.length)
            // Every served request ran on a model the budget accounted for.
            expect(outcomes.filter((o) => o === "served").length).toBeGreaterThan(0)
          },
        ),
        { numRuns: 20, seed: 4242 },
      )
    })
  }
})
