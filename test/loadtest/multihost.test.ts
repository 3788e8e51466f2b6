/**
 * Several hosts in the load test: the N-host ceiling (N × one host's covering LP, capped by the
 * N-host bound), and a short two-host run on virtual time for both policies — correctness only:
 * nothing lost, neither host over-committed, per-host figures add up. Speed is the benchmark's.
 */
import { describe, expect, it } from "vitest"
import { type HostFigures, hostFigures, multihostCeiling } from "../../loadtest/multihost.js"
import type { PolicyResult } from "../../loadtest/recorder.js"
import { runDirectHosts } from "../../loadtest/run-direct-hosts.js"
import { onVirtualTime, runLocal } from "../../loadtest/run-local.js"
import { loadScenario } from "../../loadtest/scenario.js"

const scenario = loadScenario("loadtest/scenarios/multihost-2x24gb.yaml")

describe("loadtest: several hosts", () => {
  it("the two-host ceiling is twice one host's LP, capped by the two-host bound", () => {
    const host = {
      budgetBytes: 24e9,
      maxLoaded: 3,
      models: { big: { bytes: 22e9, slots: 1 }, small: { bytes: 10e9, slots: 1 } },
    }
    const perModel = (completed: number, serviceMs: number) =>
      ({ completed, serviceMs, tokens: 0, promptTokens: 0 }) as unknown as PolicyResult["perModel"][string]
    const bound = {
      completed: 100,
      throughputRps: 10,
      perModel: { big: perModel(50, 1000), small: perModel(50, 1000) },
    } as unknown as PolicyResult
    // One host: the two cannot share it, each needs 0.5 s per request of the trace → 1 req/s.
    const two = multihostCeiling(2, host, bound, {})
    expect(two?.throughputRps).toBe(2)
    const capped = multihostCeiling(2, host, { ...bound, throughputRps: 1.5 } as PolicyResult, {})
    expect(capped?.throughputRps).toBe(1.5)
    expect(capped?.method).toContain("capped by the 2-host unlimited-VRAM bound")
  })

  for (const policy of ["ollama", "swap-aware"] as const) {
    it(`${policy} on two hosts: nothing lost, neither host over-committed`, async () => {
      let figures: HostFigures[] = []
      const onHosts = (names: ReadonlyArray<string>, states: Parameters<typeof hostFigures>[1]) => {
        figures = hostFigures(names, states)
      }
      const r = await onVirtualTime((clock) =>
        policy === "ollama"
          ? runDirectHosts(scenario, { policy, durationSec: 120, clock, onHosts })
          : runLocal(scenario, { policy, durationSec: 120, clock, onHosts }),
      )
      expect(r.lost).toBe(0)
      expect(r.duplicateTerminals).toBe(0)
      expect(r.overcommits).toBe(0)
      expect(r.completed + r.failed + r.cancelled + r.rejected).toBe(r.requests)
      expect(figures.map((f) => f.host)).toEqual(["sim-1", "sim-2"])
      expect(figures.every((f) => f.overcommits === 0 && f.completed > 0)).toBe(true)
      expect(figures.reduce((s, f) => s + f.completed, 0)).toBeGreaterThanOrEqual(r.completed)
      // One host's facts for the ceiling (the hosts are identical).
      expect(r.host?.budgetBytes).toBeLessThan(26e9)
    })
  }
})
