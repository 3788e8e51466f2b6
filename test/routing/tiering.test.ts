import { describe, expect, it } from "vitest"
import type { Persona } from "../../src/domain/persona.js"
import { chooseTier } from "../../src/routing/tiering.js"
import { bundledConfig } from "../support/router-env.js"

const routing = bundledConfig().conductor.routing
const persona = (p: Partial<Persona>): Persona => ({
  name: "p",
  description: "",
  taskOverrides: {},
  rules: [],
  specialisedModels: {},
  ...p,
})

describe("routing/tiering", () => {
  it.each([
    [0, "general_qa", "fast", "complexity"],
    [3.5, "general_qa", "balanced", "complexity"],
    [7, "general_qa", "quality", "complexity"],
    [1, "code_generation", "balanced", "task_rule"],
    [1, "reasoning", "balanced", "task_rule"],
    [8, "query_rewriting", "fast", "task_rule"],
  ] as const)("complexity %s for %s → %s (%s)", (complexity, task, tier, source) => {
    const c = chooseTier(task, complexity, routing, undefined, undefined)
    expect(c.target).toBe(tier)
    expect(c.source).toBe(source)
  })

  it("a forced tier beats task rules and personas", () => {
    const c = chooseTier("code_generation", 9, routing, persona({ preferredTier: "quality" }), "fast")
    expect(c).toMatchObject({ target: "fast", source: "forced" })
  })

  it("preferred tier applies unless complexity is below the downgrade threshold", () => {
    const researcher = persona({ name: "researcher", preferredTier: "quality", downgradeThreshold: 1.5 })
    expect(chooseTier("general_qa", 2, routing, researcher, undefined).target).toBe("quality")
    expect(chooseTier("general_qa", 1, routing, researcher, undefined).target).toBe("fast")
  })

  it("a fast-preferring persona only lets very complex queries up", () => {
    const casual = persona({ preferredTier: "fast", upgradeThreshold: 8 })
    expect(chooseTier("general_qa", 7.5, routing, casual, undefined).target).toBe("fast")
    expect(chooseTier("general_qa", 8.5, routing, casual, undefined).target).toBe("quality")
  })

  it("the preferred tier stays inside the task's bounds", () => {
    const casual = persona({ preferredTier: "fast" })
    expect(chooseTier("code_generation", 5, routing, casual, undefined).target).toBe("balanced")
  })

  it("task overrides go to a tier or name a model", () => {
    const p = persona({
      taskOverrides: { creative: { tier: "quality" }, code_generation: { model: "codellama:34b" } },
    })
    expect(chooseTier("creative", 1, routing, p, undefined)).toMatchObject({
      target: "quality",
      source: "persona",
    })
    expect(chooseTier("code_generation", 1, routing, p, undefined).personaModel).toBe("codellama:34b")
  })

  it("the first matching rule wins and can adjust up or down", () => {
    const p = persona({
      preferredTier: "quality",
      rules: [
        { when: { complexityBelow: 3 }, action: { adjust: "down" } },
        { when: { tasks: ["creative"] }, action: { tier: "fast" } },
      ],
    })
    expect(chooseTier("general_qa", 4, routing, p, undefined).target).toBe("quality")
    expect(chooseTier("summarisation", 4, routing, p, undefined).target).toBe("quality")
    expect(chooseTier("creative", 4, routing, p, undefined).target).toBe("fast")
    expect(chooseTier("reasoning", 2, routing, p, undefined).target).toBe("fast")
  })
})
