/**
 * The profile a load run's simulated host gets: the scenario's load-cost scale multiplies the
 * profile's own, so one scenario can sweep load cost (0.5×, 1×, 2×) on every transport.
 */
import { rmSync } from "node:fs"
import { dirname } from "node:path"
import { describe, expect, it } from "vitest"
import { profileFile } from "../../loadtest/run-local.js"
import { loadScenario } from "../../loadtest/scenario.js"
import { loadProfile } from "../../src/backends/sim/profile.js"
import { resolveProfilePath } from "../../src/backends/sim/profile-path.js"

const scenario = loadScenario("loadtest/scenarios/contention-24gb.yaml")

describe("loadtest: the run's profile", () => {
  it("applies the scenario's loadCostScale to the profile's", () => {
    const own = loadProfile(resolveProfilePath(scenario.profilePath)).loadCostScale
    expect(scenario.loadCostScale).toBe(1)
    for (const scale of [0.5, 1, 2]) {
      const file = profileFile({ ...scenario, loadCostScale: scale }, {})
      try {
        expect(loadProfile(file).loadCostScale).toBe(own * scale)
      } finally {
        rmSync(dirname(file), { recursive: true, force: true })
      }
    }
  })
})
