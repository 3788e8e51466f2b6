/**
 * Fallback chains: the models to try, in order, when the primary fails. Built from the eligible
 * pool in four steps — same tier similar model, one tier down keeping a specialisation, one tier
 * down general, two tiers down — never the primary, never twice, at most `maxLength`. Under
 * `graceful_degradation` every fallback has fewer parameters than the primary.
 */
import type { ChainConfig } from "../config/schema.js"
import type { ModelProfile } from "../domain/model-profile.js"
import { shiftTier, tierIndex } from "../domain/tier.js"
import { type MatchRequirements, taskFitness } from "./match.js"
import { TASK_PROFILES } from "./task-profiles.js"

interface Affinity {
  /** Shared capabilities (×2), shared specialisations (×3), comparable context (+1). */
  readonly overlap: number
  readonly sharesCapability: boolean
}

/** Pairwise affinity depends only on the two profiles: memoised per profile object, a row per primary. */
const affinities = new WeakMap<ModelProfile, WeakMap<ModelProfile, Affinity>>()
const rowOf = (primary: ModelProfile): WeakMap<ModelProfile, Affinity> => {
  let row = affinities.get(primary)
  if (row === undefined) {
    row = new WeakMap()
    affinities.set(primary, row)
  }
  return row
}
const affinity = (row: WeakMap<ModelProfile, Affinity>, p: ModelProfile, primary: ModelProfile): Affinity => {
  let a = row.get(p)
  if (a === undefined) {
    let overlap = 0
    let shares = false
    for (const c of p.capabilities) {
      if (primary.capabilities.includes(c)) {
        overlap += 2
        shares = true
      }
    }
    for (const sp of p.specialisations) if (primary.specialisations.includes(sp)) overlap += 3
    if (p.contextWindow >= primary.contextWindow * 0.5) overlap += 1
    a = { overlap, sharesCapability: shares }
    row.set(p, a)
  }
  return a
}

/** A fallback must share something with the primary or the task; a code model is no fallback for a poem. */
const related = (a: Affinity, p: ModelProfile, req: MatchRequirements): boolean => {
  if (a.sharesCapability) return true
  const task = TASK_PROFILES[req.task].capabilities
  for (const c of p.capabilities) if (task.includes(c)) return true
  return false
}

export const fallbackChain = (
  primary: ModelProfile,
  eligible: ReadonlyArray<ModelProfile>,
  req: MatchRequirements,
  config: ChainConfig,
): ReadonlyArray<string> => {
  if (!config.enabled || config.maxLength === 0) return []
  // The pool ranked once by similarity to the primary, weighted towards what the task needs
  // (ties by name); each step takes one tier of the ranking. An insertion sort: the pool is small.
  const byRank: ModelProfile[] = []
  const sims: number[] = []
  const row = rowOf(primary)
  for (const p of eligible) {
    if (p.name === primary.name) continue
    const a = affinity(row, p, primary)
    if (!related(a, p, req)) continue
    if (config.strategy !== "best_effort" && !(p.sizeB < primary.sizeB)) continue
    const s = a.overlap + taskFitness(p, req)
    let at = byRank.length
    while (at > 0) {
      const q = sims[at - 1] as number
      if (q > s || (q === s && (byRank[at - 1] as ModelProfile).name < p.name)) break
      byRank[at] = byRank[at - 1] as ModelProfile
      sims[at] = q
      at--
    }
    byRank[at] = p
    sims[at] = s
  }
  const chain: string[] = []
  const max = config.maxLength
  const tier = primary.tier
  const t = tierIndex(tier)
  // Step 4's candidates: the fast tier, under a quality primary.
  let fastCount = 0
  if (t === 2) for (const p of byRank) if (p.tier === "fast") fastCount++
  // 1. same tier, most similar (at most two, so lower tiers get a place)
  let same = 0
  for (const p of byRank) {
    if (p.tier !== tier) continue
    if (same++ === 2) break
    push(chain, max, p)
  }
  if (t > 0) {
    const lower = shiftTier(tier, -1)
    // 2. one tier down, keeping a specialisation of the primary
    for (const p of byRank) {
      if (p.tier === lower && sharesSpecialisation(p, primary)) {
        push(chain, max, p)
        break
      }
    }
    // 3. one tier down, general — leaving the last place to step 4 when it has a candidate
    const room = max - (fastCount > 0 ? 1 : 0)
    for (const p of byRank) if (p.tier === lower && chain.length < room) push(chain, max, p)
  }
  // 4. two tiers down
  if (t === 2) for (const p of byRank) if (p.tier === "fast") push(chain, max, p)
  return chain
}

/** Adds a model to the chain unless it is full or has it already. */
const push = (chain: string[], max: number, p: ModelProfile): void => {
  if (chain.length < max && !chain.includes(p.name)) chain.push(p.name)
}

const sharesSpecialisation = (p: ModelProfile, primary: ModelProfile): boolean => {
  for (const s of p.specialisations) if (primary.specialisations.includes(s)) return true
  return false
}
