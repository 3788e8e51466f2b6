/**
 * Capability matching: from the available models, keep those that fit the memory budget and meet
 * the hard needs (capabilities, context window), then pick the best-scoring model of the target
 * tier, relaxing to neighbouring tiers (inside the task's bounds first, downwards first) when the
 * target tier has none. Every model gets a note saying why it was or was not chosen.
 */
import type { CandidateNote } from "../domain/decision.js"
import { GB, type ModelProfile, memoryBytes } from "../domain/model-profile.js"
import { CAPABILITIES, type Capability, type TaskType } from "../domain/task.js"
import { TIERS, type Tier, tierIndex } from "../domain/tier.js"
import { TASK_PROFILES } from "./task-profiles.js"

export interface MatchRequirements {
  readonly task: TaskType
  readonly target: Tier
  /** Tier bounds of the task (used to order relaxation). */
  readonly minTier?: Tier | undefined
  readonly maxTier?: Tier | undefined
  readonly needs: ReadonlyArray<Capability>
  /** Hard: models with a smaller window are excluded. */
  readonly minContextWindow: number
  /** Soft: preferred window (persona minimum, estimated material); relaxed when nothing meets it. */
  readonly preferredContextWindow: number
  readonly preferSpecialised: boolean
  /** Persona's preferred models for this task, best first. */
  readonly specialisedModels: ReadonlyArray<string>
  readonly budgetBytes?: number | undefined
}

const LACKS = Object.fromEntries(CAPABILITIES.map((c) => [c, `lacks ${c}`])) as Record<Capability, string>

/** Why a model cannot serve this request at all, or undefined when it can. */
export const exclusion = (p: ModelProfile, req: MatchRequirements): string | undefined => {
  if (req.budgetBytes !== undefined && memoryBytes(p) > req.budgetBytes) {
    return `needs ${p.memoryGb} GB, budget ${budgetText(req.budgetBytes)} GB`
  }
  for (const need of req.needs) if (!p.capabilities.includes(need)) return LACKS[need]
  if (p.contextWindow < req.minContextWindow) {
    return `context ${p.contextWindow} < required ${req.minContextWindow}`
  }
  return undefined
}

/** Fitness of an eligible model for the task (higher is better); also used to order fallbacks. */
export const taskFitness = (p: ModelProfile, req: MatchRequirements): number => {
  const profile = TASK_PROFILES[req.task]
  let score = 0
  let specialised = false
  const specs = profile.specialisations
  for (let i = 0; i < specs.length; i++) {
    if (p.specialisations.includes(specs[i] as (typeof specs)[number])) {
      score += i === 0 ? 3 : 1.5
      specialised = true
    }
  }
  if (req.preferSpecialised && specialised) score += 3
  for (const c of profile.capabilities) if (p.capabilities.includes(c)) score += 1
  if (req.preferredContextWindow > 0 && p.contextWindow >= req.preferredContextWindow) score += 1
  const persona = req.specialisedModels.indexOf(p.name)
  if (persona >= 0) score += 20 - persona
  // Larger is generally better within a tier; a tie-breaker, never decisive.
  return score + p.sizeB / 100
}

let lastBudget = Number.NaN
let lastBudgetText = ""
/** `toFixed` is slow; the budget rarely changes between decisions. */
const budgetText = (bytes: number): string => {
  if (bytes !== lastBudget) {
    lastBudget = bytes
    lastBudgetText = (bytes / GB).toFixed(1)
  }
  return lastBudgetText
}

const relaxationCache: Array<ReadonlyArray<Tier> | undefined> = []

/** Tiers to try, in order: target; then inside the task bounds before outside; nearer first; down before up. */
export const relaxationOrder = (target: Tier, minTier?: Tier, maxTier?: Tier): ReadonlyArray<Tier> => {
  const key =
    tierIndex(target) * 16 +
    (minTier === undefined ? 3 : tierIndex(minTier)) * 4 +
    (maxTier === undefined ? 3 : tierIndex(maxTier))
  const cached = relaxationCache[key]
  if (cached !== undefined) return cached
  const order = computeRelaxationOrder(target, minTier, maxTier)
  relaxationCache[key] = order
  return order
}

