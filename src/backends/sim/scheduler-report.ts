/**
 * What the Ollama scheduler replica reports: its events (loads, unloads with their reasons and
 * causes, crashes, the keep-alive restorations of ollama#17408) and its state for `/sim/state`.
 */
import type { PageCacheSnapshot } from "./page-cache.js"
import type { EvictionCause, RunnerState, UnloadReason } from "./runner.js"

export type SchedulerEvent =
  | {
      readonly type: "load_started"
      readonly model: string
      readonly bytes: number
      readonly gpuBytes: number
      readonly numCtx: number
      /** Share of the model file in the page cache when the load began (1: a warm load). */
      readonly cachedFraction: number
      /** How long the load will take, ms of simulated time. */
      readonly expectedMs: number
      readonly at: number
    }
  | {
      readonly type: "loaded"
      readonly model: string
      readonly bytes: number
      readonly gpuBytes: number
      readonly loadMs: number
      readonly cachedFraction: number
      readonly at: number
    }
  | { readonly type: "load_failed"; readonly model: string; readonly error: string; readonly at: number }
  | {
      readonly type: "unload_started"
      readonly model: string
      readonly reason: UnloadReason
      /** Why the scheduler evicted it (evictions only). */
      readonly cause?: EvictionCause
      readonly at: number
    }
  | { readonly type: "unloaded"; readonly model: string; readonly bytes: number; readonly at: number }
  | { readonly type: "crashed"; readonly models: ReadonlyArray<string>; readonly at: number }
  | {
      /** A request restored the keep-alive of a runner the scheduler is waiting to evict (ollama#17408). */
      readonly type: "resurrected"
      readonly model: string
      readonly keepAliveMs: number
      readonly at: number
    }

export interface SchedulerSnapshot {
  readonly runners: ReadonlyArray<{
    readonly name: string
    readonly state: RunnerState
    readonly numCtx: number
    readonly bytes: number
    readonly gpuBytes: number
    readonly cpuBytes: number
    readonly refCount: number
    readonly active: number
    readonly waitingForSlot: number
    readonly keepAliveMs: number
    readonly expiresAt: number | undefined
  }>
  readonly vram: { readonly usedBytes: number; readonly capacityBytes: number; readonly peakBytes: number }
  readonly pageCache: PageCacheSnapshot
  readonly loadCostScale: number
  readonly overcommits: number
  readonly pending: number
  readonly processing: boolean
  readonly loads: number
  readonly loadFailures: number
  readonly unloads: number
  readonly evictions: number
}
