/**
 * Priorities and fair share under random interleavings (virtual time): tenants — one of them
 * flooding — send interactive and batch requests to models that do not all fit, some cancelled.
 * No tenant and no priority class starves: every request not cancelled is served, and once a
 * request has waited the aging bound no younger request on its model is granted before it unless
 * its own group (tenant and priority on that model) was served within the bound. No
 * permit is lost: when all is done nothing is held, queued or leased, and the budget holds
 * exactly the bytes of the models in memory.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { isConductorError } from "../../src/domain/errors.js"
import { swapAwarePolicy } from "../../src/gpu/policies/swap-aware.js"
import { gpuEnv } from "../support/gpu-env.js"
import { TINY_CI_MODELS } from "../support/tiny-ci.js"

const MAX_WAIT_MS = 10_000

const request = fc.record({
  gapMs: fc.integer({ min: 0, max: 2_000 }),
  model: fc.constantFrom(...TINY_CI_MODELS),
  tenant: fc.constantFrom("flood", "flood", "flood", "alpha", "beta"),
  priority: fc.constantFrom("interactive" as const, "batch" as const),
  holdMs: fc.integer({ min: 50, max: 3_000 }),
  cancelAfterMs: fc.option(fc.integer({ min: 0, max: 20_000 }), { freq: 1, nil: undefined }),
})

describe("gpu/scheduler: priorities and fair share (property, virtual time)", () => {
  it("no tenant and no priority class starves; no permit is lost", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 40, size: "max" }), async (requests) => {
        const env = await gpuEnv({
          policy: swapAwarePolicy({ minResidencyMs: 2_000, maxWaitMs: MAX_WAIT_MS }),
        })
        const arrivedAt: number[] = requests.map(() => Number.NaN)
        const grantedAt: number[] = requests.map(() => Number.NaN)
        const grantOrder: number[] = []
        const outcomes: Array<"served" | "cancelled" | "pending"> = requests.map(() => "pending")
        let held = 0
        let at = 0
        const runs = requests.map(async (r, i) => {
          at += r.gapMs
          await env.clock.sleep(at)
          arrivedAt[i] = env.clock.now()
          const abort = new AbortController()
          if (r.cancelAfterMs !== undefined) void env.clock.sleep(r.cancelAfterMs).then(() => abort.abort())
          try {
            const lease = await env.scheduler.acquire(r.model, {
              tenant: r.tenant,
              priority: r.priority,
              signal: abort.signal,
            })
            grantedAt[i] = env.clock.now()
            grantOrder.push(i)
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
        for (let t = 0; t < 600 && outcomes.includes("pending"); t++) {
          await env.clock.advance(500)
          expect(env.budget.used).toBeLessThanOrEqual(env.budget.capacity)
        }
        await all
        // Nobody starved: every request ended, and only cancelled ones went unserved.
        expect(outcomes).not.toContain("pending")
        for (const [i, r] of requests.entries()) {
          if (r.cancelAfterMs === undefined) expect(outcomes[i]).toBe("served")
        }
        // The aging bound, per group (tenant and priority on a model): once a request has waited
        // it, a younger request is granted before it only while its own group is being served —
        // some request of that group granted within the bound before that younger one.
        const position = new Map(grantOrder.map((i, k) => [i, k]))
        const group = (i: number) => {
          const r = requests[i] as (typeof requests)[number]
          return `${r.model}|${r.tenant}|${r.priority}`
        }
        for (const [i, r] of requests.entries()) {
          const mine = position.get(i)
          if (mine === undefined) continue
          const agedSince = (arrivedAt[i] as number) + MAX_WAIT_MS
          for (const [k, j] of grantOrder.slice(0, mine).entries()) {
            if (requests[j]?.model !== r.model) continue
            const at = grantedAt[j] as number
            if ((arrivedAt[j] as number) <= (arrivedAt[i] as number) || at < agedSince) continue
            const served = grantOrder
              .slice(0, k)
              .some((g) => g !== i && group(g) === group(i) && (grantedAt[g] as number) > at - MAX_WAIT_MS)
            // A younger request went first after it had aged, with its group unserved: starvation.
            expect(served).toBe(true)
          }
        }
        // No permit lost.
        expect(held).toBe(0)
        expect(env.scheduler.snapshot().queued).toBe(0)
        const models = env.residency.models()
        expect(models.every((m) => m.leases === 0)).toBe(true)
        const inMemory = models.filter((m) => m.state !== "unloaded").reduce((s, m) => s + m.bytes, 0)
        expect(env.budget.used).toBe(inMemory)
        expect(env.engine.state().overcommits).toBe(0)
      }),
      { numRuns: 20, seed: 1616 },
    )
  })
})
