import { describe, expect, it } from "vitest"
import type { TaskType } from "../../src/domain/task.js"
import { type Candidate, Learner, type LearnerOptions } from "../../src/learning/learner.js"
import { type Random, sampleBeta, seededRandom } from "../../src/learning/random.js"

const HOUR = 3_600_000
const T0 = Date.UTC(2026, 0, 1)

const OPTIONS: LearnerOptions = {
  halfLifeMs: 2 * HOUR,
  exploration: 0.1,
  priorWeight: 5,
  costWeight: 0.005,
  latencyWeight: 0.001,
  qualityMargin: 0.05,
}

/** Three fit candidates; the rules pick `small`. */
const CANDIDATES: ReadonlyArray<Candidate> = [
  { model: "small", tier: "fast", share: 0.1, tokensPerSec: 80, waitMs: 0, loadMs: 0 },
  { model: "mid", tier: "fast", share: 0.15, tokensPerSec: 60, waitMs: 0, loadMs: 0 },
  { model: "big", tier: "balanced", share: 0.4, tokensPerSec: 25, waitMs: 0, loadMs: 0 },
]

/** Never below the exploration share: the learner takes its best mean. */
const GREEDY: Random = () => 0.999

type Truth = (model: string, step: number) => number

/** Drive choose → synthetic outcome → update, one decision every 30 s; returns the models chosen. */
const run = (
  learner: Learner,
  task: TaskType,
  truth: Truth,
  steps: number,
  rng: Random,
  world: Random,
  from = 0,
): Array<{ model: string; explored: boolean }> => {
  const out: Array<{ model: string; explored: boolean }> = []
  for (let s = from; s < from + steps; s++) {
    const now = T0 + s * 30_000
    const c = learner.choose({ task, band: "low", rules: "small", candidates: CANDIDATES, now }, rng)
    const p = CANDIDATES.find((x) => x.model === c.model) as Candidate
    const seconds = 256 / p.tokensPerSec
    learner.update(task, "low", c.model, now, {
      quality: world() < truth(c.model, s) ? 1 : 0,
      gpuSeconds: seconds * p.share,
      seconds,
      tokens: 256,
    })
    out.push({ model: c.model, explored: c.explored })
  }
  return out
}

const greedyPick = (learner: Learner, task: TaskType, step: number) =>
  learner.choose(
    { task, band: "low", rules: "small", candidates: CANDIDATES, now: T0 + step * 30_000 },
    GREEDY,
  ).model

