/**
 * Residency: which models are in GPU memory, and the only code that loads or unloads them
 * (DESIGN decision 1). Each model moves unloaded → loading → resident (idle or busy, counted by
 * leases) → draining → unloading → unloaded. Rules kept whatever a policy asks: one load per host
 * at a time; a load first takes its bytes from the VRAM budget; only idle models are unloaded
 * (a draining one goes when its last lease ends); pinned models stay; idle models expire.
 * Reconciliation compares this table with the backend's running models, on a period and after
 * errors: models loaded by someone else are adopted (their memory counted), vanished ones are
 * released, sizes are corrected from `size_vram`; a backend that lost every model resets all.
 * A load the server holds far past its expected time (waiting for a victim of its own choosing
 * whose keep-alive our requests restored, ollama#17408) is given an unload to move it.
 */
import { Effect } from "effect"
import type { BackendModelDetails, BackendShape, RunningModel } from "../backends/port.js"
import { type ConductorError, conductorError, isConductorError } from "../domain/errors.js"
import type { EvictionReason, SystemEvent } from "../domain/events.js"
import { GB, type ModelKind, type ModelProfile, memoryBytes } from "../domain/model-profile.js"
import { factsOf } from "../registry/discover.js"
import { estimateFootprintBytes } from "../registry/footprint.js"
import { normaliseName } from "../registry/registry.js"
import type { RunPromise } from "../runtime/run-promise.js"
import type { TimeSource } from "../time/clock.js"
import type { Permit, VramBudget } from "./budget.js"
import type { ResidencyState } from "./policy.js"
import { reconcileDiff, sizeDiffers } from "./reconcile.js"

/** What residency needs to know about a model it may load. */
export interface ResidentModelSpec {
  readonly name: string
  /** How the backend loads it (an empty generate, or an empty embed). */
  readonly kind: ModelKind
  readonly numCtx: number
  /** Parallel generation slots. */
  readonly slots: number
  readonly pinned: boolean
  /** Footprint estimate in bytes (from /api/show, else the registry). */
  readonly estimateBytes: number
}

export interface ResidencyOptions {
  readonly idleTimeoutMs: number
  readonly loadTimeoutMs: number
  readonly reconcileIntervalMs: number
  /** Physical GPU memory, for `vram` events. */
  readonly physicalBytes: number
  /**
   * Models the server keeps loaded at most (OLLAMA_MAX_LOADED_MODELS): a load waits until the
   * server holds fewer besides it — unloads under way finished — or the server would evict a
   * runner of its own choosing (a busy one, by name) and hold the load until that runner idles.
   */
  readonly maxLoaded?: number
  /**
   * Beside other loaded models the server loads a model only if it needs at most this fraction
   * of the free GPU memory (Ollama ≥ 0.30: 0.8, `backend.loadHeadroom`); else it evicts a runner
   * of its own choosing first. A load waits until it holds (or nothing else is loaded). Default 1.
   */
  readonly loadHeadroom?: number
}

export interface ResidencyDeps {
  readonly backend: BackendShape
  readonly run: RunPromise
  readonly time: TimeSource
  readonly budget: VramBudget
  readonly publish: (event: SystemEvent) => void
  readonly options: ResidencyOptions
}

export interface ModelResidency {
  readonly name: string
  readonly state: ResidencyState
  /** Bytes held now, or the estimate when not in memory. */
  readonly bytes: number
  readonly leases: number
  readonly slots: number
  readonly pinned: boolean
  /** Known to the registry (servable); adopted unknown models are not. */
  readonly servable: boolean
  /** Loaded by someone else and adopted by reconciliation. */
  readonly external: boolean
  readonly loadedAt: number | undefined
  readonly lastUsedAt: number | undefined
  /** Expected load time: measured (moving average), else estimated from the size. */
  readonly loadMs: number
  readonly loadFailures: number
  readonly lastError: { readonly reason: string; readonly message: string; readonly at: number } | undefined
  /** Loading, but still waiting for its bytes in the budget (the backend load has not begun). */
  readonly waitingForMemory: boolean
}

export interface Lease {
  readonly model: string
  /** Return the lease (idempotent). */
  release(): void
}

export interface ReconcileResult {
  readonly adopted: ReadonlyArray<string>
  readonly vanished: ReadonlyArray<string>
  readonly corrected: ReadonlyArray<string>
}

