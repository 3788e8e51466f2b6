/**
 * Footprint estimates: the bytes a model holds once loaded = weights + KV cache for its context
 * (2 · layers · kv_heads · head_dim · num_ctx · 2 bytes, times parallel slots) + compute-graph
 * overhead. Estimates come from `/api/show`; residency replaces them with `size_vram` once the
 * model is loaded.
 */
import type { BackendModelDetails } from "../backends/port.js"
import { bitsPerWeight, parseParameterSize } from "../registry/infer.js"

/** KV cache bytes for `tokens` of context (f16 keys and values). */
export const kvBytes = (
  d: Pick<BackendModelDetails, "layers" | "heads" | "kvHeads" | "embeddingLength">,
  tokens: number,
) => {
  if (d.layers <= 0 || d.heads <= 0) return 0
  const headDim = Math.round(d.embeddingLength / d.heads)
  return 2 * d.layers * (d.kvHeads > 0 ? d.kvHeads : d.heads) * headDim * tokens * 2
}

/** Graph and runtime overhead: a fixed part plus a little per weight byte. */
export const overheadBytes = (weights: number): number => Math.round(0.25e9 + 0.02 * weights)

export const weightBytes = (
  d: Pick<BackendModelDetails, "sizeBytes" | "parameterCount" | "parameterSize" | "quantisation">,
) => {
  if (d.sizeBytes > 0) return d.sizeBytes
  const params = d.parameterCount > 0 ? d.parameterCount : parseParameterSize(d.parameterSize) * 1e9
  return Math.round((params * bitsPerWeight(d.quantisation)) / 8)
}

export const estimateFootprint = (d: BackendModelDetails, numCtx: number, parallel: number): number => {
  const weights = weightBytes(d)
  return weights + kvBytes(d, numCtx * Math.max(1, parallel)) + overheadBytes(weights)
}
