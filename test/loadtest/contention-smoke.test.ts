/**
 * A short contention run on virtual time, for both policies: correctness only — every accepted
 * request ends exactly once, the simulator never holds more than its VRAM. Speed is the
 * benchmark's business (`npm run loadtest`), never asserted here.
 */
import { describe, expect, it } from "vitest"
import { runDirect } from "../../loadtest/run-direct.js"
import { onVirtualTime, runLocal } from "../../loadtest/run-local.js"
import { loadScenario } from "../../loadtest/scenario.js"

const scenario = loadScenario("loadtest/scenarios/contention-24gb.yaml")

// `ollama` is the baseline: the clients drive the simulated Ollama directly, no Conductor between.
const runVirtual = (policy: "ollama" | "swap-aware", durationSec: number) =>
  onVirtualTime((clock) =>
    policy === "ollama"
      ? runDirect(scenario, { policy, durationSec, clock })
      : runLocal(scenario, { policy, durationSec, clock }),
  )

describe("loadtest: contention smoke (virtual time)", () => {
  for (const policy of ["ollama", "swap-aware"] as const) {
    it(`${policy}: nothing lost, never over-committed, every request accounted for`, async () => {
      const r = await runVirtual(policy, 90)
      expect(r.lost).toBe(0)
      expect(r.duplicateTerminals).toBe(0)
      expect(r.overcommits).toBe(0)
      expect(r.requests).toBeGreaterThan(16)
      expect(r.completed + r.failed + r.cancelled + r.rejected).toBe(r.requests)
      // The three models could not all be resident: the run really contended for memory.
      expect(r.loads).toBeGreaterThan(3)
      expect(r.vramUtilization.peak).toBeLessThanOrEqual(1)
      expect(r.vramUtilization.avg).toBeLessThanOrEqual(r.vramUtilization.peak)
    })
  }
})
