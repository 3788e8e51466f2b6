/**
 * The routing classifier's inference: one hidden layer over the features of features.ts.
 *   hidden — h = ReLU(bias + scale ⊙ Σ sparse rows / √occurrences + dense · D): the hashed sparse
 *            rows are an int8 embedding bag (one scale per hidden unit), the dense features a
 *            small float matrix;
 *   task   — nine logits from h, softmax(z / T_task);
 *   tier   — one latent score s from h, ordinal (cumulative logit) with two thresholds θ₀ < θ₁:
 *            P(tier ≤ fast) = σ((θ₀ − s) / T_tier), P(tier ≤ balanced) = σ((θ₁ − s) / T_tier).
 * Optionally linear heads over the same features are added to the outputs (the average of the
 * network and a linear model; the weighting is folded into both members' weights): an int8
 * table of 2^bits rows × OUTPUTS (one scale per output) and a dense matrix.
 * The temperatures are fitted on the validation split (calibration); they never move a decision.
 * The complexity score is the latent score placed on the 0–10 scale so that the configured
 * thresholds keep their meaning: s = θ₀ ↦ 3.5, s = θ₁ ↦ 7.0, linear between and beyond, clamped
 * to 0–10 — so complexity ≥ 3.5 exactly when P(fast) ≤ ½ and ≥ 7.0 exactly when P(quality) ≥ ½
 * (the median tier). Pure and allocation-light; the weights come from weights.ts.
 */
import { TASK_TYPES, type TaskType } from "../domain/task.js"
import { TIERS, type Tier } from "../domain/tier.js"
import type { Classification } from "./classify.js"
import type { ComplexityResult } from "./complexity.js"
import { DENSE, type FeatureBuffer, featureBuffer, featurise } from "./features.js"
import type { QueryText } from "./text.js"

/** Outputs of the network: nine task logits, then the tier's latent score. */
export const OUTPUTS = TASK_TYPES.length + 1
const TIER_COLUMN = TASK_TYPES.length

export interface ClassifierWeights {
  /** Sparse table rows: 2^bits. */
  readonly bits: number
  /** Hidden units. */
  readonly hidden: number
  /**
   * 2^bits × hidden int8, row-major; weight = value × `scales[unit]`. Kept quantised: a quarter
   * of the memory of floats, so the random row reads of a query mostly hit cache.
   */
  readonly sparse: Int8Array
  readonly scales: Float64Array
  /** DENSE × hidden, row-major. */
  readonly dense: Float64Array
  readonly bias: Float64Array
  /** hidden × OUTPUTS, row-major. */
  readonly out: Float64Array
  readonly outBias: Float64Array
  readonly taskTemperature: number
  readonly tierTemperature: number
  /** θ₀ < θ₁ on the latent tier score. */
  readonly thresholds: readonly [number, number]
  /** Linear heads added to the outputs: 2^bits × OUTPUTS int8 (× `scales[output]`), DENSE × OUTPUTS. */
  readonly linear?: {
    readonly sparse: Int8Array
    readonly scales: Float64Array
    readonly dense: Float64Array
  }
}

/** Reused buffers of one scoring: the int8 sums and the hidden activations. */
export interface ScoreBuffers {
  readonly sums: Int32Array
  readonly hidden: Float64Array
}

export const scoreBuffers = (hidden: number): ScoreBuffers => ({
  sums: new Int32Array(Math.max(hidden, OUTPUTS)),
  hidden: new Float64Array(hidden),
})

export interface ModelVerdict {
  readonly task: TaskType
  /** Calibrated probability per task type, in TASK_TYPES order. */
  readonly taskProbabilities: ReadonlyArray<number>
  /** The median tier (the tier of `complexity` under the default thresholds). */
  readonly tier: Tier
  /** Calibrated probability per tier, in TIERS order. */
  readonly tierProbabilities: readonly [number, number, number]
  /** The latent tier score on the 0–10 complexity scale (see the header). */
  readonly complexity: number
}

/** Complexity anchors: where θ₀ and θ₁ land on the 0–10 scale (the default tier thresholds). */
export const COMPLEXITY_AT_THETA = [3.5, 7.0] as const

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

/** The latent tier score → 0–10 complexity (see the header). */
export const complexityOf = (latent: number, thresholds: readonly [number, number]): number => {
  const [a, b] = COMPLEXITY_AT_THETA
  const c = a + ((b - a) * (latent - thresholds[0])) / (thresholds[1] - thresholds[0])
  return Math.round(Math.min(10, Math.max(0, c)) * 100) / 100
}

