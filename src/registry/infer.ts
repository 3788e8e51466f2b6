/**
 * Infers a model profile for a model the registry lacks, from what Ollama's `/api/show` reports:
 * parameter size, quantisation, context length, and (when known) the architecture's layer and
 * KV-head counts. Numbers are estimates; the footprint is corrected from `/api/ps` once loaded.
 */
import type { ModelProfile } from "../domain/model-profile.js"
import type { Capability, Specialisation } from "../domain/task.js"
import type { Tier } from "../domain/tier.js"
import { estimateFootprintBytes, type FootprintFacts, parseParameterSize, weightBytes } from "./footprint.js"

/** What the backend reports of a model: the footprint's facts and what routing needs besides. */
export interface ModelFacts extends FootprintFacts {
  readonly name: string
  readonly contextLength?: number
  /** Ollama's own capability list (`completion`, `tools`, `vision`, `insert`, `thinking`, …). */
  readonly ollamaCapabilities?: ReadonlyArray<string>
  readonly family?: string
}

/** Tier boundaries by parameter count (reference: fast 7–13B, balanced 13–34B, quality 70B+). */
export const tierForSize = (sizeB: number): Tier =>
  sizeB < 13 ? "fast" : sizeB < 50 ? "balanced" : "quality"

const DEFAULT_NUM_CTX = 8192

const has = (name: string, ...needles: string[]) => needles.some((n) => name.includes(n))

/** A routable profile for a model known only from backend facts. */
export const inferProfile = (facts: ModelFacts): ModelProfile => {
  const sizeB = parseParameterSize(facts.parameterSize)
  const safeSize = Number.isFinite(sizeB) && sizeB > 0 ? sizeB : 7
  const name = facts.name.toLowerCase()
  const contextWindow = facts.contextLength ?? 4096
  const numCtx = Math.min(DEFAULT_NUM_CTX, contextWindow)
  const sized = { ...facts, parameterSize: safeSize }
  const weights = weightBytes(sized)
  const memoryGb = Math.round((estimateFootprintBytes(sized, numCtx, 1) / 1e9) * 10) / 10
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
    kind: ollamaCaps.has("embedding") && !ollamaCaps.has("completion") ? "embedding" : "chat",
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
