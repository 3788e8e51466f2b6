/**
 * The routing classifier's hidden layer, trained with Adam: one ReLU layer of H units over the
 * same features as the linear heads (hashed sparse rows, an embedding bag; the dense features),
 * feeding nine task logits and the tier's latent score (cumulative logit with two thresholds).
 * Lazy Adam on the sparse rows (only the rows a batch touches move), dropout on the hidden units,
 * decoupled weight decay; seeded (initialisation, shuffling, dropout), so a run is reproducible.
 */
import { TASK_TYPES } from "../../src/domain/task.js"
import { DENSE } from "../../src/routing/features.js"
import type { Featurised } from "./dataset.js"
import { prng } from "./split.js"

const K = TASK_TYPES.length
/** Outputs: nine task logits, then the tier latent. */
const O = K + 1

export interface MlpOptions {
  readonly bits: number
  readonly hidden: number
  readonly epochs: number
  readonly batch: number
  readonly learningRate: number
  /** Decoupled weight decay per step, times the learning rate (AdamW). */
  readonly weightDecay: number
  /** Probability of dropping a hidden unit in training. */
  readonly dropout: number
  /** Weight of the tier head's loss against the task head's. */
  readonly tierWeight: number
  /**
   * Ordinal label smoothing: this much of a tier label's weight moves to its neighbouring tiers
   * (split evenly for balanced), for labels that are noisy between neighbours. 0: none.
   */
  readonly tierSmoothing?: number
  /** Soft tier targets per training row (a teacher's probabilities), mixed in at `softWeight`. */
  readonly softTier?: ReadonlyArray<readonly [number, number, number] | undefined>
  readonly softWeight?: number
  readonly seed: number
}

/** Weights as trained (float32) or dequantised from the shipped int8 table (float64). */
export type Vec = Float32Array | Float64Array

export interface Mlp {
  readonly bits: number
  readonly hidden: number
  /** 2^bits × hidden: the sparse rows' embedding. */
  readonly sparse: Vec
  /** DENSE × hidden. */
  readonly dense: Vec
  readonly bias: Vec
  /** hidden × O: task logits then the tier latent. */
  readonly out: Vec
  readonly outBias: Vec
  /** Tier thresholds on the latent score. */
  readonly thresholds: [number, number]
}

/** Gaussian from the seeded PRNG (Box–Muller). */
const gaussian = (random: () => number) => () =>
  Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

/** Hidden pre-activations of one row into `h` (length hidden). */
export const hiddenOf = (m: Mlp, f: Featurised, h: Float32Array | Float64Array): void => {
  const H = m.hidden
  for (let j = 0; j < H; j++) h[j] = m.bias[j] as number
  for (const [b, v] of f.sparse) {
    const r = b * H
    for (let j = 0; j < H; j++) h[j] = (h[j] as number) + v * (m.sparse[r + j] as number)
  }
  for (let d = 0; d < DENSE; d++) {
    const v = f.dense[d] as number
    if (v === 0) continue
    const r = d * H
    for (let j = 0; j < H; j++) h[j] = (h[j] as number) + v * (m.dense[r + j] as number)
  }
}

/** The nine task logits and the tier latent of each row (rows × O). */
export const mlpScores = (m: Mlp, rows: ReadonlyArray<Featurised>): Float64Array => {
  const H = m.hidden
  const h = new Float64Array(H)
  const out = new Float64Array(rows.length * O)
  rows.forEach((f, r) => {
    hiddenOf(m, f, h)
    for (let k = 0; k < O; k++) out[r * O + k] = m.outBias[k] as number
    for (let j = 0; j < H; j++) {
      const a = h[j] as number
      if (a <= 0) continue
      for (let k = 0; k < O; k++)
        out[r * O + k] = (out[r * O + k] as number) + a * (m.out[j * O + k] as number)
    }
  })
  return out
}

class Adam {
  readonly m: Float32Array
  readonly v: Float32Array
  constructor(n: number) {
    this.m = new Float32Array(n)
    this.v = new Float32Array(n)
  }
}

/** A copy of the model as it is now (training keeps changing the original). */
export const snapshot = (m: Mlp): Mlp => ({
  bits: m.bits,
  hidden: m.hidden,
  sparse: m.sparse.slice(),
  dense: m.dense.slice(),
  bias: m.bias.slice(),
  out: m.out.slice(),
  outBias: m.outBias.slice(),
  thresholds: [m.thresholds[0], m.thresholds[1]],
})

/**
 * Trains the hidden-layer model on `train`; `onEpoch` sees the model after each epoch (for
 * choosing the number of epochs on validation: `snapshot` it to keep it).
 */
