/**
 * The learner: pure maths, no I/O, randomness injected. For each arm — (task type, complexity
 * band, model) — a Beta posterior over answer quality (success × quality, 0–1) from decayed
 * evidence, with the rules as its prior: the rules' choice starts at PRIOR_MEAN, every other
 * candidate PRIOR_GAP lower per step away from it (another model, each tier away), worth
 * `priorWeight` outcomes — a prior the same model's evidence on the same task in the other bands
 * moves towards what it showed there (worth up to as much again). A candidate's value is its quality minus what it costs:
 * `costWeight` × expected GPU-seconds (plus the GPU-seconds of a cold load) and
 * `latencyWeight` × expected seconds (generation, queueing and loading), so residency enters
 * the choice as warm preference does. `choose` takes the best mean, or — on an `exploration`
 * share of decisions — the best of one posterior draw each (Thompson sampling). A cost limit
 * (a request's maxCost, a tenant's budget left) that the choice would break makes the cheapest
 * candidate within `qualityMargin` of the best quality win. `update` adds an outcome;
 * `correct` replaces a quality when feedback arrives. The load tester drives this pair directly.
 */
import type { TaskType } from "../domain/task.js"
import { type Tier, tierIndex } from "../domain/tier.js"
import {
  addOutcome,
  correctQuality,
  decayTo,
  type Evidence,
  emptyEvidence,
  type Observation,
} from "./evidence.js"
import { type Random, sampleBeta } from "./random.js"

export const BANDS = ["low", "mid", "high"] as const
/** Complexity band: below the balanced threshold, below the quality threshold, above. */
export type Band = (typeof BANDS)[number]

export const bandOf = (
  complexity: number,
  thresholds: { readonly balanced: number; readonly quality: number },
): Band => (complexity >= thresholds.quality ? "high" : complexity >= thresholds.balanced ? "mid" : "low")

/** The prior mean quality of the rules' choice. */
export const PRIOR_MEAN = 0.7
/** Prior quality given up per step away from the rules' choice (another model; each tier away). */
export const PRIOR_GAP = 0.1
/** Answer length assumed before a class of queries has any evidence, tokens. */
const DEFAULT_TOKENS = 256

export interface LearnerOptions {
  readonly halfLifeMs: number
  /** Share of decisions that use a posterior draw (0–1). */
  readonly exploration: number
  readonly priorWeight: number
  readonly costWeight: number
  readonly latencyWeight: number
  readonly qualityMargin: number
}

export interface Candidate {
  readonly model: string
  readonly tier: Tier
  /** Share of the GPU budget one of its slots holds (memory ÷ slots ÷ budget): GPU-seconds per second. */
  readonly share: number
  readonly tokensPerSec: number
  /** Expected wait before generating: queueing, and loading when not resident, ms. */
  readonly waitMs: number
  /** Expected load time when not resident (0 when resident), ms. */
  readonly loadMs: number
}

export interface ChoiceInput {
  readonly task: TaskType
  readonly band: Band
  /** The rules' choice (their prior); one of the candidates. */
  readonly rules: string
  /** Models the rules deem fit: hard constraints already applied. */
  readonly candidates: ReadonlyArray<Candidate>
  /** Epoch milliseconds. */
  readonly now: number
  /** Most GPU-seconds the answer may cost. */
  readonly costLimit?: number | undefined
}

export interface Choice {
  readonly model: string
  /** A posterior draw decided (the exploration share). */
  readonly explored: boolean
  /** Each candidate's expected value: mean quality minus expected cost and wait. */
  readonly means: Record<string, number>
  /** Each candidate's evidence (decayed outcome count). */
  readonly evidence: Record<string, number>
  /** Expected GPU-seconds of the chosen model's answer. */
  readonly expectedCost: number
  /** The cost limit changed the choice. */
  readonly bound: boolean
}

/** An arm's state for reports and metrics, under a neutral prior (PRIOR_MEAN). */
export interface Preference {
  readonly task: TaskType
  readonly band: Band
  readonly model: string
  /** Posterior mean quality. */
  readonly quality: number
  /** quality − costWeight × mean GPU-seconds − latencyWeight × mean seconds. */
  readonly preference: number
  readonly evidence: number
}

const round3 = (x: number) => Math.round(x * 1000) / 1000

/** Per-candidate working space for `choose`, reused across calls (it never re-enters). */
const scratch = {
  alpha: new Float64Array(16),
  beta: new Float64Array(16),
  quality: new Float64Array(16),
  penalty: new Float64Array(16),
  cost: new Float64Array(16),
}
const growScratch = (k: number): void => {
  const size = Math.max(k, scratch.alpha.length * 2)
  scratch.alpha = new Float64Array(size)
  scratch.beta = new Float64Array(size)
  scratch.quality = new Float64Array(size)
  scratch.penalty = new Float64Array(size)
  scratch.cost = new Float64Array(size)
}

