/**
 * The linear heads of the classifier's second member (the network and these linear heads are
 * averaged, train.ts): softmax cross-entropy for the nine task logits and the cumulative-logit
 * (proportional-odds) likelihood for the tier latent, each with L2, fitted by L-BFGS with a
 * backtracking line search over a sparse design matrix (CSR) of the table rows seen in training
 * and the dense features. The fit is returned as a full table (2^bits rows × the nine task logits
 * and the tier latent), the layout the router reads. Deterministic: no randomness at all.
 */
import { TASK_TYPES } from "../../src/domain/task.js"
import { OUTPUTS } from "../../src/routing/classifier.js"
import { DENSE } from "../../src/routing/features.js"
import type { Featurised } from "./dataset.js"

/** Rows of (column, value) pairs. */
export interface Csr {
  readonly rows: number
  readonly cols: number
  readonly start: Int32Array
  readonly col: Int32Array
  readonly val: Float64Array
}

export type Objective = (x: Float64Array, grad: Float64Array) => number

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number)
  return s
}

/** Minimises `f` from `x0` (changed in place) by L-BFGS; returns the final loss. */
export const lbfgs = (f: Objective, x: Float64Array, maxIter = 300, memory = 10, tol = 1e-7): number => {
  const n = x.length
  const g = new Float64Array(n)
  let loss = f(x, g)
  const s: Float64Array[] = []
  const y: Float64Array[] = []
  const rho: number[] = []
  const d = new Float64Array(n)
  const xNew = new Float64Array(n)
  const gNew = new Float64Array(n)
  const alpha = new Float64Array(memory)
  for (let iter = 0; iter < maxIter; iter++) {
    // Two-loop recursion: d = −H·g.
    for (let i = 0; i < n; i++) d[i] = -(g[i] as number)
    for (let k = s.length - 1; k >= 0; k--) {
      const a = (rho[k] as number) * dot(s[k] as Float64Array, d)
      alpha[k] = a
      const yk = y[k] as Float64Array
      for (let i = 0; i < n; i++) d[i] = (d[i] as number) - a * (yk[i] as number)
    }
    if (s.length > 0) {
      const last = s.length - 1
      const gamma =
        dot(s[last] as Float64Array, y[last] as Float64Array) /
        dot(y[last] as Float64Array, y[last] as Float64Array)
      for (let i = 0; i < n; i++) d[i] = (d[i] as number) * gamma
    } else {
      const norm = Math.sqrt(dot(g, g))
      for (let i = 0; i < n; i++) d[i] = (d[i] as number) / Math.max(1, norm)
    }
    for (let k = 0; k < s.length; k++) {
      const b = (rho[k] as number) * dot(y[k] as Float64Array, d)
      const sk = s[k] as Float64Array
      const a = alpha[k] as number
      for (let i = 0; i < n; i++) d[i] = (d[i] as number) + (a - b) * (sk[i] as number)
    }
    let slope = dot(g, d)
    if (slope >= 0) {
      // Not a descent direction: restart from steepest descent.
      for (let i = 0; i < n; i++) d[i] = -(g[i] as number)
      slope = dot(g, d)
      s.length = 0
      y.length = 0
      rho.length = 0
    }
    let step = 1
    let newLoss = Number.POSITIVE_INFINITY
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = (x[i] as number) + step * (d[i] as number)
      newLoss = f(xNew, gNew)
      if (newLoss <= loss + 1e-4 * step * slope) break
      step *= 0.5
    }
    if (!(newLoss < loss)) break
    const sk = new Float64Array(n)
    const yk = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      sk[i] = (xNew[i] as number) - (x[i] as number)
      yk[i] = (gNew[i] as number) - (g[i] as number)
    }
    const sy = dot(sk, yk)
    if (sy > 1e-12) {
      s.push(sk)
      y.push(yk)
      rho.push(1 / sy)
      if (s.length > memory) {
        s.shift()
        y.shift()
        rho.shift()
      }
    }
    x.set(xNew)
    g.set(gNew)
    const improved = (loss - newLoss) / Math.max(1, Math.abs(loss))
    loss = newLoss
    if (improved < tol) break
  }
  return loss
}