interface Entry {
  readonly name: string
  kind: ModelKind
  numCtx: number
  slots: number
  pinned: boolean
  servable: boolean
  state: ResidencyState
  /** Bytes expected when loaded; corrected from size_vram and after out-of-memory failures. */
  estimate: number
  /** Held in loading (once granted), resident, draining and unloading. */
  permit: Permit | undefined
  /** A load with its memory, waiting for the server to hold fewer models (see `maxLoaded`). */
  waitingForPlace: boolean
  /** Why a draining model goes when its last lease ends (room for a load, or an operator). */
  drainReason: EvictionReason
  leases: number
  /** Bumped whenever the model's memory is (re)taken or lost; leases of older generations are void. */
  generation: number
  external: boolean
  loadedAt: number | undefined
  lastUsedAt: number | undefined
  loadMs: number
  /** loadMs comes from real loads (else it is a guess from the size). */
  loadMeasured: boolean
  loadFailures: number
  lastError: ModelResidency["lastError"]
  /** Cancels the idle-expiry timer. */
  idleTimer: (() => void) | undefined
}

/** A backend load this many times its expected time (and at least the floor) in is stalled. */
const LOAD_STALL_FACTOR = 4
const LOAD_STALL_FLOOR_MS = 30_000

/** Disk and runtime start-up, for a first guess at load times: ~2 GB/s plus a second. */
const guessLoadMs = (bytes: number): number => (bytes / (2 * GB)) * 1000 + 1000

export class ResidencyCore {
  private readonly entries = new Map<string, Entry>()
  private readonly listeners = new Set<() => void>()
  /** The model whose load holds the host's single load slot (waiting for memory or loading). */
  private loadingModel: string | undefined
  private reconciling: Promise<ReconcileResult> | undefined
  private backendUp = true
  private readonly stopped = new AbortController()

  constructor(private readonly deps: ResidencyDeps) {}

  // ---------------------------------------------------------------- registration and views

  /** Add or update models residency may load. */
  register(specs: Iterable<ResidentModelSpec>): void {
    for (const s of specs) {
      const e = this.entries.get(s.name)
      if (e === undefined) {
        this.entries.set(s.name, this.newEntry(s.name, s.estimateBytes, true, s))
        continue
      }
      e.kind = s.kind
      e.numCtx = s.numCtx
      e.slots = s.slots
      e.pinned = s.pinned
      e.servable = true
      if (e.permit === undefined) e.estimate = s.estimateBytes
    }
    this.changed()
  }

  /** Called after every change of state (the scheduler looks again). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get(name: string): ModelResidency | undefined {
    const e = this.entry(name)
    return e === undefined ? undefined : this.view(e)
  }

  models(): ModelResidency[] {
    return [...this.entries.values()].map((e) => this.view(e))
  }

  /** Each model's name and leases held, without building views (the scheduler asks on every change). */
  eachLeases(f: (name: string, leases: number) => void): void {
    for (const e of this.entries.values()) f(e.name, e.leases)
  }

  /** The VRAM the pinned models other than `name` hold or will hold (not unloaded). */
  pinnedBytesBesides(name: string): number {
    let pinned = 0
    for (const e of this.entries.values()) {
      if (e.name !== name && e.pinned && e.state !== "unloaded") pinned += e.permit?.bytes ?? e.estimate
    }
    return pinned
  }

  /** The model's state (`undefined`: not a model residency knows). */
  stateOf(name: string): ModelResidency["state"] | undefined {
    return this.entry(name)?.state
  }

  /** The model holding the load slot, if any. */
  get loading(): string | undefined {
    return this.loadingModel
  }

  get budget(): VramBudget {
    return this.deps.budget
  }

  /** The GPU memory itself, and the server's load headroom (see `ResidencyOptions`). */
  get physicalBytes(): number {
    return this.deps.options.physicalBytes
  }

  get loadHeadroom(): number {
    return this.deps.options.loadHeadroom ?? 1
  }

  // ---------------------------------------------------------------- leases