describe("learner", () => {
  it("starts from the rules: with no evidence the rules' choice has the best mean", () => {
    const c = new Learner(OPTIONS).choose(
      { task: "general_qa", band: "low", rules: "small", candidates: CANDIDATES, now: T0 },
      GREEDY,
    )
    expect(c.model).toBe("small")
    expect(c.explored).toBe(false)
    expect(c.means.small).toBeGreaterThan(c.means.mid as number)
    expect(c.means.mid).toBeGreaterThan(c.means.big as number)
    expect(c.evidence).toEqual({ small: 0, mid: 0, big: 0 })
  })

  it("converges to the best model of each task from seeded synthetic rewards", () => {
    const learner = new Learner(OPTIONS)
    const quality: Record<string, Record<string, number>> = {
      code_generation: { small: 0.35, mid: 0.85, big: 0.75 },
      general_qa: { small: 0.9, mid: 0.6, big: 0.7 },
      summarisation: { small: 0.5, mid: 0.55, big: 0.95 },
    }
    for (const [task, q] of Object.entries(quality)) {
      const picks = run(
        learner,
        task as TaskType,
        (m) => q[m] as number,
        1500,
        seededRandom(7),
        seededRandom(8),
      )
      const best = Object.entries(q).sort((a, b) => b[1] - a[1])[0]?.[0]
      expect(greedyPick(learner, task as TaskType, 1500), task).toBe(best)
      // Past the learning phase, the exploited decisions serve the best model.
      const late = picks.slice(-500).filter((p) => !p.explored)
      const share = late.filter((p) => p.model === best).length / late.length
      expect(share, task).toBeGreaterThan(0.95)
    }
  })

  it("adapts after a drift — the best model's quality drops — and decay makes it adapt sooner", () => {
    const DRIFT = 3000
    const truth: Truth = (m, s) => (m === "small" ? (s < DRIFT ? 0.92 : 0.3) : m === "mid" ? 0.75 : 0.6)
    const switchedAt = (halfLifeMs: number): number => {
      const learner = new Learner({ ...OPTIONS, halfLifeMs })
      const rng = seededRandom(3)
      const world = seededRandom(4)
      run(learner, "general_qa", truth, DRIFT, rng, world)
      expect(greedyPick(learner, "general_qa", DRIFT)).toBe("small")
      for (let s = DRIFT; s < DRIFT + 5000; s += 10) {
        run(learner, "general_qa", truth, 10, rng, world, s)
        if (greedyPick(learner, "general_qa", s + 10) !== "small") return s + 10 - DRIFT
      }
      return Number.POSITIVE_INFINITY
    }
    const decayed = switchedAt(2 * HOUR)
    const frozen = switchedAt(1e15)
    // 2 h of half-life is 240 decisions here: it moves off the degraded model in about one; without
    // decay, the 3000 good outcomes from before the drift hold it there several times longer.
    expect(decayed).toBeLessThan(300)
    expect(frozen).toBeGreaterThan(5 * decayed)
  })

  it("explores at the configured rate", () => {
    for (const exploration of [0, 0.1, 0.3]) {
      const learner = new Learner({ ...OPTIONS, exploration })
      const picks = run(learner, "general_qa", () => 0.7, 10_000, seededRandom(5), seededRandom(6))
      const rate = picks.filter((p) => p.explored).length / picks.length
      // Binomial sd at 10,000 draws is at most 0.005.
      expect(Math.abs(rate - exploration)).toBeLessThan(0.015)
    }
  })

  it("prefers a resident model over an equally good cold one once evidence outweighs the prior", () => {
    const learner = new Learner({ ...OPTIONS, exploration: 0 })
    for (let i = 0; i < 60; i++) {
      for (const m of ["small", "mid"]) {
        learner.update("general_qa", "low", m, T0 + i * 1000, {
          quality: 0.8,
          gpuSeconds: 0.4,
          seconds: 3.5,
          tokens: 256,
        })
      }
    }
    const cold = CANDIDATES.slice(0, 2).map((c) =>
      c.model === "small" ? { ...c, waitMs: 25_000, loadMs: 20_000 } : c,
    )
    const input = { task: "general_qa" as const, band: "low" as const, rules: "small", now: T0 + 60_000 }
    expect(learner.choose({ ...input, candidates: CANDIDATES.slice(0, 2) }, GREEDY).model).toBe("small")
    expect(learner.choose({ ...input, candidates: cold }, GREEDY).model).toBe("mid")
  })

  it("under a binding cost limit serves the cheapest candidate within the quality margin", () => {
    const learner = new Learner({ ...OPTIONS, exploration: 0 })
    const q: Record<string, number> = { small: 0.7, mid: 0.88, big: 0.9 }
    for (let i = 0; i < 200; i++) {
      for (const c of CANDIDATES) {
        const seconds = 256 / c.tokensPerSec
        learner.update("reasoning", "mid", c.model, T0 + i * 1000, {
          quality: q[c.model] as number,
          gpuSeconds: seconds * c.share,
          seconds,
          tokens: 256,
        })
      }
    }
    const input = {
      task: "reasoning" as const,
      band: "mid" as const,
      rules: "big",
      candidates: CANDIDATES,
      now: T0 + 200_000,
    }
    const free = learner.choose(input, GREEDY)
    expect(free.model).toBe("big")
    expect(free.bound).toBe(false)
    // big costs ~4.1 GPU-s, mid ~0.64, small ~0.32: under 1 GPU-s, mid is within 0.05 of the best quality.
    const limited = learner.choose({ ...input, costLimit: 1 }, GREEDY)
    expect(limited).toMatchObject({ model: "mid", bound: true })
    // Under 0.5 GPU-s only small fits: the limit is kept, the margin given up.
    expect(learner.choose({ ...input, costLimit: 0.5 }, GREEDY).model).toBe("small")
    // Nothing fits: the cheapest of all.
    expect(learner.choose({ ...input, costLimit: 0.01 }, GREEDY)).toMatchObject({
      model: "small",
      bound: true,
    })
  })

  it("replaces an answer's quality exactly when feedback arrives later", () => {
    const a = new Learner(OPTIONS)
    const b = new Learner(OPTIONS)
    const obs = { gpuSeconds: 1, seconds: 2, tokens: 100 }
    a.update("creative", "mid", "m", T0, { ...obs, quality: 1 })
    a.update("creative", "mid", "m", T0 + HOUR, { ...obs, quality: 1 })
    a.correct("creative", "mid", "m", T0, 1, 0.25, T0 + 3 * HOUR)
    b.update("creative", "mid", "m", T0, { ...obs, quality: 0.25 })
    b.update("creative", "mid", "m", T0 + HOUR, { ...obs, quality: 1 })
    const [pa] = a.preferences(T0 + 3 * HOUR)
    const [pb] = b.preferences(T0 + 3 * HOUR)
    expect(pa?.quality).toBeCloseTo(pb?.quality as number, 10)
    expect(pa?.evidence).toBeCloseTo(2 ** -1.5 + 2 ** -1, 3)
  })

  it("evidence halves every half-life", () => {
    const l = new Learner(OPTIONS)
    l.update("general_qa", "low", "m", T0, { quality: 1, gpuSeconds: 0, seconds: 0, tokens: 0 })
    expect(l.preferences(T0 + 2 * HOUR)[0]?.evidence).toBeCloseTo(0.5, 3)
    expect(l.preferences(T0 + 6 * HOUR)[0]?.evidence).toBeCloseTo(0.125, 3)
  })

  it("moves an arm's prior towards the same model's evidence on the same task in the other bands", () => {
    const mean = (learner: Learner, task: TaskType, band: "low" | "mid", model: string) =>
      learner.choose({ task, band, rules: "small", candidates: CANDIDATES, now: T0 + HOUR }, GREEDY).means[
        model
      ] as number
    const cold = mean(new Learner(OPTIONS), "mathematical", "mid", "big")
    const outcome = (quality: number) => ({ quality, gpuSeconds: 1, seconds: 2, tokens: 50 })
    const good = new Learner(OPTIONS)
    const bad = new Learner(OPTIONS)
    for (let i = 0; i < 40; i++) {
      good.update("mathematical", "low", "big", T0 + i * 60_000, outcome(1))
      bad.update("mathematical", "low", "big", T0 + i * 60_000, outcome(0))
      // Another task says nothing about maths.
      bad.update("creative", "mid", "big", T0 + i * 60_000, outcome(1))
    }
    expect(mean(good, "mathematical", "mid", "big")).toBeGreaterThan(cold + 0.1)
    expect(mean(bad, "mathematical", "mid", "big")).toBeLessThan(cold - 0.1)
    // The other bands are a prior, worth at most the prior's weight: the arm's own evidence wins.
    for (let i = 0; i < 40; i++) good.update("mathematical", "mid", "big", T0 + i * 60_000, outcome(0))
    expect(mean(good, "mathematical", "mid", "big")).toBeLessThan(cold)
    // The band the evidence came from is not double-counted: its mean is its own evidence's.
    expect(mean(good, "mathematical", "low", "big")).toBeGreaterThan(mean(good, "mathematical", "mid", "big"))
  })
})

describe("random", () => {
  it("Beta draws have the distribution's mean and are reproducible", () => {
    const draw = (seed: number) => {
      const rng = seededRandom(seed)
      return Array.from({ length: 20_000 }, () => sampleBeta(2, 6, rng))
    }
    const xs = draw(9)
    expect(draw(9)).toEqual(xs)
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length
    expect(mean).toBeCloseTo(0.25, 2)
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...xs)).toBeLessThanOrEqual(1)
    const rng = seededRandom(3)
    const small = Array.from({ length: 20_000 }, () => sampleBeta(0.5, 0.5, rng))
    expect(small.every((x) => x >= 0 && x <= 1)).toBe(true)
    expect(small.reduce((a, b) => a + b, 0) / small.length).toBeCloseTo(0.5, 2)
  })
})
