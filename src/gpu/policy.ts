/**
 * The scheduling policy seam (DESIGN decision 4). A policy is pure: given a view of every model
 * (residency, queue, in-flight work, cost to reload) it decides which model may take waiting
 * requests, which model to load next and what to evict for it. The scheduler carries the
 * decisions out; residency enforces the invariants (evict only idle, never pinned, one load at a
 * time) whatever a policy says.
 */
import type { Priority } from "../domain/tenant.js"

/**
 * `draining`: resident but marked to unload as soon as its in-flight requests end (a victim
 * chosen while busy). Whether it still takes new requests is the policy's call.
 */
export type ResidencyState = "unloaded" | "loading" | "resident" | "draining" | "unloading"

/** A request waiting for a slot, as a policy orders it. */
export interface WaitingRequest {
  /** Global arrival order. */
  readonly seq: number
  readonly model: string
  readonly tenant: string
  readonly priority: Priority
  /** When it arrived. */
  readonly since: number
}

/** What ordering waiting requests needs: the time, and each tenant's fair-share level. */
export interface OrderContext {
  readonly now: number
  /** The tenant's weighted slot time so far (fair-share.ts): lower goes first. */
  readonly level: (tenant: string) => number
  /**
   * When a request of this tenant and priority was last granted a slot of `model` (undefined:
   * not recently). A group that keeps being served is not starving, however long its own
   * backlog makes its requests wait.
   */
  readonly lastGrantAt?: (model: string, tenant: string, priority: Priority) => number | undefined
}

export interface ModelView {
  readonly name: string
  readonly state: ResidencyState
  /** Bytes held (loading, resident, draining, unloading) or needed to load (unloaded). */
  readonly bytes: number
  /** Leases held now. */
  readonly inflight: number
  /** Concurrent generations the model serves. */
  readonly slots: number
  /** Requests waiting for this model. */
  readonly queued: number
  /** When its oldest waiting request arrived, and that request's global arrival number. */
  readonly oldestSince: number | undefined
  readonly oldestSeq: number | undefined
  /** The waiting request that goes first (by the policy's order), if any. */
  readonly head: WaitingRequest | undefined
  /** Interactive requests waiting, and holding a slot. */
  readonly queuedInteractive: number
  readonly inflightInteractive: number
  readonly pinned: boolean
  /** Loaded by someone else (adopted by reconciliation). */
  readonly external: boolean
  /** When it became resident. */
  readonly loadedAt: number | undefined
  /** When a lease was last taken or returned. */
  readonly lastUsedAt: number | undefined
  /** Expected time to load it (measured, else estimated from its size). */
  readonly loadMs: number
  /** Recent requests per minute (exponentially decayed). */
  readonly demand: number
}

export interface SchedulerView extends OrderContext {
  readonly now: number
  /** The VRAM budget. */
  readonly capacityBytes: number
  /** The GPU memory itself (the server's own rules count in it). */
  readonly physicalBytes: number
  /**
   * Beside other loaded models, the server loads a model only if it needs at most this fraction
   * of the free GPU memory (Ollama ≥ 0.30: 0.8); 1 for no such rule.
   */
  readonly loadHeadroom: number
  /** Bytes held by every model that is loading, resident, draining or unloading. */
  readonly usedBytes: number
  /**
   * Models the backend keeps loaded at most (Ollama's OLLAMA_MAX_LOADED_MODELS, 3 per GPU by
   * default): loading one more makes the server evict on its own, so every policy stays under it.
   */
  readonly maxLoaded: number
  readonly models: ReadonlyArray<ModelView>
}

export interface Eviction {
  /** Idle models to unload now. */
  readonly now: ReadonlyArray<string>
  /** Busy models to unload once their in-flight requests end. */
  readonly whenIdle: ReadonlyArray<string>
}

export interface LoadPlan extends Eviction {
  readonly model: string
}

export interface SchedulingPolicy {
  readonly name: string
  /** How many requests may hold this model at once (0: it takes none now): usually its slots. */
  concurrency(model: ModelView): number
  /** Whether waiting request `a` goes before `b` (a strict order: priority, fair share, age). */
  before(ctx: OrderContext, a: WaitingRequest, b: WaitingRequest): boolean
  /**
   * The next load and its evictions, or undefined to wait. Asked only when no load is under way
   * and some request waits for a model that is not resident (else there is nothing to load).
   */
  nextLoad(view: SchedulerView): LoadPlan | undefined
  /**
   * More room for a committed load that still does not fit (estimates grew, someone else loaded
   * a model): evictions, or undefined to keep waiting.
   */
  moreRoom(view: SchedulerView, model: string): Eviction | undefined
  /**
   * When the decisions may change with nothing else happening (a wait turns into starvation, a
   * model's minimum residency ends): the scheduler looks again then. Undefined: only events matter.
   * Asked only while some request waits for a model that is not resident (else: undefined).
   */
  wakeAt(view: SchedulerView): number | undefined
}

// ---------------------------------------------------------------- helpers shared by policies

/** Bytes that will be free once unloads under way finish. */
export const freeSoon = (view: SchedulerView): number => {
  let unloading = 0
  for (const m of view.models) if (m.state === "unloading") unloading += m.bytes
  return view.capacityBytes - view.usedBytes + unloading
}

/**
 * Whether `target` can load once `freedBytes` more are free and `evictableLeft` unpinned models
 * stay in memory: within the budget, and — beside models Conductor could still evict — within the
 * server's load headroom. Beside pinned models only, the server judges by its own footprint
 * (nothing Conductor may evict would make more room).
 */
export const fitsAfter = (
  view: SchedulerView,
  target: ModelView,
  freedBytes: number,
  evictableLeft: number,
): boolean => {
  let unloading = 0
  for (const m of view.models) if (m.state === "unloading") unloading += m.bytes
  const free = freedBytes + unloading - view.usedBytes
  if (target.bytes > view.capacityBytes + free) return false
  return evictableLeft === 0 || target.bytes <= view.loadHeadroom * (view.physicalBytes + free)
}

/** Models with waiting requests that are not in memory (nor on their way in or out). */
export const loadCandidates = (view: SchedulerView): ModelView[] =>
  view.models.filter((m) => m.queued > 0 && m.state === "unloaded")

/** A model that counts as loaded for Ollama's loaded-models limit. */
export const isLive = (m: ModelView): boolean =>
  m.state === "loading" || m.state === "resident" || m.state === "draining"

/** In memory and able to serve (a draining model still finishes what it has). */
export const isServing = (m: ModelView): boolean => m.state === "resident" || m.state === "draining"

/** Models counted against `maxLoaded` besides `target` once the unloads under way finish. */
export const liveBesides = (view: SchedulerView, target: string): number =>
  view.models.filter((m) => isLive(m) && m.name !== target).length

export const byName = (a: ModelView, b: ModelView): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

export const NO_EVICTION: Eviction = { now: [], whenIdle: [] }
