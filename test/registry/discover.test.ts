import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { makeSimBackend } from "../../src/backends/sim/adapter.js"
import { loadProfile, ManualClock, resolveProfilePath, SimEngine } from "../../src/backends/sim/index.js"
import { discover } from "../../src/registry/discover.js"
import { ModelRegistry } from "../../src/registry/registry.js"
import { bundledConfig } from "../support/router-env.js"

describe("registry/discover", () => {
  it("adds inferred profiles for the backend's unknown models and reports registry models it lacks", async () => {
    const engine = new SimEngine(loadProfile(resolveProfilePath("tiny-ci")), { clock: new ManualClock() })
    const known = bundledConfig().models.filter((m) => m.name !== "qwen2-math:7b")
    const d = await Effect.runPromise(discover(makeSimBackend(engine), new ModelRegistry(known)))
    expect(d.registry.get("qwen2-math:7b")).toMatchObject({ source: "inferred", tier: "fast" })
    expect(d.registry.get("qwen2-math:7b")?.capabilities).toContain("mathematics")
    expect(d.registry.get("mistral:7b")?.source).toBe("registry")
    expect(d.details.get("llama3.1:8b")).toMatchObject({ layers: 32, kvHeads: 8 })
    expect(d.missing).toContain("llama3.3:70b")
    expect(d.missing).not.toContain("mistral:7b")
  })
})
