/**
 * Memory footprint estimates: the bytes a model holds once loaded = weights + KV cache for its
 * context (2 · layers · kv_heads · head_dim · num_ctx · 2 bytes, times parallel slots) + compute
 * graph overhead. Facts come from `/api/show` (or the parameter size alone); residency replaces
 * the estimate with `/api/ps` `size_vram` once the model is loaded.
 */

/** What a footprint is estimated from (the part of `/api/show` it reads; infer.ts's `ModelFacts` extend it). */
export interface FootprintFacts {
  /** As Ollama reports it, e.g. `"8.0B"`, `"70.6B"`, `"494.03M"`; or a number of billions. */
  readonly parameterSize: string | number
  /** e.g. `"Q4_K_M"`, `"Q8_0"`, `"F16"`. */
  readonly quantisation?: string
  readonly layers?: number
  readonly kvHeads?: number
  readonly headDim?: number
  /** Bytes of the weights file, when known. */
  readonly sizeBytes?: number
}

/** Bits per weight of common GGUF quantisations (llama.cpp's averages, rounded up). */
const BITS_PER_WEIGHT: Readonly<Record<string, number>> = {
  F32: 32,
  F16: 16,
  BF16: 16,
  Q8_0: 8.5,
  Q6_K: 6.6,
  Q5_K_M: 5.7,
  Q5_K_S: 5.5,
  Q5_1: 6,
  Q5_0: 5.5,
  Q4_K_M: 4.85,
  Q4_K_S: 4.6,
  Q4_1: 5,
  Q4_0: 4.55,
  IQ4_XS: 4.3,
  Q3_K_L: 4.3,
  Q3_K_M: 3.9,
  Q3_K_S: 3.5,
  IQ3_M: 3.7,
  Q2_K: 3.35,
  IQ2_M: 2.7,
}

/** Parse `"8.0B"`, `"494.03M"`, `"1.5T"` or a number (billions). Returns NaN when unreadable. */
export const parseParameterSize = (size: string | number): number => {
  if (typeof size === "number") return size
  const m = /^\s*([\d.]+)\s*([KMBT]?)\s*$/i.exec(size)
  if (!m) return Number.NaN
  const n = Number(m[1])
  const unit = (m[2] ?? "B").toUpperCase()
  return unit === "T" ? n * 1000 : unit === "M" ? n / 1000 : unit === "K" ? n / 1e6 : n
}

export const bitsPerWeight = (quantisation: string | undefined): number =>
  BITS_PER_WEIGHT[(quantisation ?? "Q4_K_M").toUpperCase()] ?? 4.85

/**
 * Bytes of KV cache for `numCtx` tokens: 2 (K and V) × layers × kvHeads × headDim × numCtx × 2
 * bytes (f16). Without architecture facts, a size-based guess (grouped-query attention is usual).
 */
export const kvCacheBytes = (
  facts: Pick<FootprintFacts, "layers" | "kvHeads" | "headDim">,
  sizeB: number,
  numCtx: number,
) => {
  const layers = facts.layers ?? Math.round(16 + 10 * Math.log2(Math.max(1, sizeB)))
  const kvHeads = facts.kvHeads ?? 8
  const headDim = facts.headDim ?? 128
  return 2 * layers * kvHeads * headDim * numCtx * 2
}

/** Bytes of the weights: the file size when known, else parameters × bits per weight. */
export const weightBytes = (facts: FootprintFacts): number => {
  if (facts.sizeBytes !== undefined && facts.sizeBytes > 0) return facts.sizeBytes
  const sizeB = parseParameterSize(facts.parameterSize)
  return Math.round(((Number.isFinite(sizeB) ? sizeB : 0) * 1e9 * bitsPerWeight(facts.quantisation)) / 8)
}

/** Compute graph and runtime overhead: a fixed part plus a little per weight byte. */
export const overheadBytes = (weights: number): number => Math.round(0.25e9 + 0.02 * weights)

/** The whole resident footprint at `numCtx` tokens for each of `parallel` slots. */
export const estimateFootprintBytes = (facts: FootprintFacts, numCtx: number, parallel: number): number => {
  const weights = weightBytes(facts)
  const sizeB = parseParameterSize(facts.parameterSize)
  const kv = kvCacheBytes(facts, Number.isFinite(sizeB) ? sizeB : 7, numCtx * Math.max(1, parallel))
  return weights + kv + overheadBytes(weights)
}
