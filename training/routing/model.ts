/**
 * Fitting, calibrating, scoring and exporting the classifier. A fitted model holds float weights
 * over compact columns; `quantise` turns it into the shipped file (int8 sparse table with one
 * scale per output, float dense rows) and back into compact float weights, so the training
 * script measures exactly the numbers the router will compute.
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
import { type Columns, columnsOf, csrOf, type Featurised } from "./dataset.js"
import {
  type Csr,
  fitTemperature,
  lbfgs,
  linearScores,
  ordinalObjective,
  softmaxObjective,
} from "./linear.js"

const K = TASK_TYPES.length

export interface FitOptions {
  readonly bits: number
  readonly taskLambda: number
  readonly tierLambda: number
  readonly maxIter: number
}

export interface FittedModel {
  readonly bits: number
  readonly columns: Columns
  /** cols × 9 task weights. */
  readonly task: Float64Array
  /** cols tier weights. */
  readonly tier: Float64Array
  readonly thresholds: readonly [number, number]
  readonly taskTemperature: number
  readonly tierTemperature: number
}

/** The task head: softmax over the nine task types. */
export const fitTask = (
  m: Csr,
  train: ReadonlyArray<Featurised>,
  lambda: number,
  maxIter: number,
): Float64Array => {
  const task = new Float64Array(m.cols * K)
  lbfgs(softmaxObjective(m, Int32Array.from(train.map((f) => f.task)), K, lambda), task, maxIter)
  return task
}

/** The tier head: cumulative logit over the rows with a tier; weights and thresholds. */
export const fitTier = (
  train: ReadonlyArray<Featurised>,
  columns: Columns,
  lambda: number,
  maxIter: number,
): { readonly tier: Float64Array; readonly thresholds: readonly [number, number] } => {
  const tiered = train.filter((f) => f.tier >= 0)
  const mt = csrOf(tiered, columns)
  const x = new Float64Array(columns.cols + 2)
  x[columns.cols] = -0.5
  lbfgs(ordinalObjective(mt, Int32Array.from(tiered.map((f) => f.tier)), lambda), x, maxIter)
  const t0 = x[columns.cols] as number
  return { tier: x.slice(0, columns.cols), thresholds: [t0, t0 + Math.exp(x[columns.cols + 1] as number)] }
}

export const fitModel = (train: ReadonlyArray<Featurised>, o: FitOptions): FittedModel => {
  const columns = columnsOf(train)
  const task = fitTask(csrOf(train, columns), train, o.taskLambda, o.maxIter)
  const { tier, thresholds } = fitTier(train, columns, o.tierLambda, o.maxIter)
  return { bits: o.bits, columns, task, tier, thresholds, taskTemperature: 1, tierTemperature: 1 }
}

export interface Scores {
  /** rows × 9 task logits. */
  readonly task: Float64Array
  /** rows latent tier scores. */
  readonly latent: Float64Array
}

export const scoreRows = (model: FittedModel, rows: ReadonlyArray<Featurised>): Scores => {
  const m: Csr = csrOf(rows, model.columns)
  const task = new Float64Array(rows.length * K)
  const latent = new Float64Array(rows.length)
  linearScores(m, model.task, K, task)
  linearScores(m, model.tier, 1, latent)
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

/** The shipped file, and the model as the router will see it (dequantised). */
export const quantise = (
  model: FittedModel,
  training: unknown,
): { file: WeightsFile; model: FittedModel } => {
  const { columns } = model
  const rows = 2 ** model.bits
  const table = new Float64Array(rows * OUTPUTS)
  for (let c = 0; c < columns.sparseCols; c++) {
    const b = columns.colToBucket[c] as number
    for (let k = 0; k < K; k++) table[b * OUTPUTS + k] = model.task[c * K + k] as number
    table[b * OUTPUTS + K] = model.tier[c] as number
  }
  const scales: number[] = []
  for (let k = 0; k < OUTPUTS; k++) {
    let max = 0
    for (let r = 0; r < rows; r++) max = Math.max(max, Math.abs(table[r * OUTPUTS + k] as number))
    scales.push(max / 127)
  }
  const q = new Int8Array(rows * OUTPUTS)
  for (let i = 0; i < q.length; i++) {
    const s = scales[i % OUTPUTS] as number
    q[i] = s === 0 ? 0 : Math.max(-127, Math.min(127, Math.round((table[i] as number) / s)))
  }
  const bytes = Buffer.from(q.buffer)
  // Dense rows are stored as float32, as the router holds them.
  const f32 = (v: number) => Math.fround(v)
  const dense: number[][] = []
  for (let j = 0; j < DENSE; j++) {
    const c = columns.sparseCols + j
    const row: number[] = []
    for (let k = 0; k < K; k++) row.push(f32(model.task[c * K + k] as number))
    row.push(f32(model.tier[c] as number))
    dense.push(row)
  }
  const file: WeightsFile = {
    format: WEIGHTS_FORMAT,
    version: WEIGHTS_VERSION,
    featureVersion: FEATURE_VERSION,
    fingerprint: featureFingerprint(),
    bits: model.bits,
    tasks: TASK_TYPES,
    tiers: TIERS,
    denseFeatures: DENSE_FEATURES,
    scales,
    sparse: bytes.toString("base64"),
    sparseSha256: createHash("sha256").update(bytes).digest("hex"),
    dense,
    taskTemperature: model.taskTemperature,
    tierTemperature: model.tierTemperature,
    thresholds: [model.thresholds[0], model.thresholds[1]],
    training,
  }
  // Back to compact float weights: value × scale, as the router computes them (it sums the int8
  // values of a row and scales the sum; the same number up to float rounding).
  const task = new Float64Array(columns.cols * K)
  const tier = new Float64Array(columns.cols)
  for (let c = 0; c < columns.sparseCols; c++) {
    const b = columns.colToBucket[c] as number
    for (let k = 0; k < K; k++) task[c * K + k] = (q[b * OUTPUTS + k] as number) * (scales[k] as number)
    tier[c] = (q[b * OUTPUTS + K] as number) * (scales[K] as number)
  }
  for (let j = 0; j < DENSE; j++) {
    const c = columns.sparseCols + j
    const row = dense[j] as number[]
    for (let k = 0; k < K; k++) task[c * K + k] = row[k] as number
    tier[c] = row[K] as number
  }
  return { file, model: { ...model, task, tier } }
}
