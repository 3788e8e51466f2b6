import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { isConductorError } from "../src/domain/errors.js"
import { conductorEnv } from "./support/conductor-env.js"
import { TINY_CI_MODELS } from "./support/tiny-ci.js"

const PROMPTS = [
  "What is the capital of France?",
  "Summarise the causes of the first world war, comparing economic and political factors.",
  "Solve 3x + 7 = 22 and explain each step.",
  "Write a short poem about autumn leaves.",
]

const probability = fc.double({ min: 0, max: 0.4, noNaN: true })
const faults = fc.record({
  errorBeforeFirstToken: probability,
  cutMidStream: probability,
  stall: probability,
  slow: probability,
  degenerate: probability,
  loadFailure: fc.double({ min: 0, max: 0.1, noNaN: true }),
})

const request = fc.record({
  gapMs: fc.integer({ min: 0, max: 4_000 }),
  prompt: fc.constantFrom(...PROMPTS),
  model: fc.option(fc.constantFrom(...TINY_CI_MODELS), { nil: undefined, freq: 3 }),
  cancelAfterMs: fc.option(fc.integer({ min: 0, max: 15_000 }), { nil: undefined, freq: 3 }),
})

describe("conductor (property: random faults and cancellations)", () => {
  it("every accepted request ends exactly once, as its result says; memory stays within the budget", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(...TINY_CI_MODELS.map(() => faults)),
        fc.array(request, { minLength: 5, maxLength: 20, size: "max" }),
        // A short aging bound drains busy models often; a long one rarely.
        fc.constantFrom("2s", "20s"),
        fc.constantFrom("restart", "continue"),
        async (faultsByModel, requests, maxWait, mode) => {
          const env = await conductorEnv({
            config: {
              scheduler: { minResidency: "2s", maxWait },
              fallbacks: { mode },
              requests: { deadlines: { firstToken: "5s", stall: "3s", total: "3m" } },
              health: { volumeThreshold: 3, probeAfter: "5s" },
            },
          })
          try {
            const sim = env.conductor.simulator
            for (const [i, model] of TINY_CI_MODELS.entries()) {
              sim?.setFaults(model, { ...faultsByModel[i], stallSec: 20, slowFactor: 30 })
            }
            const outcomes = new Map<string, "completed" | "failed" | "cancelled">()
            const ids: string[] = []
            let at = 0
            for (const [i, r] of requests.entries()) {
              at += r.gapMs
              void env.clock.sleep(at).then(() => {
                const h = env.conductor.submit({
                  prompt: r.prompt,
                  id: `r${i}`,
                  ...(r.model !== undefined ? { model: r.model } : {}),
                })
                ids.push(h.id)
                h.result.then(
                  () => outcomes.set(h.id, "completed"),
                  (e: unknown) =>
                    outcomes.set(
                      h.id,
                      isConductorError(e) && e.reason === "Cancelled" ? "cancelled" : "failed",
                    ),
                )
                if (r.cancelAfterMs !== undefined)
                  void env.clock.sleep(r.cancelAfterMs).then(() => h.cancel())
              })
            }
            await env.until(
              () => ids.length === requests.length && outcomes.size === requests.length,
              3_600_000,
              500,
            )
            await env.clock.advance(1_000)

            for (const id of ids) {
              const events = env.of(id)
              const terminals = events.filter(
                (e) => e.type === "completed" || e.type === "failed" || e.type === "cancelled",
              )
              expect(terminals, id).toHaveLength(1)
              expect(events.at(-1), id).toBe(terminals[0])
              expect(events[0]?.type, id).toBe("accepted")
              expect(terminals[0]?.type, id).toBe(outcomes.get(id))
              const done = terminals[0]
              if (done?.type === "completed") expect(done.text.trim().length, id).toBeGreaterThan(0)
            }
            const snap = env.conductor.snapshot()
            const used = env.events.flatMap((e) => (e.type === "vram" ? [e.usedBytes] : []))
            expect(Math.max(0, ...used)).toBeLessThanOrEqual(snap.vram.budget)
            expect(snap.requests).toMatchObject({ inFlight: 0, queued: 0 })
            expect(snap.models.every((m) => m.leases === 0)).toBe(true)
            const state = sim?.state()
            expect(state?.overcommits).toBe(0)
            expect(state?.runners.every((r) => r.active === 0)).toBe(true)
          } finally {
            await env.conductor.close()
          }
        },
      ),
      { numRuns: 15, seed: 515 },
    )
  }, 120_000) // ~6 s alone; fifteen whole runs on virtual time, slow on a busy machine
})
