/**
 * Tier selection: complexity maps to a base tier; per-task min/max rules bound it; the persona
 * then leans it (task overrides, rules, preferred tier); a forced tier beats everything. Each step
 * that moves the tier leaves a note for the explanation.
 */

import type { RoutingConfig } from "../config/schema.js"
import type { Persona } from "../domain/persona.js"
import type { TaskType } from "../domain/task.js"
import { clampTier, shiftTier, type Tier, tierIndex } from "../domain/tier.js"

export type TierSource = "complexity" | "task_rule" | "persona" | "forced"

export interface TierChoice {
  readonly base: Tier
  readonly target: Tier
  readonly source: TierSource
  readonly steps: ReadonlyArray<string>
  /** A persona task override to a model, to try before matching. */
  readonly personaModel?: string
}

export const tierForComplexity = (complexity: number, thresholds: RoutingConfig["tierThresholds"]): Tier =>
  complexity >= thresholds.quality ? "quality" : complexity >= thresholds.balanced ? "balanced" : "fast"

const ruleMatches = (rule: Persona["rules"][number], task: TaskType, complexity: number): boolean => {
  const w = rule.when
  if (w.tasks !== undefined && !w.tasks.includes(task)) return false
  if (w.complexityBelow !== undefined && !(complexity < w.complexityBelow)) return false
  if (w.complexityAtLeast !== undefined && !(complexity >= w.complexityAtLeast)) return false
  return true
}

export const chooseTier = (
  task: TaskType,
  complexity: number,
  routing: RoutingConfig,
  persona: Persona | undefined,
  forced: Tier | undefined,
): TierChoice => {
  const steps: string[] = []
  const base = tierForComplexity(complexity, routing.tierThresholds)
  steps.push(`complexity ${complexity} → ${base}`)
  const rule = routing.tasks[task]
  let tier = clampTier(base, rule?.minTier, rule?.maxTier)
  let source: TierSource = "complexity"
  if (tier !== base) {
    steps.push(`${task} ${tier === rule?.minTier ? "min" : "max"} tier ${tier}`)
    source = "task_rule"
  }
  if (forced !== undefined) {
    steps.push(`forced tier ${forced}`)
    return { base, target: forced, source: "forced", steps }
  }
  if (persona === undefined) return { base, target: tier, source, steps }

  const override = persona.taskOverrides[task]
  if (override !== undefined) {
    if ("model" in override) {
      steps.push(`persona ${persona.name}: ${task} → model ${override.model}`)
      return { base, target: tier, source, steps, personaModel: override.model }
    }
    steps.push(`persona ${persona.name}: ${task} → ${override.tier}`)
    return { base, target: override.tier, source: "persona", steps }
  }
  for (const r of persona.rules) {
    if (!ruleMatches(r, task, complexity)) continue
    const next = "tier" in r.action ? r.action.tier : shiftTier(tier, r.action.adjust === "up" ? 1 : -1)
    steps.push(`persona ${persona.name} rule → ${next}`)
    return { base, target: next, source: "persona", steps }
  }
  const preferred = persona.preferredTier
  if (preferred !== undefined && preferred !== tier) {
    const down = persona.downgradeThreshold
    const up = persona.upgradeThreshold
    const wantsUp = tierIndex(preferred) > tierIndex(tier)
    const blocked =
      (wantsUp && down !== undefined && complexity < down) ||
      (!wantsUp && up !== undefined && complexity >= up)
    if (blocked) {
      steps.push(
        `persona ${persona.name} prefers ${preferred}, but complexity ${complexity} ${
          wantsUp ? `< downgrade threshold ${down}` : `≥ upgrade threshold ${up}`
        }`,
      )
    } else {
      const bounded = clampTier(preferred, rule?.minTier, rule?.maxTier)
      steps.push(
        `persona ${persona.name} prefers ${preferred}${bounded !== preferred ? ` (bounded by ${task} rule → ${bounded})` : ""}`,
      )
      if (bounded !== tier) {
        tier = bounded
        source = "persona"
      }
    }
  }
  return { base, target: tier, source, steps }
}