  /** A lease on a model in memory that can serve (resident or draining); undefined otherwise. */
  lease(name: string): Lease | undefined {
    const e = this.entry(name)
    if (e === undefined || (e.state !== "resident" && e.state !== "draining")) return undefined
    e.leases++
    e.lastUsedAt = this.now()
    this.cancelIdle(e)
    const generation = e.generation
    let released = false
    return {
      model: e.name,
      release: () => {
        if (released) return
        released = true
        this.release(e, generation)
      },
    }
  }

  private release(e: Entry, generation: number): void {
    // A lease from before the model was lost (crash, reconciliation) holds nothing any more.
    if (generation !== e.generation || e.leases === 0) return
    e.leases--
    e.lastUsedAt = this.now()
    if (e.leases === 0) {
      if (e.state === "draining") void this.unload(e, e.drainReason)
      else if (e.state === "resident") this.armIdle(e)
    }
    this.changed()
  }

  // ---------------------------------------------------------------- load

  /**
   * Load `name` (it must be unloaded, and no other load under way): wait for its bytes in the
   * budget, load it on the backend, correct its size from the running list. `signal` abandons the
   * wait for memory; once the backend load has started it runs to the end.
   */
  async load(name: string, signal?: AbortSignal): Promise<void> {
    const e = this.entry(name)
    if (e === undefined)
      throw conductorError("ModelNotFound", `model '${name}' is not registered`, { model: name })
    if (this.loadingModel !== undefined) {
      throw new Error(`residency: load of ${name} while ${this.loadingModel} is loading (one load per host)`)
    }
    if (e.state !== "unloaded") throw new Error(`residency: load of ${name} in state ${e.state}`)
    const bytes = e.estimate
    if (bytes > this.deps.budget.capacity) {
      throw conductorError(
        "OutOfMemory",
        `${name} needs ${(bytes / GB).toFixed(1)} GB but the VRAM budget is ${(this.deps.budget.capacity / GB).toFixed(1)} GB`,
        { model: name, details: { requiredBytes: bytes, budgetBytes: this.deps.budget.capacity } },
      )
    }
    this.loadingModel = name
    e.state = "loading"
    this.changed()
    const started = this.now()
    let stopWatch: (() => void) | undefined
    try {
      e.permit = await this.waitForMemory(e, bytes, signal)
      await this.waitForPlace(e, signal)
      this.deps.publish({ type: "model_loading", model: name, bytes })
      this.changed()
      this.publishVram()
      stopWatch = this.watchLoad(e)
      await this.deps.run(this.withTimeout(this.deps.backend.load(name, e.numCtx, e.kind), name))
      const loadMs = this.now() - started
      e.state = "resident"
      e.generation++
      e.external = false
      e.loadedAt = this.now()
      e.lastUsedAt = e.loadedAt
      e.loadMs = e.loadMeasured ? 0.7 * e.loadMs + 0.3 * loadMs : loadMs
      e.loadMeasured = true
      await this.correctSize(e)
      this.deps.publish({ type: "model_loaded", model: name, bytes: e.permit?.bytes ?? bytes, loadMs })
      this.publishVram()
      this.armIdle(e)
    } catch (err) {
      const error = isConductorError(err)
        ? err
        : conductorError("Crashed", String(err), { model: name, cause: err })
      this.failLoad(e, error, this.now() - started)
      throw error
    } finally {
      stopWatch?.()
      this.loadingModel = undefined
      this.changed()
    }
  }

  /**
   * Watch a backend load: one that runs far past its expected time is held by the server, which
   * waits for a runner to unload that never will — a victim it chose itself (its OOM retry evicts
   * every other model; at its loaded-model limit it picks one, busy or not) whose keep-alive our
   * next request restored (ollama#17408). Only an unload moves it, so each time the load is overdue
   * `unstickLoad` gives the server one. Returns the stop.
   */
  private watchLoad(e: Entry): () => void {
    let stopped = false
    let cancel: (() => void) | undefined
    const arm = () => {
      const ms = Math.max(LOAD_STALL_FLOOR_MS, LOAD_STALL_FACTOR * e.loadMs)
      cancel = this.deps.time.schedule(ms, () =>
        queueMicrotask(() => {
          if (stopped || this.stopped.signal.aborted || e.state !== "loading") return
          void this.unstickLoad(e)
          arm()
        }),
      )
    }
    arm()
    return () => {
      stopped = true
      cancel?.()
    }
  }