/** Per-row linear scores for K outputs: out[r·K + k] = Σ val · w[col·K + k] + offset. */
export const linearScores = (m: Csr, w: Float64Array, k: number, out: Float64Array): void => {
  out.fill(0)
  for (let r = 0; r < m.rows; r++) {
    const base = r * k
    for (let p = m.start[r] as number; p < (m.start[r + 1] as number); p++) {
      const v = m.val[p] as number
      const c = (m.col[p] as number) * k
      for (let j = 0; j < k; j++) out[base + j] = (out[base + j] as number) + v * (w[c + j] as number)
    }
  }
}

/** Softmax cross-entropy with L2 (weights: cols × k, row-major). `weight` per row (default 1). */
export const softmaxObjective = (
  m: Csr,
  labels: Int32Array,
  k: number,
  lambda: number,
  weight?: Float64Array,
): Objective => {
  const z = new Float64Array(m.rows * k)
  const totalWeight = weight === undefined ? m.rows : weight.reduce((a, b) => a + b, 0)
  return (w, grad) => {
    linearScores(m, w, k, z)
    grad.fill(0)
    let loss = 0
    for (let r = 0; r < m.rows; r++) {
      const base = r * k
      let max = Number.NEGATIVE_INFINITY
      for (let j = 0; j < k; j++) max = Math.max(max, z[base + j] as number)
      let sum = 0
      for (let j = 0; j < k; j++) {
        const e = Math.exp((z[base + j] as number) - max)
        z[base + j] = e
        sum += e
      }
      const y = labels[r] as number
      const wr = (weight?.[r] ?? 1) / totalWeight
      loss -= wr * Math.log((z[base + y] as number) / sum)
      for (let j = 0; j < k; j++) z[base + j] = ((z[base + j] as number) / sum - (j === y ? 1 : 0)) * wr
      for (let p = m.start[r] as number; p < (m.start[r + 1] as number); p++) {
        const v = m.val[p] as number
        const c = (m.col[p] as number) * k
        for (let j = 0; j < k; j++) grad[c + j] = (grad[c + j] as number) + v * (z[base + j] as number)
      }
    }
    for (let i = 0; i < w.length; i++) {
      const wi = w[i] as number
      loss += 0.5 * lambda * wi * wi
      grad[i] = (grad[i] as number) + lambda * wi
    }
    return loss
  }
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

/**
 * Cumulative-logit (proportional odds) for three ordered classes with L2 on the weights.
 * Parameters: cols weights, then θ₀ and log(θ₁ − θ₀) (so the thresholds stay ordered).
 */
export const ordinalObjective = (
  m: Csr,
  labels: Int32Array,
  lambda: number,
  weight?: Float64Array,
): Objective => {
  const s = new Float64Array(m.rows)
  const cols = m.cols
  const totalWeight = weight === undefined ? m.rows : weight.reduce((a, b) => a + b, 0)
  return (x, grad) => {
    linearScores(m, x, 1, s)
    grad.fill(0)
    const t0 = x[cols] as number
    const gap = Math.exp(x[cols + 1] as number)
    const t1 = t0 + gap
    let loss = 0
    let gt0 = 0
    let gGap = 0
    for (let r = 0; r < m.rows; r++) {
      const y = labels[r] as number
      const wr = (weight?.[r] ?? 1) / totalWeight
      const a0 = t0 - (s[r] as number)
      const a1 = t1 - (s[r] as number)
      const s0 = sigmoid(a0)
      const s1 = sigmoid(a1)
      let d0 = 0
      let d1 = 0
      if (y === 0) {
        loss -= wr * Math.log(Math.max(s0, 1e-300))
        d0 = -(1 - s0)
      } else if (y === 2) {
        loss -= wr * Math.log(Math.max(1 - s1, 1e-300))
        d1 = s1
      } else {
        const p = Math.max(s1 - s0, 1e-300)
        loss -= wr * Math.log(p)
        d1 = -(s1 * (1 - s1)) / p
        d0 = (s0 * (1 - s0)) / p
      }
      d0 *= wr
      d1 *= wr
      gt0 += d0 + d1
      gGap += d1 * gap
      const ds = -(d0 + d1)
      for (let p = m.start[r] as number; p < (m.start[r + 1] as number); p++) {
        const c = m.col[p] as number
        grad[c] = (grad[c] as number) + (m.val[p] as number) * ds
      }
    }
    for (let i = 0; i < cols; i++) {
      const wi = x[i] as number
      loss += 0.5 * lambda * wi * wi
      grad[i] = (grad[i] as number) + lambda * wi
    }
    grad[cols] = gt0
    grad[cols + 1] = gGap
    return loss
  }
}

/** Column numbering: table rows seen in `train`, then the dense features. */
interface Columns {
  readonly bucketToCol: Map<number, number>
  readonly colToBucket: Int32Array
  readonly sparseCols: number
  readonly cols: number
}

const columnsOf = (train: ReadonlyArray<Featurised>): Columns => {
  const seen = new Set<number>()
  for (const f of train) for (const [b] of f.sparse) seen.add(b)
  const buckets = [...seen].sort((a, b) => a - b)
  return {
    bucketToCol: new Map(buckets.map((b, i) => [b, i])),
    colToBucket: Int32Array.from(buckets),
    sparseCols: buckets.length,
    cols: buckets.length + DENSE,
  }
}

/** The design matrix of `rows` under `columns` (table rows unseen in training are dropped). */
const csrOf = (rows: ReadonlyArray<Featurised>, columns: Columns): Csr => {
  const start = new Int32Array(rows.length + 1)
  const col: number[] = []
  const val: number[] = []
  rows.forEach((f, r) => {
    for (const [b, v] of f.sparse) {
      const c = columns.bucketToCol.get(b)
      if (c === undefined) continue
      col.push(c)
      val.push(v)
    }
    for (let j = 0; j < DENSE; j++) {
      const v = f.dense[j] as number
      if (v === 0) continue
      col.push(columns.sparseCols + j)
      val.push(v)
    }
    start[r + 1] = col.length
  })
  return {
    rows: rows.length,
    cols: columns.cols,
    start,
    col: Int32Array.from(col),
    val: Float64Array.from(val),
  }
}

const K = TASK_TYPES.length

export interface LinearOptions {
  readonly bits: number
  readonly taskLambda: number
  readonly tierLambda: number
  readonly maxIter: number
}

/** Linear heads in the router's layout: outputs are the nine task logits, then the tier latent. */
export interface Linear {
  /** 2^bits × OUTPUTS. */
  readonly sparse: Float64Array
  /** DENSE × OUTPUTS. */
  readonly dense: Float64Array
  /** The tier head's own thresholds on its latent. */
  readonly thresholds: [number, number]
}

export const fitLinear = (train: ReadonlyArray<Featurised>, o: LinearOptions): Linear => {
  const columns = columnsOf(train)
  const task = new Float64Array(columns.cols * K)
  lbfgs(
    softmaxObjective(csrOf(train, columns), Int32Array.from(train.map((f) => f.task)), K, o.taskLambda),
    task,
    o.maxIter,
  )
  const tiered = train.filter((f) => f.tier >= 0)
  const x = new Float64Array(columns.cols + 2)
  x[columns.cols] = -0.5
  lbfgs(
    ordinalObjective(csrOf(tiered, columns), Int32Array.from(tiered.map((f) => f.tier)), o.tierLambda),
    x,
    o.maxIter,
  )
  const t0 = x[columns.cols] as number
  const sparse = new Float64Array(2 ** o.bits * OUTPUTS)
  const dense = new Float64Array(DENSE * OUTPUTS)
  for (let c = 0; c < columns.cols; c++) {
    const target = c < columns.sparseCols ? sparse : dense
    const row =
      (c < columns.sparseCols ? (columns.colToBucket[c] as number) : c - columns.sparseCols) * OUTPUTS
    for (let k = 0; k < K; k++) target[row + k] = task[c * K + k] as number
    target[row + K] = x[c] as number
  }
  return { sparse, dense, thresholds: [t0, t0 + Math.exp(x[columns.cols + 1] as number)] }
}

/** The linear heads' outputs of each row (rows × OUTPUTS). */
export const linearOutputs = (l: Linear, rows: ReadonlyArray<Featurised>): Float64Array => {
  const out = new Float64Array(rows.length * OUTPUTS)
  rows.forEach((f, r) => {
    const o = r * OUTPUTS
    for (const [b, v] of f.sparse)
      for (let k = 0; k < OUTPUTS; k++)
        out[o + k] = (out[o + k] as number) + v * (l.sparse[b * OUTPUTS + k] as number)
    for (let d = 0; d < DENSE; d++) {
      const v = f.dense[d] as number
      if (v === 0) continue
      for (let k = 0; k < OUTPUTS; k++)
        out[o + k] = (out[o + k] as number) + v * (l.dense[d * OUTPUTS + k] as number)
    }
  })
  return out
}
