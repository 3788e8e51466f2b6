import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { RoutingDecision, RoutingRequest } from "../../src/domain/decision.js"
import { GB, memoryBytes } from "../../src/domain/model-profile.js"
import { TIERS, tierIndex } from "../../src/domain/tier.js"
import { type AdviceContext, advise } from "../../src/learning/advise.js"
import { bandOf, Learner, type LearnerOptions } from "../../src/learning/learner.js"
import { seededRandom } from "../../src/learning/random.js"
import { route } from "../../src/routing/router.js"
import { GOLDEN } from "../routing/golden-queries.js"
import { GOLDEN_B } from "../routing/golden-queries-b.js"
import { bundledConfig, routerEnv } from "../support/router-env.js"

const T0 = Date.UTC(2026, 0, 1)
const BUDGET = 48 * GB
const OPTIONS: LearnerOptions = {
  halfLifeMs: 86_400_000,
  exploration: 0.1,
  priorWeight: 5,
  costWeight: 0.005,
  latencyWeight: 0.001,
  qualityMargin: 0.05,
}
const env = routerEnv({ budgetBytes: BUDGET })
const thresholds = bundledConfig().conductor.routing.tierThresholds

const decide = (req: RoutingRequest): RoutingDecision => {
  const r = route(req, env)
  if (Result.isFailure(r)) throw r.failure
  return r.success
}

const context = (
  decision: RoutingDecision,
  learner: Learner,
  over: Partial<AdviceContext> = {},
): AdviceContext => ({
  mode: "on",
  learner,
  rng: () => 0.999,
  now: T0,
  band: bandOf(decision.complexity, thresholds),
  tierReach: 1,
  profile: (m) => {
    const p = env.registry.get(m)
    return p === undefined
      ? undefined
      : { tokensPerSec: p.tokensPerSec, share: memoryBytes(p) / p.parallel / BUDGET }
  },
  readiness: () => ({ resident: true, waitMs: 0, loadMs: 0 }),
  ...over,
})