  /**
   * A stalled load: set the table right from the running list (the server's own evictions show as
   * vanished models), then unload one model besides it — an idle one now, else stop the least busy
   * taking work and unload it when its last lease ends. Pinned models stay; while one is already
   * draining, that unload is the one to wait for.
   */
  private async unstickLoad(e: Entry): Promise<void> {
    await this.reconcile()
    if (e.state !== "loading") return
    const others = [...this.entries.values()].filter(
      (m) => m !== e && !m.pinned && (m.state === "resident" || m.state === "draining"),
    )
    if (others.some((m) => m.state === "draining")) return
    const idle = others.find((m) => m.leases === 0)
    if (idle !== undefined) {
      void this.unload(idle, "make_room")
      return
    }
    const busy = others.sort((a, b) => a.leases - b.leases)[0]
    if (busy !== undefined) this.drain(busy.name)
  }

  /** Models holding a place at the server besides `e` (loading, resident, draining or unloading). */
  private placesBesides(e: Entry): number {
    let n = 0
    for (const m of this.entries.values()) if (m !== e && m.state !== "unloaded") n++
    return n
  }

  /**
   * The server's own rules for a load beside others: a place under its loaded-model limit, and
   * (with a load headroom) at most that share of the free GPU memory. Else it would pick a victim
   * itself — perhaps a busy one — and hold the load until that runner idles.
   */
  private serverWouldLoad(e: Entry): boolean {
    const others = this.placesBesides(e)
    const max = this.deps.options.maxLoaded
    if (max !== undefined && others >= max) return false
    // Beside pinned models only, no eviction of Conductor's can make more room: the server judges
    // by its own (measured) footprint, which our estimate may overstate.
    if (others === 0 || this.onlyPinnedBesides(e)) return true
    const free = this.deps.options.physicalBytes - (this.deps.budget.used - (e.permit?.bytes ?? 0))
    return e.estimate <= this.loadHeadroom * free
  }

  private onlyPinnedBesides(e: Entry): boolean {
    for (const m of this.entries.values()) if (m !== e && m.state !== "unloaded" && !m.pinned) return false
    return true
  }

  private waitForPlace(e: Entry, signal: AbortSignal | undefined): Promise<void> {
    if (this.serverWouldLoad(e)) return Promise.resolve()
    e.waitingForPlace = true
    this.changed()
    return new Promise<void>((resolve, reject) => {
      const settle = () => {
        e.waitingForPlace = false
        this.listeners.delete(check)
        signal?.removeEventListener("abort", onAbort)
      }
      const check = () => {
        if (!this.serverWouldLoad(e)) return
        settle()
        resolve()
      }
      const onAbort = () => {
        settle()
        reject(conductorError("Cancelled", `load of ${e.name} abandoned`, { model: e.name }))
      }
      this.listeners.add(check)
      signal?.addEventListener("abort", onAbort, { once: true })
    })
  }

  private waitForMemory(e: Entry, bytes: number, signal: AbortSignal | undefined): Promise<Permit> {
    return new Promise<Permit>((resolve, reject) => {
      if (signal?.aborted) {
        reject(conductorError("Cancelled", `load of ${e.name} abandoned`, { model: e.name }))
        return
      }
      const onAbort = () => {
        cancel()
        reject(conductorError("Cancelled", `load of ${e.name} abandoned`, { model: e.name }))
      }
      const cancel = this.deps.budget.reserve(bytes, e.name, (permit) => {
        signal?.removeEventListener("abort", onAbort)
        resolve(permit)
      })
      signal?.addEventListener("abort", onAbort, { once: true })
    })
  }

  private withTimeout<A>(
    effect: Effect.Effect<A, ConductorError>,
    name: string,
  ): Effect.Effect<A, ConductorError> {
    const ms = this.deps.options.loadTimeoutMs
    return Effect.timeoutOrElse(effect, {
      duration: ms,
      orElse: () =>
        Effect.fail(conductorError("Timeout", `loading ${name} took longer than ${ms} ms`, { model: name })),
    })
  }