export class Learner {
  private readonly arms = new Map<TaskType, Map<Band, Map<string, Evidence>>>()
  /** Per (task, band), all models together: the answer length the cost prior assumes. */
  private readonly pools = new Map<TaskType, Map<Band, Evidence>>()
  /** Per (task, model), all bands together: what the other bands say about an arm (its prior). */
  private readonly across = new Map<TaskType, Map<string, Evidence>>()

  constructor(readonly options: LearnerOptions) {}

  /** Choose among `input.candidates`; deterministic given `rng`. */
  choose(input: ChoiceInput, rng: Random): Choice {
    const o = this.options
    const cs = input.candidates
    const k = cs.length
    if (scratch.alpha.length < k) growScratch(k)
    const { alpha, beta, quality, penalty, cost } = scratch
    let rulesAt = -1
    for (let i = 0; i < k; i++) if ((cs[i] as Candidate).model === input.rules) rulesAt = i
    const rulesTier = tierIndex((cs[rulesAt >= 0 ? rulesAt : 0] as Candidate).tier)
    const byModel = this.arms.get(input.task)?.get(input.band)
    const acrossBands = this.across.get(input.task)
    const pool = this.pools.get(input.task)?.get(input.band)
    if (pool !== undefined) decayTo(pool, input.now, o.halfLifeMs)
    const tokens = pool !== undefined && pool.n > 0.5 ? pool.tokens / pool.n : DEFAULT_TOKENS
    const explored = o.exploration > 0 && rng() < o.exploration
    const n0 = o.priorWeight
    const means: Record<string, number> = {}
    const evidence: Record<string, number> = {}
    let best = -1
    let bestValue = Number.NEGATIVE_INFINITY
    for (let i = 0; i < k; i++) {
      const c = cs[i] as Candidate
      const e = byModel?.get(c.model)
      let n = 0
      let good = 0
      let seconds = 0
      let gpu = 0
      if (e !== undefined) {
        decayTo(e, input.now, o.halfLifeMs)
        n = e.n
        good = e.good
        seconds = e.seconds
        gpu = e.gpu
      }
      const steps = (i === rulesAt ? 0 : 1) + Math.abs(tierIndex(c.tier) - rulesTier)
      let m = Math.max(0.05, PRIOR_MEAN - PRIOR_GAP * steps)
      // The same model on the same task in the other bands: their evidence moves the prior's mean
      // (worth at most the prior's weight), so a model good at easy maths starts hard maths nearer
      // to what it showed than the rules' guess, and a drift seen in one band is suspected in all.
      const x = acrossBands?.get(c.model)
      if (x !== undefined) {
        decayTo(x, input.now, o.halfLifeMs)
        const otherN = x.n - n
        if (otherN > 0.5) {
          const k = Math.min(otherN, n0)
          const otherQ = Math.min(1, Math.max(0, (x.good - good) / otherN))
          m = (n0 * m + k * otherQ) / (n0 + k)
        }
      }
      const a = n0 * m + good
      const b = n0 * (1 - m) + (n - good)
      alpha[i] = a
      beta[i] = b
      const q = a / (a + b)
      quality[i] = q
      // Costs shrink towards the profile's estimate while evidence is thin.
      const priorSeconds = tokens / c.tokensPerSec
      const meanSeconds = (seconds + n0 * priorSeconds) / (n + n0)
      const meanGpu = (gpu + n0 * priorSeconds * c.share) / (n + n0)
      cost[i] = meanGpu
      const p =
        o.costWeight * (meanGpu + (c.share * c.loadMs) / 1000) +
        o.latencyWeight * (meanSeconds + c.waitMs / 1000)
      penalty[i] = p
      const value = q - p
      means[c.model] = round3(value)
      evidence[c.model] = round3(n)
      if (!explored && (value > bestValue || (value === bestValue && i === rulesAt))) {
        best = i
        bestValue = value
      }
    }
    if (explored) {
      for (let i = 0; i < k; i++) {
        const value = sampleBeta(alpha[i] as number, beta[i] as number, rng) - (penalty[i] as number)
        if (value > bestValue) {
          best = i
          bestValue = value
        }
      }
    }
    let bound = false
    const limit = input.costLimit
    if (limit !== undefined && (cost[best] as number) > limit) {
      bound = true
      best = cheapestWithin(k, quality, cost, penalty, limit, o.qualityMargin)
    }
    return {
      model: (cs[best] as Candidate).model,
      explored,
      means,
      evidence,
      expectedCost: round3(cost[best] as number),
      bound,
    }
  }

  /** Count one outcome of `model` on a (task, band) at epoch ms `at`. */
  update(task: TaskType, band: Band, model: string, at: number, outcome: Observation): void {
    addOutcome(this.arm(task, band, model, at), outcome, at, this.options.halfLifeMs)
    addOutcome(this.pool(task, band, at), outcome, at, this.options.halfLifeMs)
    addOutcome(this.acrossOf(task, model, at), outcome, at, this.options.halfLifeMs)
  }

