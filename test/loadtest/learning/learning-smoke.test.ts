/**
 * A short learning scenario on virtual time: learned routing and the static rules on the same
 * 300 requests, answers rated through handle.feedback from a ground truth with a drift at request
 * 150. Correctness and determinism only — the same report twice, nothing lost, every answer of
 * the learned run rated, random choice worse than learning — never the targets (those need the
 * full run: `npm run loadtest -- --scenario loadtest/scenarios/learning.yaml`).
 */
import { describe, expect, it } from "vitest"
import { loadGroundTruth } from "../../../loadtest/learning/ground-truth.js"
import { runLearning } from "../../../loadtest/learning/run-learning.js"
import { loadScenario } from "../../../loadtest/scenario.js"

const FILE = "loadtest/profiles/learning-80gb.truth-a.yaml"

describe("loadtest: learning scenario smoke (virtual time)", () => {
  it("scores learned routing, the rules and random on one trace, deterministically", async () => {
    const scenario = { ...loadScenario("loadtest/scenarios/learning.yaml"), requests: 300 }
    const base = loadGroundTruth(FILE)
    const drift = { ...(base.drift as NonNullable<typeof base.drift>), atRequest: 150 }
    const truth = { ...base, drift, file: FILE }
    const run = () => runLearning(scenario, { durationSec: scenario.duration, truth })
    const first = await run()
    const second = await run()
    expect(second.learning).toEqual(first.learning)

    const { learned, static: rules } = first.policies
    for (const r of [learned, rules]) {
      expect(r.requests).toBe(300)
      expect(r.lost).toBe(0)
      expect(r.duplicateTerminals).toBe(0)
      expect(r.completed + r.failed + r.cancelled + r.rejected).toBe(300)
    }
    const l = first.learning
    expect(l.requests).toBe(300)
    // Every answer of the learned run was rated through Conductor's feedback path.
    expect(l.feedback).toBe(learned.completed)
    expect(l.regret.learned).toBeGreaterThanOrEqual(0)
    expect(l.regret.static).toBeGreaterThan(0)
    expect(l.regret.random).toBeGreaterThan(l.regret.learned)
    expect(l.drift?.atRequest).toBe(150)
    expect(l.drift?.requestsAfter).toBeGreaterThan(0)
    expect(Object.values(l.perTask).reduce((n, t) => n + t.requests, 0)).toBe(300)
    expect(first.slo.map((s) => s.slo)).toHaveLength(3)
  }, 120_000)
})
