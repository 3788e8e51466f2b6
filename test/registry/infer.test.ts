import { describe, expect, it } from "vitest"
import { inferProfile, tierForSize } from "../../src/registry/infer.js"
import { ModelRegistry } from "../../src/registry/registry.js"
import { bundledConfig } from "../support/router-env.js"

describe("registry/infer", () => {
  it("maps size to tier like the reference (fast < 13B ≤ balanced < 50B ≤ quality)", () => {
    expect(tierForSize(7)).toBe("fast")
    expect(tierForSize(13)).toBe("balanced")
    expect(tierForSize(34)).toBe("balanced")
    expect(tierForSize(70)).toBe("quality")
  })

  it("infers a plausible profile for an unknown general model", () => {
    const p = inferProfile({
      name: "llama3.1:8b",
      parameterSize: "8.0B",
      quantisation: "Q4_K_M",
      contextLength: 131072,
      ollamaCapabilities: ["completion", "tools"],
    })
    expect(p).toMatchObject({ tier: "fast", source: "inferred", numCtx: 8192, contextWindow: 131072 })
    expect(p.capabilities).toEqual(expect.arrayContaining(["general", "tools", "long_context"]))
    // Q4_K_M 8B ≈ 4.9 GB of weights + 1 GB KV + overhead
    expect(p.memoryGb).toBeGreaterThan(5.5)
    expect(p.memoryGb).toBeLessThan(8)
  })

  it("recognises coder, math, reasoning and vision models and sizes quantisations", () => {
    expect(inferProfile({ name: "starcoder2:15b", parameterSize: "16B" }).capabilities).toContain("code")
    expect(inferProfile({ name: "mathstral:7b", parameterSize: "7B" }).capabilities).toContain("mathematics")
    expect(inferProfile({ name: "qwq:32b", parameterSize: "32.8B" }).capabilities).toContain(
      "chain_of_thought",
    )
    expect(inferProfile({ name: "llava:13b", parameterSize: "13B" }).capabilities).toContain("vision")
    const q8 = inferProfile({ name: "x:7b", parameterSize: "7B", quantisation: "Q8_0" })
    const q4 = inferProfile({ name: "x:7b", parameterSize: "7B", quantisation: "Q4_0" })
    expect(q8.memoryGb).toBeGreaterThan(q4.memoryGb)
    expect(q8.tokensPerSec).toBeLessThan(q4.tokensPerSec)
  })

  it("adds inferred profiles to a registry without shadowing configured ones", () => {
    const reg = new ModelRegistry(bundledConfig().models)
    const inferred = inferProfile({ name: "mistral:7b", parameterSize: "7B" })
    const extra = inferProfile({ name: "phi3:mini", parameterSize: "3.8B" })
    const next = reg.withProfiles([inferred, extra])
    expect(next.get("mistral:7b")?.source).toBe("registry")
    expect(next.get("phi3:mini")?.source).toBe("inferred")
    expect(reg.has("phi3:mini")).toBe(false)
    expect(new ModelRegistry([extra]).get("phi3")).toBeUndefined()
    expect(new ModelRegistry([{ ...extra, name: "phi3:latest" }]).get("phi3")?.name).toBe("phi3:latest")
  })
})