const computeRelaxationOrder = (target: Tier, minTier?: Tier, maxTier?: Tier): ReadonlyArray<Tier> => {
  const t = tierIndex(target)
  const inBounds = (x: Tier) =>
    (minTier === undefined || tierIndex(x) >= tierIndex(minTier)) &&
    (maxTier === undefined || tierIndex(x) <= tierIndex(maxTier))
  return [...TIERS].sort((a, b) => {
    const ka = [
      a === target ? 0 : 1,
      inBounds(a) ? 0 : 1,
      Math.abs(tierIndex(a) - t),
      tierIndex(a) < t ? 0 : 1,
    ]
    const kb = [
      b === target ? 0 : 1,
      inBounds(b) ? 0 : 1,
      Math.abs(tierIndex(b) - t),
      tierIndex(b) < t ? 0 : 1,
    ]
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (ka[i] as number) - (kb[i] as number)
    return 0
  })
}

export interface MatchResult {
  /** Undefined when no model is eligible. */
  readonly chosen: ModelProfile | undefined
  readonly served: Tier | undefined
  /** Models that meet every hard requirement (the pool fallbacks come from). */
  readonly eligible: ReadonlyArray<ModelProfile>
  readonly notes: ReadonlyArray<CandidateNote>
  /** The soft context preference could not be met by the chosen model. */
  readonly contextRelaxed: boolean
  /** The chosen model is one of the persona's specialised models. */
  readonly personaSpecialised: boolean
  /** The chosen model carries a specialisation of the task. */
  readonly taskSpecialised: boolean
}

const round2 = (n: number) => Math.round(n * 100) / 100

/** `tier X ≠ Y` for every pair of tiers, built once. */
const TIER_NOTES: Readonly<Record<Tier, Readonly<Record<Tier, string>>>> = Object.fromEntries(
  TIERS.map((a) => [a, Object.fromEntries(TIERS.map((b) => [b, `tier ${a} ≠ ${b}`]))]),
) as Record<Tier, Record<Tier, string>>

export const match = (models: ReadonlyArray<ModelProfile>, req: MatchRequirements): MatchResult => {
  const eligible: ModelProfile[] = []
  const why: Array<string | undefined> = new Array(models.length)
  for (let i = 0; i < models.length; i++) {
    const p = models[i] as ModelProfile
    const reason = exclusion(p, req)
    why[i] = reason
    if (reason === undefined) eligible.push(p)
  }
  let chosen: ModelProfile | undefined
  let served: Tier | undefined
  let bestScore = Number.NEGATIVE_INFINITY
  let contextRelaxed = false
  // The scores of the models scored (those of the served tier), by their index in `models`.
  const scores: Array<number | undefined> = new Array(models.length)
  for (const tier of relaxationOrder(req.target, req.minTier, req.maxTier)) {
    // Within a tier, the soft context preference filters first; relaxed when it empties the tier.
    let inTier = 0
    let roomy = 0
    for (const p of eligible) {
      if (p.tier !== tier) continue
      inTier++
      if (p.contextWindow >= req.preferredContextWindow) roomy++
    }
    if (inTier === 0) continue
    contextRelaxed = roomy === 0 && req.preferredContextWindow > 0
    for (let i = 0; i < models.length; i++) {
      const p = models[i] as ModelProfile
      if (why[i] !== undefined) continue
      if (p.tier !== tier || (roomy > 0 && p.contextWindow < req.preferredContextWindow)) continue
      const s = taskFitness(p, req)
      scores[i] = s
      if (s > bestScore || (s === bestScore && chosen !== undefined && p.name < chosen.name)) {
        bestScore = s
        chosen = p
      }
    }
    served = tier
    break
  }
  const lower = chosen !== undefined ? `scored lower than ${chosen.name}` : ""
  const notes: CandidateNote[] = new Array(models.length)
  for (let i = 0; i < models.length; i++) {
    const p = models[i] as ModelProfile
    const reason = why[i]
    const s = scores[i]
    notes[i] =
      reason !== undefined
        ? { model: p.name, tier: p.tier, eligible: false, note: reason }
        : s === undefined
          ? {
              model: p.name,
              tier: p.tier,
              eligible: true,
              note:
                p.tier !== served
                  ? served === undefined
                    ? `tier ${p.tier} ≠ ${served}`
                    : TIER_NOTES[p.tier][served]
                  : `context ${p.contextWindow} < preferred ${req.preferredContextWindow}`,
            }
          : {
              model: p.name,
              tier: p.tier,
              eligible: true,
              score: round2(s),
              note: p === chosen ? "chosen" : lower,
            }
  }
  const taskSpecs = TASK_PROFILES[req.task].specialisations
  return {
    chosen,
    served,
    eligible,
    notes,
    contextRelaxed,
    personaSpecialised: chosen !== undefined && req.specialisedModels.includes(chosen.name),
    taskSpecialised: chosen?.specialisations.some((s) => taskSpecs.includes(s)) ?? false,
  }
}
