/**
 * The learner's step in routing, after warm preference: a pure function of the decision, the
 * learner, an RNG and what the GPU looks like now. The candidates are the decision's eligible
 * ones (hard constraints — capabilities, context window, memory budget — are never relaxed),
 * within `tierReach` tiers of the rules' tier and inside the task's tier bounds (a forced tier
 * keeps its tier). Explicit choices (a named model, a persona's model) are never second-guessed.
 * In mode `shadow` the decision is unchanged and only explains what the learner would do; in
 * mode `on` its choice is served, the rules' choice leading the fallback chain.
 */
import type { LearnedBreakdown, RoutingBreakdown, RoutingDecision } from "../domain/decision.js"
import { type Tier, tierIndex } from "../domain/tier.js"
import type { Band, Candidate, Learner } from "./learner.js"
import type { Random } from "./random.js"

/** A cold wait beyond this is treated as this (an unknown model's wait is infinite). */
const MAX_WAIT_MS = 600_000

export interface Readiness {
  readonly resident: boolean
  /** Queueing, plus loading when not resident, ms. */
  readonly waitMs: number
  /** Loading when not resident (0 when resident), ms. */
  readonly loadMs: number
}

export interface AdviceContext {
  readonly mode: "shadow" | "on"
  readonly learner: Learner
  readonly rng: Random
  /** Epoch ms. */
  readonly now: number
  readonly band: Band
  readonly tierReach: number
  /** The task's tier bounds (routing.tasks). */
  readonly minTier?: Tier | undefined
  readonly maxTier?: Tier | undefined
  /** The request forced a tier: the learner stays in it. */
  readonly forcedTier?: Tier | undefined
  readonly profile: (model: string) => { readonly tokensPerSec: number; readonly share: number } | undefined
  readonly readiness: (model: string) => Readiness
  /** GPU-seconds the answer may cost (the request's maxCost, the tenant's budget left). */
  readonly costLimit?: number | undefined
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/**
 * `decision` with the learner's explanation and, when it serves another model, that model. Built
 * without object spread, a slow path in V8 (this runs on every decision).
 */
const rebuild = (
  d: RoutingDecision,
  learned: LearnedBreakdown,
  warnings: ReadonlyArray<string>,
  serve?: { readonly model: string; readonly tier: Tier; readonly fallbacks: ReadonlyArray<string> },
): RoutingDecision => {
  const b = d.breakdown
  const breakdown: Mutable<RoutingBreakdown> = {
    task: b.task,
    complexity: b.complexity,
    tier:
      serve === undefined
        ? b.tier
        : {
            base: b.tier.base,
            target: b.tier.target,
            served: serve.tier,
            steps: [...b.tier.steps, `learned → ${serve.model} (${serve.tier})`],
          },
    candidates: b.candidates,
    learned,
  }
  if (b.override !== undefined) breakdown.override = b.override
  if (b.persona !== undefined) breakdown.persona = b.persona
  if (b.model !== undefined) breakdown.model = b.model
  return {
    model: serve?.model ?? d.model,
    tier: serve?.tier ?? d.tier,
    taskType: d.taskType,
    complexity: d.complexity,
    confidence: d.confidence,
    reason: serve === undefined ? d.reason : "learned",
    fallbacks: serve?.fallbacks ?? d.fallbacks,
    breakdown,
    warnings,
    labels: d.labels,
  }
}

const standAside = (decision: RoutingDecision, ctx: AdviceContext, note: string): RoutingDecision =>
  rebuild(
    decision,
    {
      mode: ctx.mode,
      explored: false,
      means: {},
      evidence: {},
      chosen: decision.model,
      rules: decision.model,
      band: ctx.band,
      note,
    },
    decision.warnings,
  )

export const advise = (decision: RoutingDecision, ctx: AdviceContext): RoutingDecision => {
  if (decision.reason === "explicit_override" || decision.reason === "persona_task_override") {
    return standAside(decision, ctx, "an explicit choice is not second-guessed")
  }
  const rulesTier = tierIndex(decision.tier)
  const candidates: Candidate[] = []
  for (const c of decision.breakdown.candidates) {
    if (!c.eligible) continue
    const t = tierIndex(c.tier)
    if (c.model !== decision.model) {
      if (Math.abs(t - rulesTier) > ctx.tierReach) continue
      if (ctx.forcedTier !== undefined && c.tier !== ctx.forcedTier) continue
      if (ctx.minTier !== undefined && t < tierIndex(ctx.minTier)) continue
      if (ctx.maxTier !== undefined && t > tierIndex(ctx.maxTier)) continue
    }
    const p = ctx.profile(c.model)
    if (p === undefined) continue
    const r = ctx.readiness(c.model)
    if (!Number.isFinite(r.waitMs) && c.model !== decision.model) continue
    candidates.push({
      model: c.model,
      tier: c.tier,
      share: p.share,
      tokensPerSec: p.tokensPerSec,
      waitMs: Math.min(MAX_WAIT_MS, r.waitMs),
      loadMs: r.resident ? 0 : Math.min(MAX_WAIT_MS, r.loadMs),
    })
  }
  if (!candidates.some((c) => c.model === decision.model)) {
    return standAside(decision, ctx, "the rules' choice is not among the candidates")
  }
  if (candidates.length < 2 && ctx.costLimit === undefined) {
    return standAside(decision, ctx, "no alternative candidate")
  }
  const choice = ctx.learner.choose(
    {
      task: decision.taskType,
      band: ctx.band,
      rules: decision.model,
      candidates,
      now: ctx.now,
      costLimit: ctx.costLimit,
    },
    ctx.rng,
  )
  const learned: Mutable<LearnedBreakdown> = {
    mode: ctx.mode,
    explored: choice.explored,
    means: choice.means,
    evidence: choice.evidence,
    chosen: choice.model,
    rules: decision.model,
    band: ctx.band,
  }
  if (ctx.costLimit !== undefined) {
    learned.cost = { limit: round3(ctx.costLimit), expected: choice.expectedCost, bound: choice.bound }
  }
  const warnings =
    choice.bound && ctx.costLimit !== undefined && choice.expectedCost > ctx.costLimit
      ? [
          ...decision.warnings,
          `cost limit ${round3(ctx.costLimit)} GPU-s: no candidate fits; ${choice.model} is the cheapest (${choice.expectedCost} GPU-s expected)`,
        ]
      : decision.warnings
  if (ctx.mode === "shadow" || choice.model === decision.model) return rebuild(decision, learned, warnings)
  const chosen = candidates.find((c) => c.model === choice.model) as Candidate
  const why = choice.explored
    ? "exploring"
    : choice.bound
      ? "cheapest within the quality margin under the cost limit"
      : `expected value ${choice.means[chosen.model]} over ${choice.means[decision.model]}`
  return rebuild(
    decision,
    learned,
    [...warnings, `learned: ${chosen.model} over ${decision.model} (${why})`],
    {
      model: chosen.model,
      tier: chosen.tier,
      fallbacks: [decision.model, ...decision.fallbacks.filter((m) => m !== chosen.model)].slice(
        0,
        Math.max(decision.fallbacks.length, 1),
      ),
    },
  )
}

const round3 = (x: number) => Math.round(x * 1000) / 1000
