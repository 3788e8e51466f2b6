import { Result } from "effect"
import { describe, expect, it } from "vitest"
import type { RoutingDecision } from "../../src/domain/decision.js"
import { route } from "../../src/routing/router.js"
import { preferWarm } from "../../src/routing/warm.js"
import { routerEnv } from "../support/router-env.js"

const options = { margin: 1, costPerSecond: 0.1 }

const decided = (query: string, extra: Partial<Parameters<typeof route>[0]> = {}): RoutingDecision =>
  Result.getOrThrow(route({ query, ...extra }, routerEnv()))

describe("routing/warm", () => {
  it("serves a resident near-equal candidate instead of loading the first choice", () => {
    const d = decided("What is the capital of France?")
    const near = d.breakdown.candidates.filter(
      (c) => c.eligible && c.score !== undefined && c.model !== d.model && c.tier === d.tier,
    )
    const chosenScore = d.breakdown.candidates.find((c) => c.model === d.model)?.score ?? 0
    const warm = near.find((c) => (c.score ?? 0) >= chosenScore - 1)
    expect(warm).toBeDefined()
    const readiness = (m: string) =>
      m === warm?.model ? { resident: true, expectedWaitMs: 0 } : { resident: false, expectedWaitMs: 30_000 }
    const w = preferWarm(d, readiness, options)
    expect(w).toMatchObject({ model: warm?.model, reason: "warm_preferred" })
    expect(w.fallbacks[0]).toBe(d.model)
    expect(w.fallbacks).not.toContain(warm?.model)
    expect(w.warnings.at(-1)).toMatch(/^warm_preferred: /)
  })

  it("keeps the first choice when it is resident too, when nothing else is, past the margin, or when explicit", () => {
    const d = decided("What is the capital of France?")
    const cold = { resident: false, expectedWaitMs: 5_000 }
    const warmNow = { resident: true, expectedWaitMs: 0 }
    expect(preferWarm(d, () => warmNow, options)).toBe(d)
    // Others would load quicker, but none is resident: something loads either way.
    expect(
      preferWarm(d, (m) => (m === d.model ? { resident: false, expectedWaitMs: 30_000 } : cold), options),
    ).toBe(d)
    expect(preferWarm(d, (m) => (m === d.model ? cold : warmNow), { margin: 0, costPerSecond: 0.1 })).toBe(d)
    const explicit = decided("What is the capital of France?", { model: "mistral:7b" })
    expect(preferWarm(explicit, (m) => (m === "mistral:7b" ? cold : warmNow), options)).toBe(explicit)
  })
})
