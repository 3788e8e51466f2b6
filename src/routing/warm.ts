/**
 * Load-aware choice, a pure step after routing: when a resident candidate of the chosen tier
 * scores within `margin` of the chosen one, and its score minus `costPerSecond` × its expected
 * wait beats the chosen one's (whose wait includes loading), it is served instead, and the
 * decision says so (`warm_preferred`). The first choice leads the fallback chain. Explicit
 * choices (a named model, a persona's model) are never second-guessed.
 */
import type { RoutingDecision } from "../domain/decision.js"

export interface WarmOptions {
  readonly margin: number
  readonly costPerSecond: number
}

export interface Readiness {
  /** In GPU memory now. */
  readonly resident: boolean
  /** Queueing, plus loading when not resident. */
  readonly expectedWaitMs: number
}

export const preferWarm = (
  decision: RoutingDecision,
  readiness: (model: string) => Readiness,
  options: WarmOptions,
): RoutingDecision => {
  if (decision.reason === "explicit_override" || decision.reason === "persona_task_override") return decision
  const scored = decision.breakdown.candidates.filter(
    (c): c is typeof c & { score: number } => c.eligible && c.score !== undefined && c.tier === decision.tier,
  )
  const chosen = scored.find((c) => c.model === decision.model)
  if (chosen === undefined || scored.length < 2) return decision
  const value = (c: { model: string; score: number }) =>
    c.score - (options.costPerSecond * readiness(c.model).expectedWaitMs) / 1000
  let best = chosen
  let bestValue = value(chosen)
  for (const c of scored) {
    if (c === chosen || c.score < chosen.score - options.margin || !readiness(c.model).resident) continue
    const v = value(c)
    if (v > bestValue) {
      best = c
      bestValue = v
    }
  }
  if (best === chosen) return decision
  const waited = (readiness(chosen.model).expectedWaitMs / 1000).toFixed(1)
  return {
    ...decision,
    model: best.model,
    reason: "warm_preferred",
    fallbacks: [chosen.model, ...decision.fallbacks.filter((m) => m !== best.model)].slice(
      0,
      Math.max(decision.fallbacks.length, 1),
    ),
    warnings: [
      ...decision.warnings,
      `warm_preferred: resident ${best.model} (score ${best.score}) over ${chosen.model} (score ${chosen.score}, expected wait ${waited} s)`,
    ],
  }
}
