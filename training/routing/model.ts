/**
 * The fitted classifier as the training script handles it: the hidden-layer model of mlp.ts,
 * optionally averaged with the linear heads of linear.ts (`ensemble`: the network's outputs
 * weighted by a, the linear heads' by 1 − a, folded into the weights, so scoring is a sum), plus
 * the two temperatures; scoring rows (task logits and the tier latent), calibrating the
 * temperatures on validation, and exporting. `quantise` turns a model into the shipped file (each
 * sparse table as int8 with one scale per column; the small dense parts as float32) and back into
 * float weights, so the training script measures exactly the numbers the router will compute.
 */
import { createHash } from "node:crypto"
import { TASK_TYPES } from "../../src/domain/task.js"
import { TIERS } from "../../src/domain/tier.js"
import { OUTPUTS, taskProbabilities, tierProbabilities } from "../../src/routing/classifier.js"
import { DENSE, DENSE_FEATURES, FEATURE_VERSION } from "../../src/routing/features.js"
import {
  featureFingerprint,
  WEIGHTS_FORMAT,
  WEIGHTS_VERSION,
  type WeightsFile,
} from "../../src/routing/weights.js"
import type { Featurised } from "./dataset.js"
import { type Linear, linearOutputs } from "./linear.js"
import { type Mlp, mlpScores } from "./mlp.js"
import { fitTemperature } from "./temperature.js"

const K = TASK_TYPES.length

export interface FittedModel extends Mlp {
  /** Linear heads added to the network's outputs (already weighted; see `ensemble`). */
  readonly linear?: Linear
  readonly taskTemperature: number
  readonly tierTemperature: number
}

/**
 * The average of the network (weight a) and the linear heads (1 − a): both members' outputs and
 * thresholds scaled and summed, the thresholds blended the same way.
 */
export const ensemble = (m: Mlp, l: Linear, a: number): Mlp & { readonly linear: Linear } => ({
  ...m,
  out: m.out.map((v) => a * v),
  outBias: m.outBias.map((v) => a * v),
  thresholds: [
    a * m.thresholds[0] + (1 - a) * l.thresholds[0],
    a * m.thresholds[1] + (1 - a) * l.thresholds[1],
  ],
  linear: {
    sparse: l.sparse.map((v) => (1 - a) * v),
    dense: l.dense.map((v) => (1 - a) * v),
    thresholds: l.thresholds,
  },
})

export const withTemperatures = (
  m: Mlp & { readonly linear?: Linear },
  taskTemperature = 1,
  tierTemperature = 1,
): FittedModel => ({
  ...m,
  taskTemperature,
  tierTemperature,
})

export interface Scores {
  /** rows × 9 task logits. */
  readonly task: Float64Array
  /** rows latent tier scores. */
  readonly latent: Float64Array
}

export const scoreRows = (
  model: Mlp & { readonly linear?: Linear },
  rows: ReadonlyArray<Featurised>,
): Scores => {
  const z = mlpScores(model, rows)
  if (model.linear !== undefined) {
    const l = linearOutputs(model.linear, rows)
    for (let i = 0; i < z.length; i++) z[i] = (z[i] as number) + (l[i] as number)
  }
  const task = new Float64Array(rows.length * K)
  const latent = new Float64Array(rows.length)
  for (let r = 0; r < rows.length; r++) {
    for (let k = 0; k < K; k++) task[r * K + k] = z[r * OUTPUTS + k] as number
    latent[r] = z[r * OUTPUTS + K] as number
  }
  return { task, latent }
}

export const taskProbs = (s: Scores, r: number, temperature: number): number[] =>
  taskProbabilities(s.task.subarray(r * K, r * K + K) as Float64Array, temperature)

export const tierProbs = (model: FittedModel, s: Scores, r: number, temperature = model.tierTemperature) =>
  tierProbabilities(s.latent[r] as number, model.thresholds, temperature)

/** Temperatures minimising validation NLL (task: all rows; tier: rows with a tier). */
export const calibrate = (model: FittedModel, validation: ReadonlyArray<Featurised>): FittedModel => {
  const s = scoreRows(model, validation)
  const taskT = fitTemperature((t) => {
    let nll = 0
    validation.forEach((f, r) => {
      nll -= Math.log(Math.max(1e-12, taskProbs(s, r, t)[f.task] as number))
    })
    return nll
  })
  const tierT = fitTemperature((t) => {
    let nll = 0
    validation.forEach((f, r) => {
      if (f.tier >= 0) nll -= Math.log(Math.max(1e-12, tierProbs(model, s, r, t)[f.tier] as number))
    })
    return nll
  })
  return { ...model, taskTemperature: taskT, tierTemperature: tierT }
}