describe("the learner's routing step", () => {
  it("on a cold start serves what the rules chose, for every golden query", () => {
    const learner = new Learner(OPTIONS)
    for (const g of [...GOLDEN, ...GOLDEN_B]) {
      const d = decide({
        query: g.query,
        ...(g.docs !== undefined ? { context: { retrievedDocs: g.docs } } : {}),
      })
      const advised = advise(d, context(d, learner))
      expect(advised.model, g.query).toBe(d.model)
      expect(advised.reason).toBe(d.reason)
      expect(advised.breakdown.learned).toMatchObject({
        mode: "on",
        explored: false,
        rules: d.model,
        chosen: d.model,
      })
      // Everything routing explained is kept (the classifier's verdict included).
      const { learned: _learned, ...rest } = advised.breakdown
      expect(rest).toEqual(d.breakdown)
      expect(rest.model).toBeDefined()
    }
  })

  it("never chooses an ineligible candidate, whatever the evidence and the draws", () => {
    // A 24 GB budget excludes the 70B models; code needs the code capability.
    const tight = routerEnv({ budgetBytes: 24 * GB })
    const queries = [
      "Write a Python function that parses ISO 8601 dates and handles time zones",
      "Explain step by step why the sky is blue, comparing Rayleigh and Mie scattering",
      "hi there",
      "Summarise the attached report in five bullet points",
    ]
    fc.assert(
      fc.property(
        fc.constantFrom(...queries),
        fc.integer({ min: 0, max: 2 ** 30 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (query, seed, exploration) => {
          const r = route({ query, requires: query.startsWith("Write") ? ["code"] : [] }, tight)
          if (Result.isFailure(r)) return
          const d = r.success
          const learner = new Learner({ ...OPTIONS, exploration })
          const band = bandOf(d.complexity, thresholds)
          // Perfect answers from every excluded model, useless ones from the rest.
          for (const c of d.breakdown.candidates) {
            for (let i = 0; i < 50; i++) {
              learner.update(d.taskType, band, c.model, T0, {
                quality: c.eligible ? 0 : 1,
                gpuSeconds: 0,
                seconds: 0,
                tokens: 10,
              })
            }
          }
          const advised = advise(d, context(d, learner, { rng: seededRandom(seed), band }))
          const chosen = d.breakdown.candidates.find((c) => c.model === advised.model)
          expect(chosen?.eligible).toBe(true)
          expect(Math.abs(tierIndex(advised.tier) - tierIndex(d.tier))).toBeLessThanOrEqual(1)
          for (const m of Object.keys(advised.breakdown.learned?.means ?? {})) {
            expect(d.breakdown.candidates.find((c) => c.model === m)?.eligible).toBe(true)
          }
        },
      ),
      { numRuns: 300, seed: 42 },
    )
  })

  it("moves a class of queries up a tier when outcomes say so, and keeps the rules' choice first in the chain", () => {
    const d = decide({ query: "What is the capital of France?" })
    expect(d.tier).toBe("fast")
    const learner = new Learner({ ...OPTIONS, exploration: 0 })
    const band = bandOf(d.complexity, thresholds)
    const better = d.breakdown.candidates.find((c) => c.eligible && c.tier === "balanced")?.model as string
    for (let i = 0; i < 100; i++) {
      for (const c of d.breakdown.candidates.filter((x) => x.eligible)) {
        learner.update(d.taskType, band, c.model, T0, {
          quality: c.model === better ? 1 : 0.2,
          gpuSeconds: 1,
          seconds: 2,
          tokens: 200,
        })
      }
    }
    const advised = advise(d, context(d, learner))
    expect(advised).toMatchObject({ model: better, tier: "balanced", reason: "learned" })
    expect(advised.fallbacks[0]).toBe(d.model)
    expect(advised.breakdown.tier.served).toBe("balanced")
    expect(advised.warnings.at(-1)).toMatch(new RegExp(`^learned: ${better.replace(/[.:]/g, "\\$&")} over`))
    // Shadow mode shows the same choice and changes nothing.
    const shadow = advise(d, context(d, learner, { mode: "shadow" }))
    expect(shadow.model).toBe(d.model)
    expect(shadow.breakdown.learned).toMatchObject({ mode: "shadow", chosen: better, rules: d.model })
    // With no tier reach it stays in the rules' tier.
    expect(advise(d, context(d, learner, { tierReach: 0 })).tier).toBe("fast")
    // A forced tier is kept.
    expect(advise(d, context(d, learner, { forcedTier: "fast" })).tier).toBe("fast")
  })

  it("stays out of a task's tier bounds and out of explicit choices", () => {
    const d = decide({ query: "Rewrite this search query to be more specific: cheap flights" })
    const learner = new Learner({ ...OPTIONS, exploration: 1 })
    for (let seed = 0; seed < 200; seed++) {
      const advised = advise(d, context(d, learner, { rng: seededRandom(seed), maxTier: "fast" }))
      expect(advised.tier).toBe("fast")
    }
    const named = decide({ query: "hello", model: "mistral:7b" })
    const advised = advise(named, context(named, learner))
    expect(advised.model).toBe("mistral:7b")
    expect(advised.breakdown.learned?.note).toMatch(/explicit/)
  })

  it("serves a cheaper model when the request's maxCost binds", () => {
    const d = decide({
      query: "Explain in detail how a B-tree differs from an LSM tree for write-heavy workloads",
    })
    const learner = new Learner({ ...OPTIONS, exploration: 0 })
    const free = advise(d, context(d, learner))
    expect(free.model).toBe(d.model)
    const expected = free.breakdown.learned?.means
    expect(expected).toBeDefined()
    const limited = advise(d, context(d, learner, { costLimit: 0.05 }))
    const learned = limited.breakdown.learned
    expect(learned?.cost).toMatchObject({ limit: 0.05, bound: true })
    const profile = (m: string) => env.registry.get(m)
    const cost = (m: string) => {
      const p = profile(m)
      return p === undefined ? Number.NaN : (256 / p.tokensPerSec) * (memoryBytes(p) / p.parallel / BUDGET)
    }
    expect(cost(limited.model)).toBeLessThan(cost(d.model))
    expect(TIERS).toContain(limited.tier)
  })
})