  private failLoad(e: Entry, error: ConductorError, loadMs: number): void {
    this.markUnloaded(e)
    if (error.reason === "Cancelled") return
    e.loadFailures++
    e.lastError = { reason: error.reason, message: error.message, at: this.now() }
    if (error.reason === "OutOfMemory") {
      // The model needs more than we thought: learn it (from the server's figure when it gave one).
      const required = error.details?.requiredBytes
      e.estimate = Math.max(typeof required === "number" ? required : 0, Math.round(e.estimate * 1.2))
    }
    this.deps.publish({
      type: "model_load_failed",
      model: e.name,
      reason: error.reason,
      message: error.message,
      loadMs,
    })
    this.publishVram()
    if (error.reason === "Crashed" || error.reason === "Unavailable" || error.reason === "OutOfMemory") {
      void this.reconcile()
    }
  }

  // ---------------------------------------------------------------- unload

  /**
   * Unload an idle model now (false when it is busy, pinned or not in memory). `force` (crash,
   * shutdown, an operator's request) ignores pinning.
   */
  evict(name: string, reason: EvictionReason, force = false): boolean {
    const e = this.entry(name)
    if (e === undefined || (e.state !== "resident" && e.state !== "draining") || e.leases > 0) return false
    if (e.pinned && !force) return false
    void this.unload(e, reason)
    return true
  }

  /** Stop a busy model taking new work and unload it when its last lease ends. */
  drain(name: string): boolean {
    const e = this.entry(name)
    if (e === undefined || e.state !== "resident" || e.pinned) return false
    if (e.leases === 0) {
      void this.unload(e, "make_room")
      return true
    }
    e.state = "draining"
    e.drainReason = "make_room"
    this.cancelIdle(e)
    this.deps.publish({ type: "model_draining", model: e.name, reason: "make_room" })
    this.changed()
    return true
  }

  /**
   * An operator's unload (admin API, an Ollama client's `keep_alive: 0`): unload now when idle,
   * else stop it taking new work and unload it when its last lease ends. Pinned models stay
   * (unpin first). Returns what happens: `unloading`, `draining`, or why nothing does.
   */
  requestUnload(name: string): "unloading" | "draining" | "pinned" | "not_loaded" {
    const e = this.entry(name)
    if (e === undefined || (e.state !== "resident" && e.state !== "draining")) return "not_loaded"
    if (e.pinned) return "pinned"
    if (e.leases === 0) {
      void this.unload(e, "requested")
      return "unloading"
    }
    e.state = "draining"
    e.drainReason = "requested"
    this.cancelIdle(e)
    this.deps.publish({ type: "model_draining", model: e.name, reason: "requested" })
    this.changed()
    return "draining"
  }

  /** Pin (never evicted, never expires) or unpin a model; false when it is not registered. */
  setPinned(name: string, pinned: boolean): boolean {
    const e = this.entry(name)
    if (e === undefined || !e.servable) return false
    if (e.pinned === pinned) return true
    e.pinned = pinned
    this.deps.publish({ type: "model_pinned", model: e.name, pinned })
    if (pinned) this.cancelIdle(e)
    else if (e.state === "resident" && e.leases === 0) this.armIdle(e)
    this.changed()
    return true
  }

  /** Undo `drain` for a model that is still busy (the load it made room for was abandoned). */
  undrain(name: string): void {
    const e = this.entry(name)
    if (e === undefined || e.state !== "draining") return
    e.state = "resident"
    this.deps.publish({ type: "model_resumed", model: e.name })
    this.changed()
  }

  private async unload(e: Entry, reason: EvictionReason): Promise<void> {
    if (e.state === "unloading" || e.state === "unloaded") return
    this.cancelIdle(e)
    e.state = "unloading"
    const bytes = e.permit?.bytes ?? e.estimate
    this.deps.publish({ type: "model_evicted", model: e.name, reason, bytes })
    this.changed()
    let failed = false
    try {
      await this.deps.run(this.deps.backend.unload(e.name))
    } catch {
      // The backend may be down or have lost the model already; reconciliation settles it.
      failed = true
    }
    if (e.state !== "unloading") return // reset by reconciliation meanwhile
    this.markUnloaded(e)
    this.deps.publish({ type: "model_unloaded", model: e.name, bytes })
    this.publishVram()
    this.changed()
    if (failed) void this.reconcile()
  }

  // ---------------------------------------------------------------- idle expiry