const f32 = (v: ArrayLike<number>): number[] => Array.from(v, (x) => Math.fround(x))

/** The shipped file, and the model as the router will see it (dequantised). */
export const quantise = (
  model: FittedModel,
  training: unknown,
): { file: WeightsFile; model: FittedModel } => {
  const H = model.hidden
  const rows = 2 ** model.bits
  const scales: number[] = []
  for (let j = 0; j < H; j++) {
    let max = 0
    for (let r = 0; r < rows; r++) max = Math.max(max, Math.abs(model.sparse[r * H + j] as number))
    scales.push(max / 127)
  }
  const q = new Int8Array(rows * H)
  for (let i = 0; i < q.length; i++) {
    const s = scales[i % H] as number
    q[i] = s === 0 ? 0 : Math.max(-127, Math.min(127, Math.round((model.sparse[i] as number) / s)))
  }
  const bytes = Buffer.from(q.buffer)
  const rowsOf = (v: ArrayLike<number>, width: number): number[][] => {
    const out: number[][] = []
    const flat = f32(v)
    for (let i = 0; i < flat.length; i += width) out.push(flat.slice(i, i + width))
    return out
  }
  const linear = model.linear === undefined ? undefined : quantiseLinear(model.linear, rows)
  const file: WeightsFile = {
    format: WEIGHTS_FORMAT,
    version: WEIGHTS_VERSION,
    featureVersion: FEATURE_VERSION,
    fingerprint: featureFingerprint(),
    bits: model.bits,
    hidden: H,
    tasks: TASK_TYPES,
    tiers: TIERS,
    denseFeatures: DENSE_FEATURES,
    scales,
    sparse: bytes.toString("base64"),
    sparseSha256: createHash("sha256").update(bytes).digest("hex"),
    dense: rowsOf(model.dense, H),
    bias: f32(model.bias),
    out: rowsOf(model.out, OUTPUTS),
    outBias: f32(model.outBias),
    taskTemperature: model.taskTemperature,
    tierTemperature: model.tierTemperature,
    thresholds: [model.thresholds[0], model.thresholds[1]],
    ...(linear === undefined ? {} : { linear: linear.file }),
    training,
  }
  // Back to float weights: value × scale, as the router computes them (it sums the int8 values
  // of a hidden unit and scales the sum; the same number up to float rounding).
  const sparse = new Float64Array(rows * H)
  for (let i = 0; i < q.length; i++) sparse[i] = (q[i] as number) * (scales[i % H] as number)
  const dense = Float64Array.from(file.dense.flat())
  if (dense.length !== DENSE * H) throw new Error("dense: wrong size")
  return {
    file,
    model: {
      ...model,
      sparse,
      dense,
      bias: Float64Array.from(file.bias),
      out: Float64Array.from(file.out.flat()),
      outBias: Float64Array.from(file.outBias),
      ...(linear === undefined ? {} : { linear: linear.linear }),
    },
  }
}

/** The linear heads' table as int8 with one scale per output, and back (as the router reads it). */
const quantiseLinear = (
  l: Linear,
  rows: number,
): { file: NonNullable<WeightsFile["linear"]>; linear: Linear } => {
  const scales: number[] = []
  for (let k = 0; k < OUTPUTS; k++) {
    let max = 0
    for (let r = 0; r < rows; r++) max = Math.max(max, Math.abs(l.sparse[r * OUTPUTS + k] as number))
    scales.push(max / 127)
  }
  const q = new Int8Array(rows * OUTPUTS)
  for (let i = 0; i < q.length; i++) {
    const s = scales[i % OUTPUTS] as number
    q[i] = s === 0 ? 0 : Math.max(-127, Math.min(127, Math.round((l.sparse[i] as number) / s)))
  }
  const bytes = Buffer.from(q.buffer)
  const dense: number[][] = []
  const flat = f32(l.dense)
  for (let i = 0; i < flat.length; i += OUTPUTS) dense.push(flat.slice(i, i + OUTPUTS))
  const sparse = new Float64Array(rows * OUTPUTS)
  for (let i = 0; i < q.length; i++) sparse[i] = (q[i] as number) * (scales[i % OUTPUTS] as number)
  return {
    file: {
      scales,
      sparse: bytes.toString("base64"),
      sparseSha256: createHash("sha256").update(bytes).digest("hex"),
      dense,
    },
    linear: { sparse, dense: Float64Array.from(flat), thresholds: l.thresholds },
  }
}
