/**
 * Routing decision time. Routes every golden-set query (with personas, retrieved documents and
 * a VRAM budget in the mix) many times and reports per-decision latency percentiles in µs, with
 * the routing classifier (as configured by default) and with the rules alone; the time to load
 * the classifier's weights; and the decision with the learner after it (`learning.mode: on`, the
 * default 10% exploration, a seeded RNG, evidence on every arm, half the models resident and the
 * rest cold), timed to the end of routing and to the end of the learner's step.
 * Target: p99 < 50 µs on a 2-core machine, with learning on; load ≤ 100 ms.
 * Run: `npm run bench -- routing`.
 */
import { Result } from "effect"
import { type Config, loadConfig } from "../../src/config/load.js"
import type { RoutingDecision, RoutingRequest } from "../../src/domain/decision.js"
import { GB, memoryBytes } from "../../src/domain/model-profile.js"
import { TASK_TYPES } from "../../src/domain/task.js"
import { advise } from "../../src/learning/advise.js"
import { BANDS, bandOf, Learner } from "../../src/learning/learner.js"
import { learnerOptionsOf } from "../../src/learning/learning.js"
import { seededRandom } from "../../src/learning/random.js"
import { ModelRegistry } from "../../src/registry/registry.js"
import { type RouterEnv, route } from "../../src/routing/router.js"
import { loadClassifier, shippedWeightsPath } from "../../src/routing/weights.js"
import { GOLDEN as FIRST } from "../../test/routing/golden-queries.js"
import { GOLDEN_B } from "../../test/routing/golden-queries-b.js"
import { summary } from "./stats.js"

const BUDGET = 48 * GB
const NOW = Date.UTC(2026, 0, 1)

const measure = (requests: ReadonlyArray<RoutingRequest>, env: RouterEnv, rounds: number) => {
  // Warm up the JIT before measuring.
  for (let i = 0; i < 20; i++) for (const r of requests) route(r, env)
  const samples: number[] = []
  let failures = 0
  const started = process.hrtime.bigint()
  for (let round = 0; round < rounds; round++) {
    for (const r of requests) {
      const t0 = process.hrtime.bigint()
      const d = route(r, env)
      const t1 = process.hrtime.bigint()
      samples.push(Number(t1 - t0) / 1000)
      if (Result.isFailure(d)) failures++
    }
  }
  const wallSec = Number(process.hrtime.bigint() - started) / 1e9
  return { s: summary(samples), failures, wallSec }
}

/**
 * The learner's step as Conductor runs it after warm preference, with seeded synthetic evidence
 * on every arm and half the models resident (also what routing-decisions-hash.ts hashes).
 */
export const learnerStep = (config: Config) => {
  const learning = { ...config.conductor.learning, mode: "on" as const }
  const learner = new Learner(learnerOptionsOf(learning))
  const world = seededRandom(1)
  for (const task of TASK_TYPES) {
    for (const band of BANDS) {
      for (const m of config.models) {
        for (let i = 0; i < 20; i++) {
          learner.update(task, band, m.name, NOW - i * 60_000, {
            quality: world() < 0.8 ? 1 : 0,
            gpuSeconds: world() * 5,
            seconds: world() * 20,
            tokens: 100 + world() * 400,
          })
        }
      }
    }
  }
  const profiles = new Map(
    config.models.map((p) => [
      p.name,
      { tokensPerSec: p.tokensPerSec, share: memoryBytes(p) / p.parallel / BUDGET },
    ]),
  )
  const rng = seededRandom(2)
  const routing = config.conductor.routing
  const resident = { resident: true, waitMs: 0, loadMs: 0 }
  const cold = { resident: false, waitMs: 20_000, loadMs: 20_000 }
  return (d: RoutingDecision, req: RoutingRequest, costLimit?: number): RoutingDecision => {
    const rule = routing.tasks[d.taskType]
    return advise(d, {
      mode: "on",
      learner,
      rng,
      now: NOW,
      band: bandOf(d.complexity, routing.tierThresholds),
      tierReach: learning.tierReach,
      minTier: rule?.minTier,
      maxTier: rule?.maxTier,
      forcedTier: req.tier,
      profile: (m) => profiles.get(m),
      readiness: (m) => (m.length % 2 === 0 ? resident : cold),
      costLimit,
    })
  }
}

const measureLearned = (
  requests: ReadonlyArray<RoutingRequest>,
  env: RouterEnv,
  rounds: number,
  learned: (d: RoutingDecision, req: RoutingRequest) => RoutingDecision,
) => {
  for (let i = 0; i < 20; i++) {
    for (const r of requests) {
      const d = route(r, env)
      if (Result.isSuccess(d)) learned(d.success, r)
    }
  }
  const total: number[] = []
  const step: number[] = []
  let changed = 0
  let explored = 0
  for (let round = 0; round < rounds; round++) {
    for (const r of requests) {
      const t0 = process.hrtime.bigint()
      const d = route(r, env)
      const t1 = process.hrtime.bigint()
      const a = Result.isSuccess(d) ? learned(d.success, r) : undefined
      const t2 = process.hrtime.bigint()
      if (a === undefined || Result.isFailure(d)) continue
      total.push(Number(t2 - t0) / 1000)
      step.push(Number(t2 - t1) / 1000)
      if (a.model !== d.success.model) changed++
      if (a.breakdown.learned?.explored) explored++
    }
  }
  return { total: summary(total), step: summary(step), changed, explored }
}

export const benchRouting = (rounds = 200): Record<string, number> => {
  const config = Result.getOrThrow(loadConfig({ env: {} }))
  // Load time of the shipped weights, cold (first read) then warm (file cached by the OS).
  const loads = [0, 1, 2].map(() => Result.getOrThrow(loadClassifier(shippedWeightsPath())))
  const classifier = (loads[2] as (typeof loads)[number]).classifier
  const rules = {
    registry: new ModelRegistry(config.models),
    personas: config.personas,
    routing: config.conductor.routing,
    fallbacks: config.conductor.fallbacks,
    budgetBytes: BUDGET,
  }
  const personas = [undefined, "researcher", "developer", "casual"]
  const requests: RoutingRequest[] = [...FIRST, ...GOLDEN_B].map((g, i) => ({
    query: g.query,
    ...(personas[i % 4] !== undefined ? { persona: personas[i % 4] as string } : {}),
    ...(g.docs !== undefined ? { context: { retrievedDocs: g.docs } } : {}),
  }))
  const ruled = measure(requests, rules, rounds)
  const both = measure(requests, { ...rules, classifier }, rounds)
  const learned = measureLearned(requests, { ...rules, classifier }, rounds, learnerStep(config))
  const n = Math.max(1, learned.total.n)
  return {
    decisions: both.s.n,
    failures: both.failures,
    p50Us: both.s.p50,
    p95Us: both.s.p95,
    p99Us: both.s.p99,
    maxUs: both.s.max,
    meanUs: both.s.mean,
    decisionsPerSec: both.s.n / both.wallSec,
    rulesOnlyP50Us: ruled.s.p50,
    rulesOnlyP99Us: ruled.s.p99,
    learnedP50Us: learned.total.p50,
    learnedP95Us: learned.total.p95,
    learnedP99Us: learned.total.p99,
    learnerStepP50Us: learned.step.p50,
    learnerStepP99Us: learned.step.p99,
    learnedChangedPct: (100 * learned.changed) / n,
    learnedExploredPct: (100 * learned.explored) / n,
    weightsLoadColdMs: (loads[0] as (typeof loads)[number]).loadMs,
    weightsLoadMs: (loads[2] as (typeof loads)[number]).loadMs,
  }
}
