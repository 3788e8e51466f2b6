/**
 * The learning scenario's scoring on small hand-made traces: regret against the per-request
 * oracle among the same candidates, random choice's expected regret, regret per task, and drift
 * recovery (how many requests of the task until the degraded model's share of a window fell).
 */
import { describe, expect, it } from "vitest"
import {
  oracleOf,
  type Quality,
  type RoutedRequest,
  randomRegretOf,
  recoveryOf,
  regretByTask,
  regretOf,
} from "../../../loadtest/learning/regret.js"

// Two models; "big" is better at code, "small" at summaries; from request 4 on "big" is bad at code.
const quality: Quality = (model, task, index) => {
  if (task === "code_generation") return model === "big" ? (index >= 4 ? 0.2 : 0.9) : 0.6
  return model === "big" ? 0.7 : 0.8
}
const both = ["big", "small"]
const r = (index: number, task: RoutedRequest["task"], model: string, candidates = both): RoutedRequest => ({
  index,
  task,
  model,
  candidates,
})

describe("regret", () => {
  it("the oracle is the best candidate under the truth at that request", () => {
    expect(oracleOf(r(0, "code_generation", "small"), quality)).toBe(0.9)
    expect(oracleOf(r(5, "code_generation", "big"), quality)).toBe(0.6)
    expect(oracleOf(r(0, "summarisation", "big"), quality)).toBe(0.8)
    // A chosen model outside the candidates still counts for the oracle (it was possible).
    expect(oracleOf(r(0, "summarisation", "big", ["big"]), quality)).toBe(0.7)
  })

  it("sums oracle minus chosen over the trace", () => {
    const trace = [
      r(0, "code_generation", "big"), // 0
      r(1, "code_generation", "small"), // 0.3
      r(2, "summarisation", "big"), // 0.1
      r(4, "code_generation", "big"), // 0.6 − 0.2 = 0.4
      r(5, "code_generation", "small"), // 0
    ]
    expect(regretOf(trace, quality)).toBeCloseTo(0.8, 10)
    expect(regretOf([], quality)).toBe(0)
  })

  it("random's regret is the oracle minus the candidates' mean, whatever was chosen", () => {
    const trace = [
      r(0, "code_generation", "big"),
      r(4, "code_generation", "big"),
      r(2, "summarisation", "small"),
    ]
    // 0.9 − 0.75, 0.6 − 0.4, 0.8 − 0.75
    expect(randomRegretOf(trace, quality)).toBeCloseTo(0.15 + 0.2 + 0.05, 10)
    // One candidate: random is the oracle.
    expect(randomRegretOf([r(0, "code_generation", "big", ["big"])], quality)).toBe(0)
  })

  it("splits regret per task type", () => {
    const trace = [
      r(1, "code_generation", "small"),
      r(2, "summarisation", "big"),
      r(3, "summarisation", "small"),
    ]
    const byTask = regretByTask(trace, quality)
    expect(byTask.code_generation?.requests).toBe(1)
    expect(byTask.code_generation?.regret).toBeCloseTo(0.3, 10)
    expect(byTask.summarisation?.requests).toBe(2)
    expect(byTask.summarisation?.regret).toBeCloseTo(0.1, 10)
  })
})

describe("drift recovery", () => {
  const drift = { task: "code_generation" as const, model: "big", atRequest: 10 }
  /** Requests of the drift task from `from` on, the given models in order, summaries between them. */
  const trace = (before: string[], after: string[]): RoutedRequest[] => {
    const out: RoutedRequest[] = []
    let i = 0
    for (const m of before) {
      out.push(r(i++, "code_generation", m))
      out.push(r(i++, "summarisation", "small"))
    }
    i = Math.max(i, drift.atRequest)
    for (const m of after) {
      out.push(r(i++, "summarisation", "big"))
      out.push(r(i++, "code_generation", m))
    }
    return out
  }

  it("counts requests of the task until the window's share on the degraded model is low enough", () => {
    // Window 4, share 0.75: at most 1 of the last 4 on "big".
    const t = trace(["big", "big", "big"], ["big", "big", "small", "small", "small", "big", "small"])
    const rec = recoveryOf(t, drift, 4, 0.75)
    // After 5 requests: big, small, small, small in the window → 1 of 4.
    expect(rec.recoveredAfter).toBe(5)
    expect(rec.shareBefore).toBe(1)
    expect(rec.shareAtEnd).toBe(0.25)
    expect(rec.requestsAfter).toBe(7)
  })

  it("needs a full window: a model never used is left after one window", () => {
    const rec = recoveryOf(trace(["small", "small"], ["small", "small", "small", "small"]), drift, 4, 0.75)
    expect(rec.recoveredAfter).toBe(4)
    expect(rec.shareBefore).toBe(0)
  })

  it("is null when routing never leaves the model, or too few requests came", () => {
    expect(
      recoveryOf(trace(["big"], ["big", "small", "big", "big", "small"]), drift, 4, 0.75).recoveredAfter,
    ).toBeNull()
    expect(recoveryOf(trace(["big"], ["small", "small"]), drift, 4, 0.75).recoveredAfter).toBeNull()
  })

  it("ignores other tasks and orders by arrival", () => {
    const t = trace([], ["small", "small", "small", "small"]).reverse()
    t.push(r(100, "summarisation", "big"))
    expect(recoveryOf(t, drift, 4, 1).recoveredAfter).toBe(4)
  })

  it("takes the share threshold exactly (80% of 50 is 10 on the model)", () => {
    const after = [...Array(10).fill("big"), ...Array(40).fill("small")]
    expect(recoveryOf(trace([], after), drift, 50, 0.8).recoveredAfter).toBe(50)
    expect(recoveryOf(trace([], ["big", ...after]), drift, 50, 0.8).recoveredAfter).toBe(51)
  })
})