  /** Feedback: the outcome at `at` counted with quality `from` now has quality `to`. */
  correct(
    task: TaskType,
    band: Band,
    model: string,
    at: number,
    from: number,
    to: number,
    now: number,
  ): void {
    const e = this.arms.get(task)?.get(band)?.get(model)
    if (e !== undefined) correctQuality(e, at, from, to, now, this.options.halfLifeMs)
    const x = this.across.get(task)?.get(model)
    if (x !== undefined) correctQuality(x, at, from, to, now, this.options.halfLifeMs)
  }

  /** Replace an arm's evidence (a warm start from the store). */
  seed(task: TaskType, band: Band, model: string, evidence: Evidence): void {
    let byBand = this.arms.get(task)
    if (byBand === undefined) {
      byBand = new Map()
      this.arms.set(task, byBand)
    }
    let byModel = byBand.get(band)
    if (byModel === undefined) {
      byModel = new Map()
      byBand.set(band, byModel)
    }
    byModel.set(model, { ...evidence })
    addEvidence(this.pool(task, band, evidence.at), evidence, this.options.halfLifeMs)
    addEvidence(this.acrossOf(task, model, evidence.at), evidence, this.options.halfLifeMs)
  }

  /** Every arm with evidence, as of `now`. */
  preferences(now: number): ReadonlyArray<Preference> {
    const o = this.options
    const out: Preference[] = []
    for (const [task, byBand] of this.arms) {
      for (const [band, byModel] of byBand) {
        for (const [model, e] of byModel) {
          decayTo(e, now, o.halfLifeMs)
          const n0 = o.priorWeight
          const quality = (n0 * PRIOR_MEAN + e.good) / (n0 + e.n)
          const perAnswer = e.n > 0 ? o.costWeight * (e.gpu / e.n) + o.latencyWeight * (e.seconds / e.n) : 0
          out.push({
            task,
            band,
            model,
            quality: round3(quality),
            preference: round3(quality - perAnswer),
            evidence: round3(e.n),
          })
        }
      }
    }
    return out
  }

  private arm(task: TaskType, band: Band, model: string, at: number): Evidence {
    const byModel = entry(
      entry(this.arms, task, () => new Map()),
      band,
      () => new Map(),
    )
    return entry(byModel, model, () => emptyEvidence(at))
  }

  private acrossOf(task: TaskType, model: string, at: number): Evidence {
    return entry(
      entry(this.across, task, () => new Map()),
      model,
      () => emptyEvidence(at),
    )
  }

  private pool(task: TaskType, band: Band, at: number): Evidence {
    return entry(
      entry(this.pools, task, () => new Map()),
      band,
      () => emptyEvidence(at),
    )
  }
}

/** `map`'s value at `key`, made and stored first when there is none. */
const entry = <K, V>(map: Map<K, V>, key: K, make: () => V): V => {
  let v = map.get(key)
  if (v === undefined) {
    v = make()
    map.set(key, v)
  }
  return v
}

/** Add `evidence`'s sums into `into` (both brought to the later of their instants). */
const addEvidence = (into: Evidence, evidence: Evidence, halfLifeMs: number): void => {
  decayTo(into, evidence.at, halfLifeMs)
  const aligned = { ...evidence }
  decayTo(aligned, into.at, halfLifeMs)
  into.n += aligned.n
  into.good += aligned.good
  into.gpu += aligned.gpu
  into.seconds += aligned.seconds
  into.tokens += aligned.tokens
}

/**
 * Under a binding cost limit: the cheapest candidate within `margin` of the best quality that
 * fits the limit; else the best-valued one that fits; else the cheapest of all.
 */
const cheapestWithin = (
  k: number,
  quality: Float64Array,
  cost: Float64Array,
  penalty: Float64Array,
  limit: number,
  margin: number,
): number => {
  let top = Number.NEGATIVE_INFINITY
  for (let i = 0; i < k; i++) if ((quality[i] as number) > top) top = quality[i] as number
  let pick = -1
  for (let i = 0; i < k; i++) {
    if ((cost[i] as number) > limit || (quality[i] as number) < top - margin) continue
    if (pick < 0 || (cost[i] as number) < (cost[pick] as number)) pick = i
  }
  if (pick >= 0) return pick
  for (let i = 0; i < k; i++) {
    if ((cost[i] as number) > limit) continue
    const v = (quality[i] as number) - (penalty[i] as number)
    if (pick < 0 || v > (quality[pick] as number) - (penalty[pick] as number)) pick = i
  }
  if (pick >= 0) return pick
  pick = 0
  for (let i = 1; i < k; i++) if ((cost[i] as number) < (cost[pick] as number)) pick = i
  return pick
}
