/**
 * The ceiling: the throughput no scheduler can exceed on a host for a trace, even with free and
 * instant swaps (DESIGN decision 15). Each model must do its share of the work — its requests ×
 * their service time per slot — while resident, and only sets of models that fit in VRAM
 * together (and under the loaded-model limit) can serve at the same time. Time-sharing the GPU
 * among those sets is a covering LP:
 *
 *     minimise Σ_S t_S   subject to   Σ_{S ∋ m} t_S ≥ d_m  for every model m,   t ≥ 0
 *
 * where t_S is the share of time set S is resident and d_m = p_m · s_m / k_m the seconds of
 * residency model m needs per request of the trace (p_m its share of requests, s_m its service
 * time, k_m its slots). At most 1 / (Σ t_S) requests per second can then be served. It is solved
 * through its dual, a packing LP (maximise Σ d_m y_m with Σ_{m ∈ S} y_m ≤ 1 per maximal set),
 * whose origin is feasible, by a small simplex with Bland's rule. The result is capped by the
 * unlimited-VRAM bound (which sees what VRAM cannot: arrivals, think times).
 *
 * Models resident together also share the GPU's compute: with `streamSlowdown` c, each of n
 * generations running at once is 1 + c·(n − 1) times slower (the simulator's rule). Then every
 * feasible set S, maximal or not, is a column of its own, serving at a_S = 1 / (1 + c·(n_S − 1))
 * of full speed with all its models' slots busy (n_S slots): Σ_{S ∋ m} a_S t_S ≥ d_m. A subset
 * runs faster than its superset, so leaving some models out is a choice the LP can make; the
 * free-compute value (c = 0) is reported beside it.
 */

export interface CeilingModel {
  readonly name: string
  /** Resident footprint. */
  readonly bytes: number
  /** Parallel slots. */
  readonly slots: number
  /** Share of the trace's requests this model serves (0–1). */
  readonly share: number
  /** Mean time one request holds one slot, ms (uncontended: the fastest any schedule serves it). */
  readonly serviceMs: number
}

export interface CeilingInput {
  readonly models: ReadonlyArray<CeilingModel>
  readonly budgetBytes: number
  /** Models the server keeps loaded at most. */
  readonly maxLoaded: number
  /** The unlimited-VRAM run's throughput, when there was one. */
  readonly boundRps?: number | undefined
  /** Per-stream slowdown for each other generation on the GPU at once (0: compute is free). */
  readonly streamSlowdown?: number | undefined
}

export interface Ceiling {
  readonly throughputRps: number
  readonly method: string
  /** The same LP with the GPU's compute free (no slowdown for generations running at once). */
  readonly freeComputeRps?: number
  /** The VRAM-feasible sets the LP time-shares, and their shares of time at the optimum. */
  readonly schedule: ReadonlyArray<{ readonly models: ReadonlyArray<string>; readonly share: number }>
}

/** Every maximal set of models that fits together (bytes within the budget, at most `maxLoaded`). */
export const maximalSets = (
  models: ReadonlyArray<CeilingModel>,
  budgetBytes: number,
  maxLoaded: number,
): number[][] => {
  const n = models.length
  if (n > 20) throw new Error(`ceiling: ${n} models is too many to enumerate co-resident sets`)
  const fits: boolean[] = new Array(1 << n).fill(false)
  for (let mask = 0; mask < 1 << n; mask++) {
    let bytes = 0
    let count = 0
    for (let i = 0; i < n; i++) {
      if (mask & (1 << i)) {
        bytes += (models[i] as CeilingModel).bytes
        count++
      }
    }
    fits[mask] = bytes <= budgetBytes && count <= maxLoaded
  }
  const sets: number[][] = []
  for (let mask = 1; mask < 1 << n; mask++) {
    if (!fits[mask]) continue
    let maximal = true
    for (let i = 0; i < n && maximal; i++) if (!(mask & (1 << i)) && fits[mask | (1 << i)]) maximal = false
    if (maximal) sets.push([...Array(n).keys()].filter((i) => mask & (1 << i)))
  }
  return sets
}

/** Every set of models that fits together (not only the maximal ones). */
export const feasibleSets = (
  models: ReadonlyArray<CeilingModel>,
  budgetBytes: number,
  maxLoaded: number,
): number[][] => {
  const n = models.length
  if (n > 16) throw new Error(`ceiling: ${n} models is too many to enumerate co-resident sets`)
  const sets: number[][] = []
  for (let mask = 1; mask < 1 << n; mask++) {
    const members = [...Array(n).keys()].filter((i) => mask & (1 << i))
    const bytes = members.reduce((s, i) => s + (models[i] as CeilingModel).bytes, 0)
    if (bytes <= budgetBytes && members.length <= maxLoaded) sets.push(members)
  }
  return sets
}

/**
 * maximise cᵀy subject to A y ≤ 1, y ≥ 0 (rows are sets, columns models; row i has `coef[i]`,
 * default 1, in its members' columns). Returns the optimum value, y, and the dual prices of the
 * rows (the time shares t_S of the covering LP).
 */
