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
 * (the median tier). Pure and allocation-light; the weights come from weights.ts. For inference
 * both int8 tables are packed at construction into one 64-byte row per hashed feature (`packRows`,
 * 4 MB for the shipped 2^16 rows, kept beside the weights): one memory read per occurrence.
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

/**
 * The sparse tables as inference reads them: each row holds the hidden layer's int8 row, then the
 * linear heads' (when present), padded to `stride` words (a whole 64-byte cache line for the
 * shipped 32 + 10), so each occurrence costs one random memory read, not one per table. Stored
 * biased (value + 128, so 0–255) four to a 32-bit word, column c in bits 8·(c mod 4): summing
 * words under the masks 0x00ff00ff adds two columns per integer addition in 16-bit lanes, which
 * cannot carry for up to LANE_ROWS rows (see `sumRows`). Built at load, from the weights.
 */
export interface PackedRows {
  readonly words: Int32Array
  /** 32-bit words per row. */
  readonly stride: number
  /** Columns summed: hidden units + linear outputs, rounded up to a multiple of 16 (4 words). */
  readonly columns: number
}

/** Rows summed per lane before the lanes are emptied: 256 × 255 < 2^16. */
const LANE_ROWS = 256

export const packRows = (w: ClassifierWeights): PackedRows => {
  const H = w.hidden
  const L = w.linear !== undefined ? OUTPUTS : 0
  const columns = Math.ceil((H + L) / 16) * 16
  const bytes = columns <= 32 ? columns : Math.ceil(columns / 64) * 64
  const stride = bytes / 4
  const n = 2 ** w.bits
  const words = new Int32Array(n * stride)
  // One row's biased bytes (padding columns hold 0, biased 128), then four to a word.
  const row = new Uint8Array(columns)
  for (let r = 0; r < n; r++) {
    row.fill(128)
    for (let c = 0; c < H; c++) row[c] = (w.sparse[r * H + c] as number) + 128
    for (let c = 0; c < L; c++) row[H + c] = (w.linear?.sparse[r * L + c] as number) + 128
    for (let q = 0; q < columns / 4; q++) {
      words[r * stride + q] =
        (row[4 * q] as number) |
        ((row[4 * q + 1] as number) << 8) |
        ((row[4 * q + 2] as number) << 16) |
        ((row[4 * q + 3] as number) << 24)
    }
  }
  return { words, stride, columns }
}

/** Reused buffers of one scoring: the int8 sums (hidden units, then linear outputs) and the hidden activations. */
export interface ScoreBuffers {
  readonly sums: Int32Array
  readonly hidden: Float64Array
  /** The indices of the non-zero dense features. */
  readonly nonZero: Int32Array
}

