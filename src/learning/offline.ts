/**
 * The learner for `conductor route`: warm-started from the outcome store (read once, then
 * closed), applied to a decision as `conductor serve` would apply it — except that nothing is
 * known of residency or queues offline (every model counts as ready) and the exploration share is
 * left out, so the explanation shows the learner's best mean. Identity when learning is off or
 * nothing has been recorded.
 */
import { existsSync } from "node:fs"
import type { Config } from "../config/load.js"
import type { RoutingDecision, RoutingRequest } from "../domain/decision.js"
import { memoryBytes } from "../domain/model-profile.js"
import { advise } from "./advise.js"
import { bandOf } from "./learner.js"
import { storePathOf, warmLearner } from "./learning.js"
import { OutcomeStore } from "./store.js"

export type LearnedRouting = (decision: RoutingDecision, request: RoutingRequest) => RoutingDecision

export const offlineLearning = (
  config: Config,
  budgetBytes: number | undefined,
  env: NodeJS.ProcessEnv,
  now: number = Date.now(),
): LearnedRouting => {
  const l = config.conductor.learning
  if (l.mode === "off") return (d) => d
  const path = storePathOf(l, env)
  if (path === ":memory:" || !existsSync(path)) return (d) => d
  const store = OutcomeStore.open(path, now)
  let learner: ReturnType<typeof warmLearner>
  try {
    learner = warmLearner(store, { ...l, exploration: 0 }, now, new Set(config.models.map((m) => m.name)))
  } finally {
    store.close()
  }
  const models = new Map(config.models.map((m) => [m.name, m]))
  // Unconstrained memory: shares relative to the largest model.
  const budget = budgetBytes ?? Math.max(1, ...config.models.map((m) => memoryBytes(m)))
  const mode = l.mode
  const routing = config.conductor.routing
  return (decision, request) => {
    const rule = routing.tasks[decision.taskType]
    return advise(decision, {
      mode,
      learner,
      rng: () => 1,
      now,
      band: bandOf(decision.complexity, routing.tierThresholds),
      tierReach: l.tierReach,
      minTier: rule?.minTier,
      maxTier: rule?.maxTier,
      forcedTier: request.tier,
      profile: (m) => {
        const p = models.get(m)
        return p === undefined
          ? undefined
          : { tokensPerSec: p.tokensPerSec, share: memoryBytes(p) / p.parallel / budget }
      },
      readiness: () => ({ resident: true, waitMs: 0, loadMs: 0 }),
    })
  }
}
