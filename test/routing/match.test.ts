import { describe, expect, it } from "vitest"
import { GB } from "../../src/domain/model-profile.js"
import { type MatchRequirements, match, relaxationOrder } from "../../src/routing/match.js"
import { bundledConfig } from "../support/router-env.js"

const models = bundledConfig().models
const only = (...names: string[]) => models.filter((m) => names.includes(m.name))
const req = (r: Partial<MatchRequirements>): MatchRequirements => ({
  task: "general_qa",
  target: "fast",
  needs: [],
  minContextWindow: 0,
  preferredContextWindow: 0,
  preferSpecialised: false,
  specialisedModels: [],
  ...r,
})

describe("routing/match", () => {
  it("prefers the model specialised for the task", () => {
    const m = match(models, req({ task: "code_generation", target: "balanced", preferSpecialised: true }))
    expect(m.chosen?.name).toBe("qwen2.5-coder:32b")
    expect(m.taskSpecialised).toBe(true)
  })

  it("excludes models over the memory budget and says why", () => {
    const m = match(models, req({ task: "reasoning", target: "quality", budgetBytes: 24 * GB }))
    expect(m.served).toBe("balanced")
    expect(m.chosen?.memoryGb).toBeLessThanOrEqual(24)
    expect(m.notes.find((n) => n.model === "llama3.3:70b")?.note).toBe("needs 45 GB, budget 24.0 GB")
  })

  it("enforces hard capability needs", () => {
    const m = match(models, req({ needs: ["vision"] }))
    expect(m.chosen?.name).toBe("llama3.2-vision:11b")
    expect(match(only("mistral:7b"), req({ needs: ["vision"] })).chosen).toBeUndefined()
  })

  it("enforces a hard context window and relaxes a preferred one", () => {
    expect(match(models, req({ minContextWindow: 100_000 })).chosen?.contextWindow).toBeGreaterThanOrEqual(
      100_000,
    )
    const m = match(only("mistral:7b"), req({ preferredContextWindow: 64_000 }))
    expect(m.chosen?.name).toBe("mistral:7b")
    expect(m.contextRelaxed).toBe(true)
  })

  it("relaxes to neighbouring tiers: inside task bounds first, nearer first, downwards first", () => {
    expect(relaxationOrder("quality")).toEqual(["quality", "balanced", "fast"])
    expect(relaxationOrder("balanced")).toEqual(["balanced", "fast", "quality"])
    expect(relaxationOrder("balanced", "balanced")).toEqual(["balanced", "quality", "fast"])
    expect(relaxationOrder("fast", undefined, "fast")).toEqual(["fast", "balanced", "quality"])
    const m = match(only("llama3.1:8b"), req({ target: "quality" }))
    expect(m).toMatchObject({ served: "fast" })
  })

  it("puts a persona's specialised models first within the tier", () => {
    const m = match(
      models,
      req({ task: "code_generation", target: "balanced", specialisedModels: ["codellama:34b"] }),
    )
    expect(m.chosen?.name).toBe("codellama:34b")
    expect(m.personaSpecialised).toBe(true)
  })

  it("explains every model", () => {
    const m = match(models, req({ task: "general_qa", target: "fast", budgetBytes: 5.5 * GB }))
    expect(m.notes).toHaveLength(models.length)
    expect(m.notes.filter((n) => n.model === m.chosen?.name)[0]?.note).toBe("chosen")
  })
})
