/**
 * Learned routing assembled (DESIGN decision 14): the outcome store, the recorder on the event
 * bus, the learner warm-started from the store, the tenants' budgets and the routing step that
 * applies the learner to a decision. Conductor calls `decide` after warm preference, `feedback`
 * from every entry point and `close` at shutdown; everything else runs off the request path.
 * With `learning.mode: off` nothing is opened and decisions pass through unchanged.
 */
import { randomInt } from "node:crypto"
import { homedir } from "node:os"
import { join, resolve } from "node:path"
import type { LearningConfig, RoutingConfig } from "../config/schema.js"
import type { RoutingDecision } from "../domain/decision.js"
import { conductorError } from "../domain/errors.js"
import { memoryBytes } from "../domain/model-profile.js"
import type { Tier } from "../domain/tier.js"
import type { EventBusShape } from "../events/bus.js"
import type { ModelRegistry } from "../registry/registry.js"
import type { TimeSource } from "../time/clock.js"
import { advise, type Readiness } from "./advise.js"
import { TenantBudgets } from "./budget.js"
import { checkFeedback } from "./feedback.js"
import { bandOf, Learner, type LearnerOptions } from "./learner.js"
import { type Random, seededRandom } from "./random.js"
import { Recorder } from "./recorder.js"
import { OutcomeStore } from "./store.js"

/** The recorder flushes this often (the most a crash can lose). */
export const FLUSH_MS = 1000
const DAY = 86_400_000

/** What a request adds to routing for the learner (a PreparedRequest fits). */
export interface LearningRequest {
  /** Whom it runs for. */
  readonly tenant?: string | undefined
  readonly request: { readonly maxCost?: number | undefined; readonly tier?: Tier | undefined }
}

export interface Learning {
  /** The learner's step after warm preference (request `id`, before its `routed` event). */
  decide(id: string, decision: RoutingDecision, request: LearningRequest): RoutingDecision
  /** A score 0–1 for request `id`; refused with BadRequest when invalid, unknown or learning is off. */
  feedback(id: string, score: number): void
  /** Flush what is queued and close the store. */
  close(): void
}

export interface LearningDeps {
  readonly config: LearningConfig
  readonly routing: RoutingConfig
  readonly env: NodeJS.ProcessEnv
  readonly time: TimeSource
  readonly bus: EventBusShape
  readonly registry: () => ModelRegistry
  readonly budgetBytes: number
  /** A model's size and slots where it is held (its GPU share per request). */
  readonly residency: {
    get(model: string): { readonly bytes: number; readonly slots: number } | undefined
  }
  /** Resident or not, the expected wait and the load time where one more request would go. */
  readonly readiness: (model: string) => Readiness
  /** Draws for exploration (default: seeded from `learning.seed`, else at random). */
  readonly rng?: Random
}

/** `learning.store`, else `$XDG_STATE_HOME/conductor/outcomes.db`, else `~/.local/state/conductor/outcomes.db`. */
export const storePathOf = (config: LearningConfig, env: NodeJS.ProcessEnv): string => {
  if (config.store !== undefined) return config.store === ":memory:" ? config.store : resolve(config.store)
  const state =
    env.XDG_STATE_HOME !== undefined && env.XDG_STATE_HOME !== ""
      ? env.XDG_STATE_HOME
      : join(env.HOME !== undefined && env.HOME !== "" ? env.HOME : homedir(), ".local", "state")
  return join(state, "conductor", "outcomes.db")
}

export const learnerOptionsOf = (config: LearningConfig): LearnerOptions => ({
  halfLifeMs: config.halfLife,
  exploration: config.exploration,
  priorWeight: config.priorWeight,
  costWeight: config.costWeight,
  latencyWeight: config.latencyWeight,
  qualityMargin: config.qualityMargin,
})

/** A learner with the store's evidence for the models in `models` (the warm start). */
export const warmLearner = (
  store: OutcomeStore,
  config: LearningConfig,
  now: number,
  models: ReadonlySet<string>,
): Learner => {
  const learner = new Learner(learnerOptionsOf(config))
  for (const a of store.arms(now - config.retention, now, config.halfLife)) {
    if (models.has(a.model)) learner.seed(a.task, a.band, a.model, a.evidence)
  }
  return learner
}

