/**
 * The learning report from two hand-made runs: the static run is scored with the learned run's
 * candidates for the same request, random's regret with the same oracle, ratios and the targets.
 */
import { describe, expect, it } from "vitest"
import { learningChecks, learningReport } from "../../../loadtest/learning/report.js"

const quality = (model: string) => ({ good: 0.9, ok: 0.7, bad: 0.1 })[model] ?? 0
const C = ["good", "ok", "bad"]

describe("learning report", () => {
  it("scores both runs against one oracle and checks the targets", () => {
    const report = learningReport({
      truth: {
        name: "t",
        file: "t.yaml",
        drift: { task: "general_qa", model: "ok", atRequest: 2, quality: 0.1 },
      },
      quality: (m) => quality(m),
      learned: [
        { index: 0, task: "general_qa", model: "ok", candidates: C },
        { index: 1, task: "general_qa", model: "good", candidates: C },
        { index: 2, task: "general_qa", model: "good", candidates: C },
      ],
      // Index 3 was not routed by the learned run: left out.
      static: [
        { index: 0, task: "general_qa", model: "ok" },
        { index: 1, task: "general_qa", model: "ok" },
        { index: 2, task: "general_qa", model: "ok" },
        { index: 3, task: "general_qa", model: "bad" },
      ],
      feedback: 3,
      misclassified: 0,
      recoveryWindow: 1,
      recoveryShare: 1,
    })
    expect(report.requests).toBe(3)
    // Random: 0.9 − (0.9 + 0.7 + 0.1) / 3 per request.
    expect(report.regret).toEqual({ learned: 0.2, static: 0.6, random: 1 })
    expect(report.ratios).toEqual({ learnedToStatic: 0.333, learnedToRandom: 0.2 })
    expect(report.perTask.general_qa).toEqual({ requests: 3, learned: 0.2, static: 0.6, random: 1 })
    expect(report.drift?.recoveredAfter).toBe(1)
    expect(learningChecks(report).map((c) => c.ok)).toEqual([true, true, true])
    const { drift: _drift, ...noDrift } = report
    const worse = { ...noDrift, regret: { ...report.regret, learned: 0.4 } }
    expect(learningChecks(worse).map((c) => c.ok)).toEqual([false, false])
  })
})
