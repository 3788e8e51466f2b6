import { describe, expect, it } from "vitest"
import type { ChainConfig } from "../../src/config/schema.js"
import { fallbackChain } from "../../src/routing/fallback.js"
import type { MatchRequirements } from "../../src/routing/match.js"
import { bundledConfig } from "../support/router-env.js"

const models = bundledConfig().models
const byName = (n: string) => {
  const m = models.find((x) => x.name === n)
  if (m === undefined) throw new Error(n)
  return m
}
const req = (task: MatchRequirements["task"]): MatchRequirements => ({
  task,
  target: byName("llama3.3:70b").tier,
  needs: [],
  minContextWindow: 0,
  preferredContextWindow: 0,
  preferSpecialised: false,
  specialisedModels: [],
})
const config: ChainConfig = { enabled: true, maxLength: 3, strategy: "graceful_degradation" }

describe("routing/fallback", () => {
  it("falls back from llama3.3:70b for reasoning only to smaller models, degrading by tier", () => {
    const chain = fallbackChain(byName("llama3.3:70b"), models, req("reasoning"), config)
    expect(chain).toHaveLength(3)
    for (const m of chain) expect(byName(m).sizeB).toBeLessThan(70)
    expect(chain.map((m) => byName(m).tier)).toEqual(["balanced", "balanced", "fast"])
  })

  it("keeps a specialisation one tier down", () => {
    const chain = fallbackChain(byName("qwen2.5-coder:32b"), models, req("code_generation"), config)
    expect(chain).toContain("deepseek-coder:6.7b")
    expect(chain).not.toContain("qwen2.5-coder:32b")
  })

  it("best_effort lets same-tier peers of any size come first", () => {
    const chain = fallbackChain(byName("llama3.3:70b"), models, req("reasoning"), {
      ...config,
      strategy: "best_effort",
    })
    expect(chain.slice(0, 2).map((m) => byName(m).tier)).toEqual(["quality", "quality"])
  })

  it("honours maxLength and the enabled switch", () => {
    expect(
      fallbackChain(byName("llama3.3:70b"), models, req("reasoning"), { ...config, maxLength: 1 }),
    ).toHaveLength(1)
    expect(
      fallbackChain(byName("llama3.3:70b"), models, req("reasoning"), { ...config, enabled: false }),
    ).toEqual([])
  })

  it("never offers an unrelated model (no code model as a fallback for general chat)", () => {
    const chain = fallbackChain(byName("llama3.1:8b"), models, req("general_qa"), config)
    expect(chain).not.toContain("deepseek-coder:6.7b")
    expect(chain.length).toBeGreaterThan(0)
  })
})