export const fitMlp = (
  train: ReadonlyArray<Featurised>,
  o: MlpOptions,
  onEpoch?: (epoch: number, m: Mlp) => void,
): Mlp => {
  const H = o.hidden
  const rowsN = 2 ** o.bits
  const random = prng(o.seed)
  const normal = gaussian(random)
  const sparse = new Float32Array(rowsN * H)
  const init = 0.1
  // Only rows seen in training get weights: a row no training query reached stays zero, so an
  // unseen word adds nothing (not noise) at inference.
  const seen = new Set<number>()
  for (const f of train) for (const [b] of f.sparse) seen.add(b)
  for (const b of [...seen].sort((x, y) => x - y))
    for (let j = 0; j < H; j++) sparse[b * H + j] = normal() * init
  const dense = new Float32Array(DENSE * H)
  for (let i = 0; i < dense.length; i++) dense[i] = normal() * init
  const bias = new Float32Array(H).fill(0.1)
  const out = new Float32Array(H * O)
  for (let i = 0; i < out.length; i++) out[i] = normal() * Math.sqrt(2 / H) * 0.5
  const outBias = new Float32Array(O)
  const model: Mlp = { bits: o.bits, hidden: H, sparse, dense, bias, out, outBias, thresholds: [-1, 1] }
  // Threshold parameters: θ₀ and log(θ₁ − θ₀).
  const th = new Float64Array([-1, Math.log(2)])
  const aSparse = new Adam(sparse.length)
  const aDense = new Adam(dense.length)
  const aBias = new Adam(H)
  const aOut = new Adam(out.length)
  const aOutBias = new Adam(O)
  const aTh = new Adam(2)
  const b1 = 0.9
  const b2 = 0.999
  const eps = 1e-8
  let t = 0
  const h = new Float64Array(H)
  const keep = new Uint8Array(H)
  const dh = new Float64Array(H)
  const z = new Float64Array(O)
  const dz = new Float64Array(O)
  // Gradient accumulators for a batch.
  const gDense = new Float64Array(dense.length)
  const gBias = new Float64Array(H)
  const gOut = new Float64Array(out.length)
  const gOutBias = new Float64Array(O)
  const gTh = new Float64Array(2)
  const gSparse = new Map<number, Float64Array>()
  const pool: Float64Array[] = []
  const order = train.map((_, i) => i)
  const scaleKeep = 1 / (1 - o.dropout)
  const smoothing = o.tierSmoothing ?? 0

  const step = (
    g: number,
    i: number,
    p: Float32Array | Float64Array,
    a: Adam,
    lr: number,
    c1: number,
    c2: number,
    decay = o.weightDecay,
  ) => {
    const m = b1 * (a.m[i] as number) + (1 - b1) * g
    const v = b2 * (a.v[i] as number) + (1 - b2) * g * g
    a.m[i] = m
    a.v[i] = v
    p[i] = (p[i] as number) * (1 - lr * decay) - (lr * (m / c1)) / (Math.sqrt(v / c2) + eps)
  }

  for (let epoch = 0; epoch < o.epochs; epoch++) {
    // Seeded shuffle.
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      const x = order[i] as number
      order[i] = order[j] as number
      order[j] = x
    }
    for (let start = 0; start < order.length; start += o.batch) {
      const end = Math.min(order.length, start + o.batch)
      const n = end - start
      gDense.fill(0)
      gBias.fill(0)
      gOut.fill(0)
      gOutBias.fill(0)
      gTh.fill(0)
      for (const g of gSparse.values()) pool.push(g)
      gSparse.clear()
      const t0 = th[0] as number
      const gap = Math.exp(th[1] as number)
      const t1 = t0 + gap
      for (let p = start; p < end; p++) {
        const f = train[order[p] as number] as Featurised
        hiddenOf(model, f, h)
        for (let j = 0; j < H; j++) {
          const on = (h[j] as number) > 0 && random() >= o.dropout
          keep[j] = on ? 1 : 0
          h[j] = on ? (h[j] as number) * scaleKeep : 0
        }
        for (let k = 0; k < O; k++) z[k] = outBias[k] as number
        for (let j = 0; j < H; j++) {
          const a = h[j] as number
          if (a === 0) continue
          for (let k = 0; k < O; k++) z[k] = (z[k] as number) + a * (out[j * O + k] as number)
        }
        // Task: softmax cross-entropy.
        let max = Number.NEGATIVE_INFINITY
        for (let k = 0; k < K; k++) max = Math.max(max, z[k] as number)
        let sum = 0
        for (let k = 0; k < K; k++) {
          const e = Math.exp((z[k] as number) - max)
          dz[k] = e
          sum += e
        }
        for (let k = 0; k < K; k++) dz[k] = ((dz[k] as number) / sum - (k === f.task ? 1 : 0)) / n
        // Tier: cumulative logit on the latent.
        dz[K] = 0
        if (f.tier >= 0) {
          const s = z[K] as number
          const s0 = sigmoid(t0 - s)
          const s1 = sigmoid(t1 - s)
          let d0 = 0
          let d1 = 0
          const soft = o.softTier?.[order[p] as number]
          if (soft !== undefined) {
            const sw = o.softWeight ?? 0.5
            const q0 = (1 - sw) * (f.tier === 0 ? 1 : 0) + sw * soft[0]
            const q2 = (1 - sw) * (f.tier === 2 ? 1 : 0) + sw * soft[2]
            const q1 = 1 - q0 - q2
            const pr = Math.max(s1 - s0, 1e-12)
            d0 = -q0 * (1 - s0) + (q1 * s0 * (1 - s0)) / pr
            d1 = q2 * s1 - (q1 * s1 * (1 - s1)) / pr
          } else if (smoothing === 0) {
            if (f.tier === 0) d0 = -(1 - s0)
            else if (f.tier === 2) d1 = s1
            else {
              const pr = Math.max(s1 - s0, 1e-12)
              d1 = -(s1 * (1 - s1)) / pr
              d0 = (s0 * (1 - s0)) / pr
            }
          } else {
            // Soft targets q over the three tiers: the loss −Σ q_k log p_k, its gradient in θ₀, θ₁.
            const q0 = f.tier === 0 ? 1 - smoothing : f.tier === 1 ? smoothing / 2 : 0
            const q2 = f.tier === 2 ? 1 - smoothing : f.tier === 1 ? smoothing / 2 : 0
            const q1 = 1 - q0 - q2
            const pr = Math.max(s1 - s0, 1e-12)
            d0 = -q0 * (1 - s0) + (q1 * s0 * (1 - s0)) / pr
            d1 = q2 * s1 - (q1 * s1 * (1 - s1)) / pr
          }
          const w = o.tierWeight / n
          gTh[0] = (gTh[0] as number) + w * (d0 + d1)
          gTh[1] = (gTh[1] as number) + w * d1 * gap
          dz[K] = -w * (d0 + d1)
        }
        for (let k = 0; k < O; k++) gOutBias[k] = (gOutBias[k] as number) + (dz[k] as number)
        for (let j = 0; j < H; j++) {
          const a = h[j] as number
          let back = 0
          for (let k = 0; k < O; k++) {
            back += (dz[k] as number) * (out[j * O + k] as number)
            if (a !== 0) gOut[j * O + k] = (gOut[j * O + k] as number) + a * (dz[k] as number)
          }
          dh[j] = keep[j] === 1 ? back * scaleKeep : 0
        }
        for (let j = 0; j < H; j++) gBias[j] = (gBias[j] as number) + (dh[j] as number)
        for (let d = 0; d < DENSE; d++) {
          const v = f.dense[d] as number
          if (v === 0) continue
          for (let j = 0; j < H; j++)
            gDense[d * H + j] = (gDense[d * H + j] as number) + v * (dh[j] as number)
        }
        for (const [b, v] of f.sparse) {
          let g = gSparse.get(b)
          if (g === undefined) {
            g = pool.pop() ?? new Float64Array(H)
            g.fill(0)
            gSparse.set(b, g)
          }
          for (let j = 0; j < H; j++) g[j] = (g[j] as number) + v * (dh[j] as number)
        }
      }
      t++
      const c1 = 1 - b1 ** t
      const c2 = 1 - b2 ** t
      const lr = o.learningRate
      for (const [b, g] of gSparse) {
        const r = b * H
        for (let j = 0; j < H; j++) step(g[j] as number, r + j, sparse, aSparse, lr, c1, c2)
      }
      for (let i = 0; i < dense.length; i++) step(gDense[i] as number, i, dense, aDense, lr, c1, c2)
      for (let i = 0; i < H; i++) step(gBias[i] as number, i, bias, aBias, lr, c1, c2, 0)
      for (let i = 0; i < out.length; i++) step(gOut[i] as number, i, out, aOut, lr, c1, c2)
      for (let i = 0; i < O; i++) step(gOutBias[i] as number, i, outBias, aOutBias, lr, c1, c2, 0)
      step(gTh[0] as number, 0, th, aTh, lr, c1, c2, 0)
      step(gTh[1] as number, 1, th, aTh, lr, c1, c2, 0)
    }
    model.thresholds[0] = th[0] as number
    model.thresholds[1] = (th[0] as number) + Math.exp(th[1] as number)
    onEpoch?.(epoch + 1, model)
  }
  return model
}
