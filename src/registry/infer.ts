/**
 * Infers a model profile for a model the registry lacks, from what Ollama's `/api/show` reports:
 * parameter size, quantisation, context length, and (when known) the architecture's layer and
 * KV-head counts. Numbers are estimates; the footprint is corrected from `/api/ps` once loaded.
 */
import type { ModelProfile } from "../domain/model-profile.js"
import type { Capability, Specialisation } from "../domain/task.js"
import type { Tier } from "../domain/tier.js"

export interface ModelFacts {
  readonly name: string
  /** As Ollama reports it, e.g. `"8.0B"`, `"70.6B"`, `"494.03M"`; or a number of billions. */
  readonly parameterSize: string | number
  /** e.g. `"Q4_K_M"`, `"Q8_0"`, `"F16"`. */
  readonly quantisation?: string
  readonly contextLength?: number
  /** Ollama's own capability list (`completion`, `tools`, `vision`, `insert`, `thinking`, …). */
  readonly ollamaCapabilities?: ReadonlyArray<string>
  readonly family?: string
  readonly layers?: number
  readonly kvHeads?: number
  readonly headDim?: number
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

/** Tier boundaries by parameter count (reference: fast 7–13B, balanced 13–34B, quality 70B+). */
export const tierForSize = (sizeB: number): Tier =>
  sizeB < 13 ? "fast" : sizeB < 50 ? "balanced" : "quality"

/**
 * Bytes of KV cache for `numCtx` tokens: 2 (K and V) × layers × kvHeads × headDim × numCtx × 2
 * bytes (f16). Without architecture facts, a size-based guess (grouped-query attention is usual).
 */
export const kvCacheBytes = (
  facts: Pick<ModelFacts, "layers" | "kvHeads" | "headDim">,
  sizeB: number,
  numCtx: number,
) => {
  const layers = facts.layers ?? Math.round(16 + 10 * Math.log2(Math.max(1, sizeB)))
  const kvHeads = facts.kvHeads ?? 8
  const headDim = facts.headDim ?? 128
  return 2 * layers * kvHeads * headDim * numCtx * 2
}

const DEFAULT_NUM_CTX = 8192

const has = (name: string, ...needles: string[]) => needles.some((n) => name.includes(n))

/** A routable profile for a model known only from backend facts. */
export const inferProfile = (facts: ModelFacts): ModelProfile => {
  const sizeB = parseParameterSize(facts.parameterSize)
  const safeSize = Number.isFinite(sizeB) && sizeB > 0 ? sizeB : 7
  const name = facts.name.toLowerCase()
  const contextWindow = facts.contextLength ?? 4096
  const numCtx = Math.min(DEFAULT_NUM_CTX, contextWindow)
  const weights = (safeSize * 1e9 * bitsPerWeight(facts.quantisation)) / 8
  const overhead = 0.5e9 + weights * 0.05
  const memoryGb = Math.round(((weights + kvCacheBytes(facts, safeSize, numCtx) + overhead) / 1e9) * 10) / 10
  const ollamaCaps = new Set(facts.ollamaCapabilities ?? [])

  const capabilities = new Set<Capability>()
  const specialisations = new Set<Specialisation>()
  if (has(name, "coder", "code", "starcoder", "codestral", "devstral")) {
    capabilities.add("code")
    specialisations.add("code_generation")
    if (ollamaCaps.has("insert")) specialisations.add("infilling")
  }
  if (has(name, "math")) {
    capabilities.add("mathematics")
    specialisations.add("mathematical_reasoning")
  }
  if (has(name, "r1", "qwq", "reason") || ollamaCaps.has("thinking")) {
    capabilities.add("reasoning")
    capabilities.add("chain_of_thought")
    specialisations.add("chain_of_thought")
  }
  if (has(name, "vision", "llava", "-vl") || ollamaCaps.has("vision")) {
    capabilities.add("vision")
    specialisations.add("vision")
  }
  if (ollamaCaps.has("tools")) capabilities.add("tools")
  if (contextWindow >= 65536) {
    capabilities.add("long_context")
    specialisations.add("long_context")
  }
  if (!capabilities.has("code") && !capabilities.has("mathematics")) {
    capabilities.add("general")
    specialisations.add("general_purpose")
  }
  const tier = tierForSize(safeSize)
  if (tier === "fast") specialisations.add("efficient")

  return {
    name: facts.name,
    sizeB: safeSize,
    contextWindow,
    capabilities: [...capabilities],
    tier,
    specialisations: [...specialisations],
    memoryGb,
    // Generation is memory-bandwidth bound: speed falls with the bytes read per token.
    tokensPerSec: Math.round((320e9 / weights) * 10) / 10,
    parallel: 1,
    numCtx,
    pinned: false,
    quantisation: facts.quantisation ?? "unknown",
    source: "inferred",
  }
}