  private armIdle(e: Entry): void {
    this.cancelIdle(e)
    const ms = this.deps.options.idleTimeoutMs
    if (e.pinned || !Number.isFinite(ms) || e.state !== "resident" || e.leases > 0) return
    // `schedule`, not `sleep` with an AbortController: the timer is cancelled by every lease, and
    // an abort builds a DOMException with a stack. It fires a microtask later, as a sleep would.
    const expire = () => {
      if (e.idleTimer !== cancel) return
      e.idleTimer = undefined
      if (e.state === "resident" && e.leases === 0 && !e.pinned) void this.unload(e, "idle")
    }
    const cancel = this.deps.time.schedule(ms, () => queueMicrotask(expire))
    e.idleTimer = cancel
  }

  private cancelIdle(e: Entry): void {
    e.idleTimer?.()
    e.idleTimer = undefined
  }

  // ---------------------------------------------------------------- reconciliation

  /** Compare with the backend's running models (one at a time; concurrent calls share it). */
  reconcile(): Promise<ReconcileResult> {
    if (this.reconciling !== undefined) return this.reconciling
    const p = this.reconcileOnce().finally(() => {
      this.reconciling = undefined
    })
    this.reconciling = p
    return p
  }

  private async reconcileOnce(): Promise<ReconcileResult> {
    // Only entries unchanged while the running list was fetched are judged by it: a model that
    // finished loading or unloading meanwhile is newer than the list.
    const generations = new Map([...this.entries.values()].map((e) => [e, e.generation]))
    const unchanged = (e: Entry) => generations.get(e) === e.generation
    let running: ReadonlyArray<RunningModel>
    try {
      running = await this.deps.run(this.deps.backend.runningModels)
    } catch (err) {
      if (this.backendUp) {
        this.backendUp = false
        const message = isConductorError(err) ? err.message : String(err)
        this.deps.publish({ type: "backend", state: "down", message })
      }
      return { adopted: [], vanished: [], corrected: [] }
    }
    if (!this.backendUp) {
      this.backendUp = true
      this.deps.publish({ type: "backend", state: "up", message: this.deps.backend.description })
    }
    const adopted: string[] = []
    const vanished: string[] = []
    const corrected: string[] = []
    const rows = [...this.entries.values()].map((e) => ({
      name: e.name,
      state: e.state,
      heldBytes: e.permit?.bytes,
      unchanged: unchanged(e),
    }))
    for (const action of reconcileDiff(rows, running)) {
      const known = this.entry(action.name)
      switch (action.kind) {
        case "lose":
          if (known !== undefined) this.lose(known, action.reason)
          vanished.push(action.name)
          break
        case "resize":
          if (known?.permit !== undefined) {
            this.deps.budget.resize(known.permit, action.bytes)
            known.estimate = action.bytes
          }
          corrected.push(action.name)
          break
        case "adopt": {
          const e = known ?? this.newEntry(action.name, action.bytes, false)
          if (known === undefined) this.entries.set(e.name, e)
          e.permit = this.deps.budget.adopt(action.bytes, e.name)
          e.estimate = action.bytes
          e.state = "resident"
          e.external = true
          e.generation++
          e.loadedAt = this.now()
          e.lastUsedAt = this.now()
          adopted.push(e.name)
          this.armIdle(e)
          break
        }
      }
    }
    if (adopted.length + vanished.length + corrected.length > 0) {
      this.deps.publish({ type: "reconciled", adopted, vanished, corrected })
      this.publishVram()
      this.changed()
    }
    return { adopted, vanished, corrected }
  }

  /**
   * The host stopped answering (its breaker opened): every model is treated as gone — its bytes
   * back to the budget, its leases void — and reconciliation sets the table right when it returns.
   */
  reset(): void {
    let any = false
    for (const e of this.entries.values()) {
      // A load under way keeps its slot and bytes until its backend call fails (soon, or on timeout).
      if (e.state === "unloaded" || e.state === "loading") continue
      this.lose(e, "crash")
      any = true
    }
    if (any) {
      this.publishVram()
      this.changed()
    }
  }

  /** The model is gone from the backend (crash, someone else unloaded it). */
  private lose(e: Entry, reason: EvictionReason): void {
    this.cancelIdle(e)
    const bytes = e.permit?.bytes ?? e.estimate
    this.markUnloaded(e)
    this.deps.publish({ type: "model_evicted", model: e.name, reason, bytes })
  }