export const packingLp = (
  c: ReadonlyArray<number>,
  rows: ReadonlyArray<ReadonlyArray<number>>,
  coef: ReadonlyArray<number> = [],
): { value: number; y: number[]; prices: number[] } => {
  const m = rows.length
  const n = c.length
  // Tableau: m constraint rows [A | I | b], objective row [-c | 0 | 0].
  const width = n + m + 1
  const t: number[][] = rows.map((cols, i) => {
    const r = new Array(width).fill(0)
    for (const j of cols) r[j] = coef[i] ?? 1
    r[n + i] = 1
    r[width - 1] = 1
    return r
  })
  const obj = new Array(width).fill(0)
  for (let j = 0; j < n; j++) obj[j] = -(c[j] as number)
  const basis = Array.from({ length: m }, (_, i) => n + i)
  const EPS = 1e-12
  for (let iter = 0; iter < 10_000; iter++) {
    // Bland's rule: the lowest-index improving column, then the lowest-index tied row.
    let col = -1
    for (let j = 0; j < width - 1; j++) {
      if ((obj[j] as number) < -EPS) {
        col = j
        break
      }
    }
    if (col < 0) break
    let row = -1
    let best = Number.POSITIVE_INFINITY
    for (let i = 0; i < m; i++) {
      const a = (t[i] as number[])[col] as number
      if (a > EPS) {
        const ratio = ((t[i] as number[])[width - 1] as number) / a
        if (
          ratio < best - EPS ||
          (Math.abs(ratio - best) <= EPS && (basis[i] as number) < (basis[row] as number))
        ) {
          best = ratio
          row = i
        }
      }
    }
    if (row < 0) throw new Error("ceiling: unbounded LP (a model fits in no set)")
    const pr = t[row] as number[]
    const pv = pr[col] as number
    for (let j = 0; j < width; j++) pr[j] = (pr[j] as number) / pv
    for (let i = 0; i < m; i++) {
      if (i === row) continue
      const r = t[i] as number[]
      const f = r[col] as number
      if (f !== 0) for (let j = 0; j < width; j++) r[j] = (r[j] as number) - f * (pr[j] as number)
    }
    const f = obj[col] as number
    for (let j = 0; j < width; j++) obj[j] = (obj[j] as number) - f * (pr[j] as number)
    basis[row] = col
  }
  const y = new Array(n).fill(0)
  for (let i = 0; i < m; i++)
    if ((basis[i] as number) < n) y[basis[i] as number] = (t[i] as number[])[width - 1]
  const prices = Array.from({ length: m }, (_, i) => obj[n + i] as number)
  return { value: obj[width - 1] as number, y, prices }
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits

export const computeCeiling = (input: CeilingInput): Ceiling => {
  const models = input.models.filter((m) => m.share > 0 && m.serviceMs > 0)
  if (models.length === 0) {
    return {
      throughputRps: input.boundRps ?? 0,
      method: "no completed requests to size the work",
      schedule: [],
    }
  }
  const tooBig = models.filter((m) => m.bytes > input.budgetBytes)
  if (tooBig.length > 0) {
    return {
      throughputRps: 0,
      method: `${tooBig.map((m) => m.name).join(", ")} cannot fit the ${round(input.budgetBytes / 1e9, 1)} GB budget`,
      schedule: [],
    }
  }
  const maximal = maximalSets(models, input.budgetBytes, input.maxLoaded)
  // Seconds of residency each model needs per request of the trace.
  const demand = models.map((m) => (m.share * m.serviceMs) / 1000 / Math.max(1, m.slots))
  const free = packingLp(demand, maximal)
  const freeRps = free.value > 0 ? 1 / free.value : Number.POSITIVE_INFINITY
  const slowdown = input.streamSlowdown ?? 0
  const sets = slowdown > 0 ? feasibleSets(models, input.budgetBytes, input.maxLoaded) : maximal
  const speed = sets.map((s) => {
    const streams = s.reduce((n, j) => n + Math.max(1, (models[j] as CeilingModel).slots), 0)
    return 1 / (1 + slowdown * (streams - 1))
  })
  const lp = slowdown > 0 ? packingLp(demand, sets, speed) : free
  const vramRps = lp.value > 0 ? 1 / lp.value : Number.POSITIVE_INFINITY
  const capped = input.boundRps !== undefined && input.boundRps < vramRps
  const schedule = sets
    .map((s, i) => ({
      models: s.map((j) => (models[j] as CeilingModel).name),
      share: round((lp.prices[i] as number) / lp.value),
    }))
    .filter((s) => s.share > 0)
  return {
    throughputRps: round(capped ? (input.boundRps as number) : vramRps),
    ...(slowdown > 0 ? { freeComputeRps: round(freeRps) } : {}),
    method:
      `covering LP over ${maximal.length} maximal co-resident set(s) of ${models.length} model(s) ` +
      `(${round(input.budgetBytes / 1e9, 1)} GB, at most ${input.maxLoaded} loaded): ` +
      (slowdown > 0
        ? `${round(freeRps)} req/s with free, instant swaps and free compute; ${round(vramRps)} req/s with ` +
          `concurrent generations sharing the GPU (${round(slowdown * 100, 1)}% slower per other stream, every feasible set)`
        : `${round(vramRps)} req/s with free, instant swaps`) +
      (input.boundRps !== undefined
        ? capped
          ? `; capped by the unlimited-VRAM bound, ${round(input.boundRps)} req/s`
          : `; below the unlimited-VRAM bound, ${round(input.boundRps)} req/s`
        : ""),
    schedule,
  }
}