export const scoreBuffers = (packed: PackedRows, hidden: number): ScoreBuffers => ({
  sums: new Int32Array(packed.columns),
  hidden: new Float64Array(hidden),
  nonZero: new Int32Array(DENSE),
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

/**
 * The integer sums of the occurrences' rows, per column, into `sums`: the sparse rows dominate
 * the classifier's time. Sixteen columns (four words) a pass, in eight accumulators held in
 * locals (registers): `even` lanes hold columns 4q and 4q + 2, `odd` ones 4q + 1 and 4q + 3;
 * emptied every LANE_ROWS rows, less the bias. Integer sums, exact whatever the order.
 */
export const sumRows = (packed: PackedRows, f: FeatureBuffer, sums: Int32Array): void => {
  const table = packed.words
  const stride = packed.stride
  const index = f.index
  const n = f.count
  sums.fill(0)
  for (let from = 0; from < n; from += LANE_ROWS) {
    const to = Math.min(n, from + LANE_ROWS)
    const bias = 128 * (to - from)
    for (let q0 = 0; q0 < packed.columns / 4; q0 += 4) {
      let e0 = 0
      let o0 = 0
      let e1 = 0
      let o1 = 0
      let e2 = 0
      let o2 = 0
      let e3 = 0
      let o3 = 0
      for (let i = from; i < to; i++) {
        const r = (index[i] as number) * stride + q0
        const x0 = table[r] as number
        const x1 = table[r + 1] as number
        const x2 = table[r + 2] as number
        const x3 = table[r + 3] as number
        e0 = (e0 + (x0 & 0xff00ff)) | 0
        o0 = (o0 + ((x0 >>> 8) & 0xff00ff)) | 0
        e1 = (e1 + (x1 & 0xff00ff)) | 0
        o1 = (o1 + ((x1 >>> 8) & 0xff00ff)) | 0
        e2 = (e2 + (x2 & 0xff00ff)) | 0
        o2 = (o2 + ((x2 >>> 8) & 0xff00ff)) | 0
        e3 = (e3 + (x3 & 0xff00ff)) | 0
        o3 = (o3 + ((x3 >>> 8) & 0xff00ff)) | 0
      }
      addLanes(sums, 4 * q0, e0, o0, bias)
      addLanes(sums, 4 * q0 + 4, e1, o1, bias)
      addLanes(sums, 4 * q0 + 8, e2, o2, bias)
      addLanes(sums, 4 * q0 + 12, e3, o3, bias)
    }
  }
}

/** One word's four column sums, from its even and odd lane accumulators, less the bias. */
const addLanes = (sums: Int32Array, c: number, even: number, odd: number, bias: number): void => {
  sums[c] = (sums[c] as number) + (even & 0xffff) - bias
  sums[c + 1] = (sums[c + 1] as number) + (odd & 0xffff) - bias
  sums[c + 2] = (sums[c + 2] as number) + (even >>> 16) - bias
  sums[c + 3] = (sums[c + 3] as number) + (odd >>> 16) - bias
}

/**
 * Raw scores: nine task logits and the tier latent, into `out` (length OUTPUTS). Each unit and
 * output is summed in a local, its terms in the same order as the layer's definition (bias, the
 * sparse sum, the non-zero dense features in order; the hidden units in order, then the linear
 * heads), so the floating-point result is the same as summing layer by layer.
 */
export const scoreFeatures = (
  w: ClassifierWeights,
  packed: PackedRows,
  f: FeatureBuffer,
  buf: ScoreBuffers,
  out: Float64Array,
): void => {
  const H = w.hidden
  const sums = buf.sums
  sumRows(packed, f, sums)
  const norm = f.count > 0 ? 1 / Math.sqrt(f.count) : 0
  // The non-zero dense features, in order: most are one-hot and zero.
  const x = f.dense
  const nonZero = buf.nonZero
  let nz = 0
  for (let d = 0; d < DENSE; d++) if ((x[d] as number) !== 0) nonZero[nz++] = d
  const h = buf.hidden
  const scales = w.scales
  const bias = w.bias
  const dense = w.dense
  for (let j = 0; j < H; j++) {
    let a = (bias[j] as number) + (sums[j] as number) * (scales[j] as number) * norm
    for (let i = 0; i < nz; i++) {
      const d = nonZero[i] as number
      a = a + (x[d] as number) * (dense[d * H + j] as number)
    }
    h[j] = a
  }
  const o = w.out
  const l = w.linear
  for (let k = 0; k < OUTPUTS; k++) {
    let z = w.outBias[k] as number
    for (let j = 0; j < H; j++) {
      const a = h[j] as number
      if (!(a <= 0)) z = z + a * (o[j * OUTPUTS + k] as number)
    }
    if (l !== undefined) {
      // The linear heads: their sparse sums sit in `sums` after the hidden units'.
      z = z + (sums[H + k] as number) * (l.scales[k] as number) * norm
      for (let i = 0; i < nz; i++) {
        const d = nonZero[i] as number
        z = z + (x[d] as number) * (l.dense[d * OUTPUTS + k] as number)
      }
    }
    out[k] = z
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
  private readonly packed: PackedRows
  private readonly buffers: ScoreBuffers
  private readonly scores = new Float64Array(OUTPUTS)

  constructor(
    readonly weights: ClassifierWeights,
    /** Where the weights came from, for explanations. */
    readonly source: string,
  ) {
    this.packed = packRows(weights)
    this.buffers = scoreBuffers(this.packed, weights.hidden)
  }

  /** The verdict on a query, given the rules' verdicts on the same text (no request context). */
  classify(q: QueryText, cls: Classification, cx: ComplexityResult): ModelVerdict {
    const w = this.weights
    featurise(q, cls, cx, w.bits, this.features)
    scoreFeatures(w, this.packed, this.features, this.buffers, this.scores)
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
