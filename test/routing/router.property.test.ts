import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { ChainConfig } from "../../src/config/schema.js"
import { GB } from "../../src/domain/model-profile.js"
import { CAPABILITIES } from "../../src/domain/task.js"
import { TIERS } from "../../src/domain/tier.js"
import { classify } from "../../src/routing/classify.js"
import { route } from "../../src/routing/router.js"
import { readQuery } from "../../src/routing/text.js"
import { bundledConfig, routerEnv } from "../support/router-env.js"

const models = bundledConfig().models
const names = models.map((m) => m.name)
const WORDS = [
  "write",
  "function",
  "python",
  "explain",
  "why",
  "compare",
  "analyse",
  "design",
  "system",
  "summarise",
  "these",
  "5",
  "papers",
  "poem",
  "story",
  "calculate",
  "17",
  "*",
  "23",
  "weather",
  "today",
  "send",
  "email",
  "rephrase",
  "query",
  "according",
  "to",
  "the",
  "attached",
  "document",
  "image",
  "what",
  "is",
  "a",
  "and",
  "considering",
  "latency",
  "GDPR",
  "100M",
  "users",
  "step-by-step",
  "briefly",
  "in",
  "detail",
  "tool",
  "API",
  ",",
  "?",
  "```",
  "photo",
  "screenshot",
]
const query = fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 40 }).map((w) => w.join(" "))
const request = fc.record(
  {
    query,
    available: fc.subarray(names),
    persona: fc.constantFrom("researcher", "developer", "casual", "writer"),
    model: fc.constantFrom(...names),
    tier: fc.constantFrom(...TIERS),
    requires: fc.subarray([...CAPABILITIES], { maxLength: 2 }),
    context: fc.record(
      { retrievedDocs: fc.nat(12), minContextWindow: fc.integer({ min: 1, max: 200_000 }) },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ["query"] },
)
const budget = fc.option(
  fc.double({ min: 2, max: 130, noNaN: true }).map((gb) => gb * GB),
  { nil: undefined },
)
const fallbacks: fc.Arbitrary<ChainConfig> = fc.record({
  enabled: fc.boolean(),
  maxLength: fc.nat(5),
  strategy: fc.constantFrom("graceful_degradation" as const, "best_effort" as const),
})

describe("routing/router properties", () => {
  it("every decision names an available model that fits, or fails with NoModelAvailable", () => {
    fc.assert(
      fc.property(request, budget, (req, budgetBytes) => {
        const env = routerEnv({ budgetBytes })
        const available = req.available ?? names
        const r = route(req, env)
        if (Result.isFailure(r)) {
          expect(r.failure.reason).toBe("NoModelAvailable")
          return
        }
        const d = r.success
        expect(available).toContain(d.model)
        const p = env.registry.get(d.model)
        expect(p).toBeDefined()
        if (budgetBytes !== undefined) expect((p?.memoryGb ?? 0) * GB).toBeLessThanOrEqual(budgetBytes)
        if (req.model === undefined) {
          for (const need of d.breakdown.task.needs) expect(p?.capabilities).toContain(need)
          expect(p?.contextWindow).toBeGreaterThanOrEqual(req.context?.minContextWindow ?? 0)
        }
        expect(d.complexity).toBeGreaterThanOrEqual(0)
        expect(d.complexity).toBeLessThanOrEqual(10)
        expect(d.confidence).toBeGreaterThan(0)
        expect(d.confidence).toBeLessThanOrEqual(1)
      }),
      { numRuns: 400, seed: 42 },
    )
  })

  it("fallback chains hold their invariants", () => {
    fc.assert(
      fc.property(request, budget, fallbacks, (req, budgetBytes, fb) => {
        const env = routerEnv({ budgetBytes, fallbacks: fb })
        const { tier: _forced, ...unforced } = req
        const r = route(unforced, env)
        if (Result.isFailure(r)) return
        const d = r.success
        const primary = env.registry.get(d.model)
        const available = req.available ?? names
        expect(d.fallbacks).not.toContain(d.model)
        expect(new Set(d.fallbacks).size).toBe(d.fallbacks.length)
        expect(d.fallbacks.length).toBeLessThanOrEqual(fb.enabled ? fb.maxLength : 0)
        for (const f of d.fallbacks) {
          const p = env.registry.get(f)
          expect(available).toContain(f)
          if (budgetBytes !== undefined) expect((p?.memoryGb ?? 0) * GB).toBeLessThanOrEqual(budgetBytes)
          for (const need of d.breakdown.task.needs) expect(p?.capabilities).toContain(need)
          if (fb.strategy === "graceful_degradation") expect(p?.sizeB).toBeLessThan(primary?.sizeB ?? 0)
        }
        // Tiers never climb along the chain under graceful degradation.
        if (fb.strategy === "graceful_degradation") {
          const order = d.fallbacks.map((f) => TIERS.indexOf(env.registry.get(f)?.tier ?? "fast"))
          for (let i = 1; i < order.length; i++) expect(order[i]).toBeLessThanOrEqual(order[i - 1] as number)
        }
      }),
      { numRuns: 400, seed: 7 },
    )
  })

  it("never lets the classifier override a hard signal: requires, vision cues, overrides, documents", () => {
    const withModel = routerEnv()
    const rulesOnly = routerEnv({ classifier: undefined })
    expect(withModel.classifier).toBeDefined()
    fc.assert(
      fc.property(request, (req) => {
        const r = route(req, withModel)
        const plain = route(req, rulesOnly)
        // The classifier never turns a routable request into a failure or the reverse by a hard
        // constraint: an explicit model that is unavailable fails both ways.
        if (req.model !== undefined && !(req.available ?? names).includes(req.model)) {
          expect(Result.isFailure(r)).toBe(true)
          expect(Result.isFailure(plain)).toBe(true)
          return
        }
        if (Result.isFailure(r)) {
          expect(r.failure.reason).toBe("NoModelAvailable")
          return
        }
        const d = r.success
        const b = d.breakdown
        expect(b.model).toBeDefined()
        for (const c of req.requires ?? []) expect(b.task.needs).toContain(c)
        // Needs are the rules' (with the request context) and the request's, never the model's.
        const ruled = classify(readQuery(req.query), req.context)
        expect([...b.task.needs].sort()).toEqual(
          [...new Set([...ruled.needs, ...(req.requires ?? [])])].sort(),
        )
        if (req.model !== undefined) {
          expect(d.model).toBe(req.model)
          expect(d.reason).toBe("explicit_override")
        } else {
          const p = withModel.registry.get(d.model)
          for (const need of b.task.needs) expect(p?.capabilities).toContain(need)
          expect(p?.contextWindow).toBeGreaterThanOrEqual(req.context?.minContextWindow ?? 0)
          if (req.tier !== undefined) expect(b.tier.target).toBe(req.tier)
        }
        // A question over retrieved documents is a rag_query; a question about fenced code is code.
        const question = d.taskType === "general_qa" || d.taskType === "reasoning"
        if ((req.context?.retrievedDocs ?? 0) > 0) expect(question).toBe(false)
        if (req.query.includes("```")) expect(question).toBe(false)
      }),
      { numRuns: 400, seed: 16 },
    )
  })

  it("is deterministic: the same request gives the same decision", () => {
    fc.assert(
      fc.property(request, (req) => {
        const env = routerEnv()
        expect(route(req, env)).toEqual(route(req, env))
      }),
      { numRuns: 100, seed: 3 },
    )
  })
})
