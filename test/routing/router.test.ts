import { Result } from "effect"
import { describe, expect, it } from "vitest"
import type { RoutingDecision, RoutingRequest } from "../../src/domain/decision.js"
import { GB } from "../../src/domain/model-profile.js"
import { route } from "../../src/routing/router.js"
import { routerEnv } from "../support/router-env.js"

const env = routerEnv()
const ok = (req: RoutingRequest, e = env): RoutingDecision => {
  const r = route(req, e)
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return r.success
}
const fail = (req: RoutingRequest, e = env) => {
  const r = route(req, e)
  if (Result.isSuccess(r)) throw new Error(`expected a failure, got ${r.success.model}`)
  return r.failure
}

describe("routing/router", () => {
  it("routes the reference code example to the coder at balanced", () => {
    const d = ok({
      query: "Write a Python function to sort a list",
      available: ["qwen2.5-coder:32b", "llama3.1:8b"],
    })
    expect(d).toMatchObject({ taskType: "code_generation", model: "qwen2.5-coder:32b", tier: "balanced" })
    expect(d.reason).toBe("task_specialisation")
    expect(d.warnings).toContain("Review before using - may contain bugs")
  })

  it("routes the researcher persona to quality", () => {
    // Persona mechanics on the rules' verdict (the classifier reads this two-word query as code or
    // a general question, nearly a tie, and the researcher persona overrides code to balanced).
    const d = ok(
      {
        query: "Explain neural networks",
        persona: "researcher",
        available: ["llama3.3:70b", "llama3.1:8b"],
      },
      routerEnv({ classifier: undefined }),
    )
    expect(d).toMatchObject({ tier: "quality", model: "llama3.3:70b", reason: "persona_tier" })
    expect(d.breakdown.persona?.name).toBe("researcher")
  })

  it("routes the researcher persona to quality with the classifier", () => {
    const d = ok({
      query: "Why did the Roman Republic collapse into an empire?",
      persona: "researcher",
      available: ["llama3.3:70b", "llama3.1:8b"],
    })
    expect(d).toMatchObject({ tier: "quality", model: "llama3.3:70b", reason: "persona_tier" })
    expect(d.breakdown.model?.used.task).toBe("model")
  })

  it("routes the reference tiers with every model available", () => {
    expect(ok({ query: "What is the capital of France?" }).tier).toBe("fast")
    expect(ok({ query: "Summarise the key findings from these 3 research papers" }).tier).toBe("balanced")
    const q = ok({
      query:
        "Analyse the architectural trade-offs between microservices and monoliths for a fintech startup, considering scalability, team structure, and regulatory compliance",
    })
    expect(q).toMatchObject({ tier: "quality", taskType: "reasoning", model: "llama3.3:70b" })
    for (const f of q.fallbacks) expect(env.registry.get(f)?.sizeB).toBeLessThan(70)
  })

  it("sends math to the math model with a verification warning", () => {
    const d = ok({ query: "What is 17 * 23?" })
    expect(d).toMatchObject({ taskType: "mathematical", model: "qwen2-math:7b" })
    expect(d.warnings).toContain("Verify important calculations")
  })

  it("honours an explicit model and a forced tier", () => {
    expect(ok({ query: "hello", model: "mistral:7b" })).toMatchObject({
      model: "mistral:7b",
      reason: "explicit_override",
    })
    expect(ok({ query: "What is the capital of France?", tier: "quality" })).toMatchObject({
      tier: "quality",
      reason: "forced_tier",
    })
  })

  it("honours a persona's task override to a model, and routes normally when it is unavailable", () => {
    const personas = new Map(env.personas)
    personas.set("coder", {
      name: "coder",
      description: "",
      taskOverrides: { code_generation: { model: "codellama:34b" } },
      rules: [],
      specialisedModels: {},
    })
    const e = { ...env, personas }
    expect(ok({ query: "Write a bash script to rotate logs", persona: "coder" }, e)).toMatchObject({
      model: "codellama:34b",
      reason: "persona_task_override",
    })
    const d = ok(
      { query: "Write a bash script to rotate logs", persona: "coder", available: ["qwen2.5-coder:32b"] },
      e,
    )
    expect(d.model).toBe("qwen2.5-coder:32b")
    expect(d.warnings.some((w) => w.includes("codellama:34b skipped"))).toBe(true)
  })

  it("relaxes the tier with a warning when the target tier has no model", () => {
    const d = ok({ query: "Define recursion", available: ["qwen2.5:14b"] })
    expect(d).toMatchObject({ model: "qwen2.5:14b", tier: "balanced", reason: "tier_relaxed" })
    expect(d.breakdown.tier).toMatchObject({ target: "fast", served: "balanced" })
    expect(d.warnings).toContain("no fast model available: relaxed to balanced")
  })

  it("keeps to the memory budget", () => {
    const d = ok(
      {
        query:
          "Analyse the long-term macroeconomic implications of quantitative easing on emerging markets, in detail",
      },
      routerEnv({ budgetBytes: 24 * GB }),
    )
    expect(env.registry.get(d.model)?.memoryGb).toBeLessThanOrEqual(24)
    expect(d.fallbacks.every((f) => (env.registry.get(f)?.memoryGb ?? 99) <= 24)).toBe(true)
  })

  it("fails with NoModelAvailable naming what was required", () => {
    const e = fail({ query: "Describe this image in detail", available: ["mistral:7b", "llama3.1:8b"] })
    expect(e.reason).toBe("NoModelAvailable")
    expect(e.message).toContain("capabilities [vision]")
    expect(e.details).toMatchObject({ required: { capabilities: ["vision"] } })

    const big = fail({ query: "hi", model: "llama3.3:70b" }, routerEnv({ budgetBytes: 20 * GB }))
    expect(big).toMatchObject({ reason: "NoModelAvailable", model: "llama3.3:70b" })
    expect(fail({ query: "hi", model: "gpt-5" }).message).toBe("model: 'gpt-5' is not available")
    expect(fail({ query: "hi", available: [] }).message).toContain("no models available")
    expect(fail({ query: "hi", context: { minContextWindow: 1_000_000 } }).message).toContain(
      "context window ≥ 1000000",
    )
  })

  it("rejects bad requests clearly", () => {
    expect(fail({ query: "  " })).toMatchObject({
      reason: "BadRequest",
      message: "query: must be a non-empty string",
    })
    expect(fail({ query: "hi", persona: "wizard" }).message).toMatch(
      /^persona: unknown persona 'wizard' \(known: /,
    )
  })

  it("reports unknown available models without failing", () => {
    const d = ok({ query: "hi there", available: ["mistral:7b", "mystery:1b"] })
    expect(d.model).toBe("mistral:7b")
    expect(d.warnings).toContain("unknown model 'mystery:1b' ignored (not in the registry)")
  })

  it("uses the default persona from configuration", () => {
    const e = routerEnv({ routing: { ...env.routing, defaultPersona: "researcher" } })
    expect(ok({ query: "Explain neural networks" }, e).breakdown.persona?.name).toBe("researcher")
  })
})
