import { Result } from "effect"
import { describe, expect, it } from "vitest"
import type { RoutingDecision } from "../../src/domain/decision.js"
import type { Attempt, ConductorEvent } from "../../src/domain/events.js"
import { makeEventBus } from "../../src/events/bus.js"
import { TenantBudgets } from "../../src/learning/budget.js"
import { isUnknownRequest } from "../../src/learning/feedback.js"
import { Learner } from "../../src/learning/learner.js"
import { Recorder } from "../../src/learning/recorder.js"
import type { AnsweredRow, FeedbackUpdate, OutcomeRow } from "../../src/learning/store.js"
import { route } from "../../src/routing/router.js"
import { routerEnv } from "../support/router-env.js"
import { T0 } from "./rows.js"

const decision = (): RoutingDecision => {
  const r = route({ query: "What is the capital of France?" }, routerEnv())
  if (Result.isFailure(r)) throw r.failure
  return r.success
}

/** A recorder on a bus whose clock the test sets, with a spy sink and a timer the test fires. */
const setup = (answered: Record<string, AnsweredRow> = {}) => {
  let now = 0
  const bus = makeEventBus(() => now)
  const writes: Array<{ rows: ReadonlyArray<OutcomeRow>; feedback: ReadonlyArray<FeedbackUpdate> }> = []
  let tick: (() => void) | undefined
  const learner = new Learner({
    halfLifeMs: 86_400_000,
    exploration: 0.1,
    priorWeight: 5,
    costWeight: 0.005,
    latencyWeight: 0.001,
    qualityMargin: 0.05,
  })
  const budgets = new TenantBudgets({ tenants: { acme: 100 } })
  const flushes: Array<{ written: number; models: string[] }> = []
  const recorder = new Recorder({
    subscribe: (l) => bus.subscribe(l, ["requests"]),
    epochOf: (at) => T0 + at,
    now: () => T0 + now,
    share: (m) => (m === "big" ? 0.5 : 0.25),
    tierOf: () => "fast",
    sink: {
      write: (rows, feedback) => {
        writes.push({ rows: [...rows], feedback: [...feedback] })
        return new Map(rows.map((r, i) => [r.requestId, 100 + i]))
      },
      prune: () => 0,
      answered: (id) => answered[id],
    },
    learner,
    budgets,
    retentionMs: 30 * 86_400_000,
    flushMs: 1000,
    every: (_ms, fn) => {
      tick = fn
      return () => {
        tick = undefined
      }
    },
    flushed: (written, preferences) =>
      void flushes.push({ written, models: preferences.map((p) => p.model) }),
  })
  const at = (ms: number) => {
    now = ms
  }
  const publish = (e: ConductorEvent) => bus.publish(e)
  /** One request: routed at `start`, then each attempt as [model, outcome, reason?]. */
  const request = (
    id: string,
    start: number,
    attempts: ReadonlyArray<readonly [string, Attempt["outcome"], Attempt["reason"]?]>,
    tenant?: string,
  ) => {
    const d = decision()
    recorder.expect(id, { tenant, band: "low", rulesModel: d.model, learnedModel: d.model, explored: false })
    at(start)
    publish({ type: "routed", id, decision: d })
    let t = start
    const step = (ms: number) => {
      t += ms
      at(t)
    }
    attempts.forEach(([model, outcome, reason], i) => {
      if (i > 0)
        publish({
          type: "fallback",
          id,
          from: attempts[i - 1]?.[0] as string,
          to: model,
          reason: reason ?? "Timeout",
        })
      step(100)
      publish({ type: "queued", id, model, position: 0, estimatedWaitMs: 0 })
      step(400)
      publish({ type: "loaded", id, model, loadMs: 300 })
      publish({ type: "started", id, model, attempt: i + 1 })
      step(200)
      publish({ type: "token", id, text: "Paris is " })
      step(300)
      publish({ type: "token", id, text: "the capital." })
      if (outcome === "completed") publish({ type: "validated", id, model, ok: true, failures: [] })
      step(100)
    })
    const list: Attempt[] = attempts.map(([model, outcome, reason]) => ({
      model,
      outcome,
      ...(reason !== undefined ? { reason, message: "x" } : {}),
    }))
    const last = attempts.at(-1)
    if (last?.[1] === "completed") {
      publish({
        type: "completed",
        id,
        model: last[0],
        tier: "fast",
        taskType: "general_qa",
        text: "Paris is the capital.",
        reason: "complexity_tier",
        finishReason: "stop",
        usage: { promptTokens: 9, evalTokens: 6 },
        timings: {
          queueMs: 100,
          loadMs: 300,
          firstTokenMs: 700,
          totalMs: t - start,
          backendMs: 500,
          promptEvalMs: 0,
          evalMs: 500,
        },
        attempts: list,
        warnings: [],
        labels: [],
      })
    } else if (last?.[1] === "cancelled") publish({ type: "cancelled", id, attempts: list })
    else publish({ type: "failed", id, reason: "Timeout", message: "x", attempts: list })
  }
  return { recorder, writes, flush: () => tick?.(), request, learner, budgets, flushes, at }
}

