/**
 * One model runner of the simulated Ollama (llama-server and Ollama's runnerRef in one): its
 * state (loading, ready, unloading), the requests holding it, its sticky keep-alive and expiry
 * timer, its parallel slots and their FIFO of waiting generations, and where its memory went
 * (GPU bytes, bytes offloaded to the CPU, the slowdown that costs).
 */
import type { Placement } from "./placement.js"
import type { SimModelSpec } from "./profile.js"

export type RunnerState = "loading" | "ready" | "unloading"

export type UnloadReason = "expired" | "evicted" | "requested" | "reload"

/**
 * Why a runner was evicted: the loaded-model limit; `headroom`, a model that fits in the free
 * memory but needs more than 80% of it; `no_room`, one that does not fit; `oom_retry`, the
 * evict-all before retrying a load that ran out of memory.
 */
export type EvictionCause = "loaded_limit" | "headroom" | "no_room" | "oom_retry"

export class Runner {
  state: RunnerState = "loading"
  /** Requests holding the runner (scheduled and not yet finished). */
  refCount = 0
  /** keep_alive in ms; Infinity = forever; ≤ 0 = unload when idle. */
  sessionMs: number
  /** When the armed expiry timer fires (undefined: none armed). */
  expiresAt: number | undefined
  /**
   * Ollama's runnerRef.expiresAt: set when a timer is armed, kept while a request holds the
   * runner (what /api/ps shows); undefined until the runner first goes idle.
   */
  lastExpiresAt: number | undefined
  /** Cancels the armed expiry timer, if any. */
  expiry: (() => void) | undefined
  /** Generations running now, and FIFO of generations waiting for a slot. */
  active = 0
  readonly slotWaiters: Array<() => void> = []
  /** Set when the runner process dies (crash); generations on it fail. */
  dead = false
  /** Chosen for eviction: the scheduler waits for it to unload. */
  evicting = false
  evictionCause: EvictionCause | undefined
  readonly unloaded: Promise<void>
  resolveUnloaded!: () => void
  loadedAt: number | undefined
  unloadReason: UnloadReason = "expired"

  constructor(
    readonly model: SimModelSpec,
    /** The context each slot holds (capped at the model's training context). */
    readonly numCtx: number,
    /** Ollama chose the context (the request set none): automatic requests share the runner. */
    readonly numCtxAuto: boolean,
    readonly placement: Placement,
    sessionMs: number,
    readonly startedAt: number,
  ) {
    this.sessionMs = sessionMs
    this.unloaded = new Promise<void>((resolve) => {
      this.resolveUnloaded = resolve
    })
  }

  get name(): string {
    return this.model.name
  }

  /** Resident bytes, GPU and CPU (`size` in /api/ps). */
  get bytes(): number {
    return this.placement.gpuBytes + this.placement.cpuBytes
  }

  /** Bytes on the GPUs (`size_vram`). */
  get gpuBytes(): number {
    return this.placement.gpuBytes
  }
}