const off: Learning = {
  decide: (_id, decision, { request }) =>
    request.maxCost === undefined
      ? decision
      : { ...decision, warnings: [...decision.warnings, "maxCost ignored: learning.mode is off"] },
  feedback: () => {
    throw conductorError(
      "BadRequest",
      "feedback is not recorded: learning.mode is off (set it to shadow or on)",
    )
  },
  close: () => undefined,
}

/** Open learned routing as configured; throws naming the store when it cannot be opened. */
export const openLearning = (d: LearningDeps): Learning => {
  const config = d.config
  if (config.mode === "off") return off
  const mode = config.mode
  const path = storePathOf(config, d.env)
  const now = () => d.time.epochMs()
  let store: OutcomeStore
  try {
    store = OutcomeStore.open(path, now())
  } catch (e) {
    throw conductorError(
      "BadRequest",
      `learning.store: cannot open '${path}': ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    )
  }
  const learner = warmLearner(store, config, now(), new Set(d.registry().names))
  const budgets = new TenantBudgets(config.budgets)
  for (const s of store.spend(now() - DAY)) budgets.add(s.tenant, s.gpu, s.hour)
  const rng = d.rng ?? seededRandom(config.seed ?? randomInt(2 ** 31))
  const offset = d.time.epochMs() - d.time.now()
  let closed = false

  const share = (model: string): number => {
    const r = d.residency.get(model)
    const p = d.registry().get(model)
    const bytes = r?.bytes ?? (p !== undefined ? memoryBytes(p) : 0)
    const slots = Math.max(1, r?.slots ?? p?.parallel ?? 1)
    return d.budgetBytes > 0 ? bytes / slots / d.budgetBytes : 0
  }
  // What the learner needs of a profile, kept per model until its registry entry or size changes.
  const profiles = new Map<
    string,
    { p: unknown; bytes: number | undefined; value: { tokensPerSec: number; share: number } }
  >()
  const profile = (model: string): { readonly tokensPerSec: number; readonly share: number } | undefined => {
    const p = d.registry().get(model)
    if (p === undefined) return undefined
    const bytes = d.residency.get(model)?.bytes
    const cached = profiles.get(model)
    if (cached !== undefined && cached.p === p && cached.bytes === bytes) return cached.value
    const value = { tokensPerSec: p.tokensPerSec, share: share(model) }
    profiles.set(model, { p, bytes, value })
    return value
  }
  const recorder = new Recorder({
    subscribe: (l) => d.bus.subscribe(l, ["requests"]),
    epochOf: (at) => offset + at,
    now,
    share,
    tierOf: (m) => d.registry().get(m)?.tier,
    sink: store,
    learner,
    budgets,
    retentionMs: config.retention,
    flushMs: FLUSH_MS,
    every: (ms, fn) => {
      let cancel: () => void = () => undefined
      const arm = () => {
        cancel = d.time.schedule(ms, () => {
          fn()
          arm()
        })
      }
      arm()
      return () => cancel()
    },
    flushed: (written, preferences, error, feedback) =>
      d.bus.publish({
        type: "learning",
        written,
        preferences,
        ...(error !== undefined ? { error } : {}),
        ...(feedback.length > 0 ? { feedback } : {}),
      }),
  })

  return {
    decide(id, decision, { tenant, request }) {
      const at = now()
      const band = bandOf(decision.complexity, d.routing.tierThresholds)
      const left = budgets.left(tenant, at)
      const limits = [request.maxCost, left].filter((x): x is number => x !== undefined)
      const rule = d.routing.tasks[decision.taskType]
      const advised = advise(decision, {
        mode,
        learner,
        rng,
        now: at,
        band,
        tierReach: config.tierReach,
        minTier: rule?.minTier,
        maxTier: rule?.maxTier,
        forcedTier: request.tier,
        profile,
        readiness: d.readiness,
        costLimit: limits.length > 0 ? Math.min(...limits) : undefined,
      })
      const learned = advised.breakdown.learned
      recorder.expect(id, {
        tenant,
        band,
        rulesModel: learned?.rules,
        learnedModel: learned?.chosen,
        explored: learned?.explored ?? false,
      })
      return advised
    },
    feedback(id, score) {
      if (closed) throw conductorError("Unavailable", "Conductor is shutting down")
      const checked = checkFeedback(id, score)
      if (!checked.ok) throw checked.error
      recorder.feedback(id, score)
    },
    close() {
      if (closed) return
      closed = true
      recorder.close()
      store.close()
    },
  }
}