  /** Out of memory: its bytes back to the budget, its leases void (a new generation). */
  private markUnloaded(e: Entry): void {
    if (e.permit !== undefined) this.deps.budget.release(e.permit)
    e.permit = undefined
    e.state = "unloaded"
    e.generation++
    e.leases = 0
    e.external = false
  }

  /** Reconcile every `reconcileIntervalMs` until `stop()`. */
  start(): void {
    const loop = async () => {
      while (!this.stopped.signal.aborted) {
        try {
          await this.deps.time.sleep(this.deps.options.reconcileIntervalMs, this.stopped.signal)
        } catch {
          return
        }
        await this.reconcile()
      }
    }
    void loop()
  }

  /** Stop timers; with `unloadAll`, unload every idle model Conductor loaded (shutdown). */
  async stop(unloadAll = false): Promise<void> {
    this.stopped.abort()
    for (const e of this.entries.values()) this.cancelIdle(e)
    if (!unloadAll) return
    const idle = [...this.entries.values()].filter(
      (e) => (e.state === "resident" || e.state === "draining") && e.leases === 0 && !e.external,
    )
    await Promise.all(idle.map((e) => this.unload(e, "shutdown")))
  }

  // ---------------------------------------------------------------- helpers

  private entry(name: string): Entry | undefined {
    return this.entries.get(name) ?? this.entries.get(normaliseName(name))
  }

  private newEntry(name: string, estimate: number, servable: boolean, spec?: ResidentModelSpec): Entry {
    return {
      name,
      kind: spec?.kind ?? "chat",
      numCtx: spec?.numCtx ?? 0,
      slots: spec?.slots ?? 1,
      pinned: spec?.pinned ?? false,
      servable,
      state: "unloaded",
      estimate,
      permit: undefined,
      waitingForPlace: false,
      drainReason: "make_room",
      leases: 0,
      generation: 0,
      external: false,
      loadedAt: undefined,
      lastUsedAt: undefined,
      loadMs: guessLoadMs(estimate),
      loadMeasured: false,
      loadFailures: 0,
      lastError: undefined,
      idleTimer: undefined,
    }
  }

  private view(e: Entry): ModelResidency {
    return {
      name: e.name,
      state: e.state,
      bytes: e.permit?.bytes ?? e.estimate,
      leases: e.leases,
      slots: e.slots,
      pinned: e.pinned,
      servable: e.servable,
      external: e.external,
      loadedAt: e.loadedAt,
      lastUsedAt: e.lastUsedAt,
      loadMs: e.loadMs,
      loadFailures: e.loadFailures,
      lastError: e.lastError,
      waitingForMemory: e.state === "loading" && (e.permit === undefined || e.waitingForPlace),
    }
  }

  private async correctSize(e: Entry): Promise<void> {
    try {
      const running = await this.deps.run(this.deps.backend.runningModels)
      const r = running.find((m) => normaliseName(m.name) === normaliseName(e.name))
      if (r !== undefined && e.permit !== undefined && sizeDiffers(r.vramBytes, e.permit.bytes)) {
        this.deps.budget.resize(e.permit, r.vramBytes)
      }
      if (r !== undefined && r.vramBytes > 0) e.estimate = r.vramBytes
    } catch {
      // The size stays estimated until the next reconciliation.
    }
  }

  private publishVram(): void {
    this.deps.publish({
      type: "vram",
      usedBytes: this.deps.budget.used,
      budgetBytes: this.deps.budget.capacity,
      capacityBytes: this.deps.options.physicalBytes,
    })
  }

  private changed(): void {
    for (const l of this.listeners) l()
  }

  private now(): number {
    return this.deps.time.now()
  }
}

/** Residency specs for registry profiles, estimated from `/api/show` facts where the backend gave them. */
export const residentSpecs = (
  profiles: ReadonlyArray<ModelProfile>,
  details: ReadonlyMap<string, BackendModelDetails>,
): ResidentModelSpec[] =>
  profiles.map((p) => {
    const d = details.get(normaliseName(p.name))
    return {
      name: p.name,
      kind: p.kind,
      numCtx: p.numCtx,
      slots: p.parallel,
      pinned: p.pinned,
      estimateBytes:
        d !== undefined ? estimateFootprintBytes(factsOf(d), p.numCtx, p.parallel) : memoryBytes(p),
    }
  })