describe("outcome recorder", () => {
  it("queues rows while requests run and writes them only when the timer flushes, in one batch", () => {
    const r = setup()
    for (let i = 0; i < 50; i++) r.request(`q${i}`, i * 10_000, [["small", "completed"]])
    expect(r.writes).toEqual([])
    expect(r.recorder.pending).toBe(50)
    // Nothing was learned before the flush either.
    expect(r.learner.preferences(T0 + 600_000)).toEqual([])
    r.flush()
    expect(r.writes).toHaveLength(1)
    expect(r.writes[0]?.rows).toHaveLength(50)
    expect(r.recorder.pending).toBe(0)
    expect(r.learner.preferences(T0 + 600_000)).toMatchObject([
      { model: "small", evidence: expect.any(Number) },
    ])
    expect(r.flushes).toEqual([{ written: 50, models: ["small"] }])
    r.flush()
    expect(r.writes).toHaveLength(1)
    // Feedback after the flush finds its row by the rowid the store gave it.
    r.recorder.feedback("q3", 0.5)
    r.flush()
    expect(r.writes[1]?.feedback).toEqual([
      { requestId: "q3", score: 0.5, at: expect.any(Number), rowId: 103 },
    ])
  })

  it("makes one row per attempt with its timings, outcome, quality and GPU-seconds", () => {
    const r = setup()
    r.request(
      "f1",
      1000,
      [
        ["big", "failed", "Timeout"],
        ["small", "completed"],
      ],
      "acme",
    )
    r.flush()
    const [first, second] = r.writes[0]?.rows ?? []
    expect(first).toMatchObject({
      requestId: "f1",
      attempt: 1,
      tenant: "acme",
      model: "big",
      outcome: "failed",
      reason: "Timeout",
      quality: 0,
      at: T0 + 2100,
      totalMs: 1100,
      queueMs: 200,
      loadMs: 300,
      ttftMs: 700,
      slotMs: 600,
      evalTokens: 5,
      validation: undefined,
      feedback: undefined,
      band: "low",
      task: "general_qa",
    })
    expect(first?.gpuSeconds).toBeCloseTo(0.6 * 0.5, 9)
    expect(second).toMatchObject({
      attempt: 2,
      model: "small",
      outcome: "completed",
      quality: 1,
      validation: "passed",
      promptTokens: 9,
      evalTokens: 6,
      at: T0 + 3200,
      slotMs: 600,
    })
    expect(second?.gpuSeconds).toBeCloseTo(0.6 * 0.25, 9)
    // The tenant's spend counts both attempts.
    expect(r.budgets.spentBy("acme", T0 + 4000)).toBeCloseTo(0.45, 9)
  })

  it("learns nothing about the model from cancellations and failures that are not its own", () => {
    const r = setup()
    r.request("c1", 0, [["small", "cancelled"]])
    r.request("u1", 10_000, [["small", "failed", "Unavailable"]])
    r.flush()
    expect(r.writes[0]?.rows.map((x) => [x.outcome, x.quality])).toEqual([
      ["cancelled", undefined],
      ["failed", undefined],
    ])
    expect(r.learner.preferences(T0 + 20_000)).toEqual([])
  })

  it("takes feedback: kept for a running request's end, queued for an answered one, refused for an unknown one", () => {
    const r = setup({
      old: {
        task: "general_qa",
        band: "low",
        model: "small",
        at: T0 - 1000,
        quality: 1,
        feedback: undefined,
      },
    })
    r.request("done", 0, [["small", "completed"]])
    expect(r.recorder.feedback("done", 0.3)).toBe("queued")
    expect(r.recorder.feedback("old", 0.9)).toBe("queued")
    let error: unknown
    try {
      r.recorder.feedback("never", 0.5)
    } catch (e) {
      error = e
    }
    expect(isUnknownRequest(error as never)).toBe(true)
    expect(r.writes).toEqual([])
    r.flush()
    expect(r.writes[0]?.feedback.map((f) => [f.requestId, f.score])).toEqual([
      ["done", 0.3],
      ["old", 0.9],
    ])
    // The learner counts the answered request at 0.3 (its row's quality 1, corrected), and the old one's correction.
    const [p] = r.learner.preferences(T0 + 2000)
    expect(p?.quality).toBeCloseTo((5 * 0.7 + 0.3 + (0.9 - 1) * 2 ** (-3000 / 86_400_000)) / (5 + 1), 3)
  })
})