/** Raw scores: nine task logits and the tier latent, into `out` (length OUTPUTS). */
export const scoreFeatures = (
  w: ClassifierWeights,
  f: FeatureBuffer,
  buf: ScoreBuffers,
  out: Float64Array,
): void => {
  const H = w.hidden
  const table = w.sparse
  const sums = buf.sums
  const index = f.index
  const n = f.count
  // Eight hidden units at a time, their sums in locals (registers), not memory: the sparse rows
  // dominate the classifier's time. Integer sums, so the order does not change the result.
  let j0 = 0
  for (; j0 + 8 <= H; j0 += 8) {
    let a0 = 0
    let a1 = 0
    let a2 = 0
    let a3 = 0
    let a4 = 0
    let a5 = 0
    let a6 = 0
    let a7 = 0
    for (let i = 0; i < n; i++) {
      const r = (index[i] as number) * H + j0
      a0 += table[r] as number
      a1 += table[r + 1] as number
      a2 += table[r + 2] as number
      a3 += table[r + 3] as number
      a4 += table[r + 4] as number
      a5 += table[r + 5] as number
      a6 += table[r + 6] as number
      a7 += table[r + 7] as number
    }
    sums[j0] = a0
    sums[j0 + 1] = a1
    sums[j0 + 2] = a2
    sums[j0 + 3] = a3
    sums[j0 + 4] = a4
    sums[j0 + 5] = a5
    sums[j0 + 6] = a6
    sums[j0 + 7] = a7
  }
  for (; j0 < H; j0++) {
    let a = 0
    for (let i = 0; i < n; i++) a += table[(index[i] as number) * H + j0] as number
    sums[j0] = a
  }
  const norm = f.count > 0 ? 1 / Math.sqrt(f.count) : 0
  const h = buf.hidden
  const scales = w.scales
  const bias = w.bias
  for (let j = 0; j < H; j++) h[j] = (bias[j] as number) + (sums[j] as number) * (scales[j] as number) * norm
  const dense = w.dense
  const x = f.dense
  for (let d = 0; d < DENSE; d++) {
    const v = x[d] as number
    if (v === 0) continue
    const r = d * H
    for (let j = 0; j < H; j++) h[j] = (h[j] as number) + v * (dense[r + j] as number)
  }
  const o = w.out
  for (let k = 0; k < OUTPUTS; k++) out[k] = w.outBias[k] as number
  for (let j = 0; j < H; j++) {
    const a = h[j] as number
    if (a <= 0) continue
    const r = j * OUTPUTS
    for (let k = 0; k < OUTPUTS; k++) out[k] = (out[k] as number) + a * (o[r + k] as number)
  }
  if (w.linear !== undefined) addLinear(w.linear, f, norm, buf.sums, out)
}

/** The linear heads' outputs added to `out` (integer sums per output, then scaled). */
const addLinear = (
  l: NonNullable<ClassifierWeights["linear"]>,
  f: FeatureBuffer,
  norm: number,
  sums: Int32Array,
  out: Float64Array,
): void => {
  const table = l.sparse
  const index = f.index
  const n = f.count
  sums.fill(0, 0, OUTPUTS)
  for (let i = 0; i < n; i++) {
    const r = (index[i] as number) * OUTPUTS
    for (let k = 0; k < OUTPUTS; k++) sums[k] = (sums[k] as number) + (table[r + k] as number)
  }
  for (let k = 0; k < OUTPUTS; k++)
    out[k] = (out[k] as number) + (sums[k] as number) * (l.scales[k] as number) * norm
  const x = f.dense
  const dense = l.dense
  for (let d = 0; d < DENSE; d++) {
    const v = x[d] as number
    if (v === 0) continue
    const r = d * OUTPUTS
    for (let k = 0; k < OUTPUTS; k++) out[k] = (out[k] as number) + v * (dense[r + k] as number)
  }
}

/** Calibrated task probabilities from the logits (softmax of z / T). */
export const taskProbabilities = (scores: Float64Array, temperature: number): number[] => {
  let max = Number.NEGATIVE_INFINITY
  for (let k = 0; k < TIER_COLUMN; k++) max = Math.max(max, scores[k] as number)
  const p: number[] = []
  let sum = 0
  for (let k = 0; k < TIER_COLUMN; k++) {
    const e = Math.exp(((scores[k] as number) - max) / temperature)
    p.push(e)
    sum += e
  }
  for (let k = 0; k < TIER_COLUMN; k++) p[k] = (p[k] as number) / sum
  return p
}

/** Calibrated tier probabilities from the latent score (cumulative logit). */
export const tierProbabilities = (
  latent: number,
  thresholds: readonly [number, number],
  temperature: number,
): [number, number, number] => {
  const atMostFast = sigmoid((thresholds[0] - latent) / temperature)
  const atMostBalanced = sigmoid((thresholds[1] - latent) / temperature)
  return [atMostFast, Math.max(0, atMostBalanced - atMostFast), 1 - atMostBalanced]
}

/** The tier of a complexity under the default thresholds (the median tier, up to rounding). */
const tierOf = (complexity: number): Tier =>
  (complexity >= COMPLEXITY_AT_THETA[1]
    ? TIERS[2]
    : complexity >= COMPLEXITY_AT_THETA[0]
      ? TIERS[1]
      : TIERS[0]) as Tier

/** A classifier bound to its weights, with its own reused buffers (one per router, not shared across threads). */
export class RoutingClassifier {
  private readonly features = featureBuffer()
  private readonly buffers: ScoreBuffers
  private readonly scores = new Float64Array(OUTPUTS)

  constructor(
    readonly weights: ClassifierWeights,
    /** Where the weights came from, for explanations. */
    readonly source: string,
  ) {
    this.buffers = scoreBuffers(weights.hidden)
  }

  /** The verdict on a query, given the rules' verdicts on the same text (no request context). */
  classify(q: QueryText, cls: Classification, cx: ComplexityResult): ModelVerdict {
    const w = this.weights
    featurise(q, cls, cx, w.bits, this.features)
    scoreFeatures(w, this.features, this.buffers, this.scores)
    const taskP = taskProbabilities(this.scores, w.taskTemperature)
    let best = 0
    for (let k = 1; k < taskP.length; k++) if ((taskP[k] as number) > (taskP[best] as number)) best = k
    const latent = this.scores[TIER_COLUMN] as number
    const complexity = complexityOf(latent, w.thresholds)
    return {
      task: TASK_TYPES[best] as TaskType,
      taskProbabilities: taskP,
      tier: tierOf(complexity),
      tierProbabilities: tierProbabilities(latent, w.thresholds, w.tierTemperature),
      complexity,
    }
  }
}
