/**
 * A model profile: everything routing and scheduling need to know about one model. Profiles come
 * from `config/models.yaml` or are inferred from what a backend reports (`registry/infer.ts`).
 */
import type { Capability, Specialisation } from "./task.js"
import type { Tier } from "./tier.js"

/** Chat models answer queries; embedding models turn text into vectors and are never routed to. */
export const MODEL_KINDS = ["chat", "embedding"] as const
export type ModelKind = (typeof MODEL_KINDS)[number]

export interface ModelProfile {
  /** Ollama model name with tag, e.g. `qwen2.5-coder:32b`. */
  readonly name: string
  readonly kind: ModelKind
  /** Parameters in billions. */
  readonly sizeB: number
  /** Largest context the model supports, in tokens. */
  readonly contextWindow: number
  readonly capabilities: ReadonlyArray<Capability>
  readonly tier: Tier
  readonly specialisations: ReadonlyArray<Specialisation>
  /** Expected resident footprint in GB (10^9 bytes) at `numCtx` × `parallel`; refined at run time. */
  readonly memoryGb: number
  /** Typical generation speed on the reference machine. */
  readonly tokensPerSec: number
  /** Concurrent generations the runner serves (Ollama's OLLAMA_NUM_PARALLEL for this model). */
  readonly parallel: number
  /** The fixed context size Conductor loads the model with (never varied per request). */
  readonly numCtx: number
  /** Pinned models are never evicted (e.g. the router model). */
  readonly pinned: boolean
  /** Requests routed to it per minute at most (a rate limit), when configured. */
  readonly requestsPerMinute?: number
  /** Quantisation, e.g. `Q4_K_M`. */
  readonly quantisation: string
  /** Where the profile came from. */
  readonly source: "registry" | "inferred"
}

export const GB = 1e9

/** Bytes as people read them here: GB (10^9 bytes) to one decimal, e.g. "14.9 GB". */
export const formatGb = (bytes: number): string => `${(bytes / GB).toFixed(1)} GB`

export const memoryBytes = (profile: Pick<ModelProfile, "memoryGb">): number =>
  Math.round(profile.memoryGb * GB)
