/**
 * A replica of Ollama's model scheduler (server/sched.go), quirks included:
 * - a request for a loaded model with the same options skips the queue;
 * - everything else waits in one FIFO (full → 503), processed one request at a time;
 * - one load at a time: sizing the next load waits for the loading runner;
 * - when the loaded count reaches the limit, or the model does not fit, the runner with the
 *   shortest keep_alive (ties by name) is evicted — an idle one first, else the queue waits for
 *   that busy runner's in-flight requests to finish;
 * - a different `num_ctx` reloads the model;
 * - keep_alive is sticky per runner; expiry starts when the runner goes idle; 0 unloads as soon as
 *   it is idle;
 * - a model larger than the whole GPU fails with Ollama's out-of-memory wording.
 * Memory is accounted in bytes; `overcommits` counts any moment resident bytes exceeded the GPUs.
 */
import type { TimeSource } from "../../time/clock.js"
import { canceled, loadOom, loadTerminated, runnerCrashed, SimError, serverBusy, tooLarge } from "./errors.js"
import type { Faults } from "./faults.js"
import { parseKeepAlive } from "./keep-alive.js"
import { footprintBytes, GB, type SimModelSpec, type SimProfile, totalVramBytes } from "./profile.js"

export type RunnerState = "loading" | "ready" | "unloading"

export type SchedulerEvent =
  | { readonly type: "load_started"; readonly model: string; readonly bytes: number; readonly at: number }
  | {
      readonly type: "loaded"
      readonly model: string
      readonly bytes: number
      readonly loadMs: number
      readonly at: number
    }
  | { readonly type: "load_failed"; readonly model: string; readonly error: string; readonly at: number }
  | {
      readonly type: "unload_started"
      readonly model: string
      readonly reason: "expired" | "evicted" | "requested" | "reload"
      readonly at: number
    }
  | { readonly type: "unloaded"; readonly model: string; readonly bytes: number; readonly at: number }
  | { readonly type: "crashed"; readonly models: ReadonlyArray<string>; readonly at: number }

/** One loaded (or loading, or unloading) model runner. */
export class Runner {
  state: RunnerState = "loading"
  /** Requests holding the runner (scheduled and not yet finished). */
  refCount = 0
  /** keep_alive in ms; Infinity = forever; ≤ 0 = unload when idle. */
  sessionMs: number
  expiresAt: number | undefined
  /** Aborts the pending expiry timer, if any. */
  expiry: AbortController | undefined
  /** Generations running now, and FIFO of generations waiting for a slot. */
  active = 0
  readonly slotWaiters: Array<() => void> = []
  /** Set when the runner process dies (crash); generations on it fail. */
  dead = false
  readonly ready: Promise<void>
  readonly unloaded: Promise<void>
  resolveReady!: () => void
  rejectReady!: (e: unknown) => void
  resolveUnloaded!: () => void
  loadedAt: number | undefined
  unloadReason: "expired" | "evicted" | "requested" | "reload" = "expired"

  constructor(
    readonly model: SimModelSpec,
    readonly numCtx: number,
    readonly bytes: number,
    sessionMs: number,
    readonly startedAt: number,
  ) {
    this.sessionMs = sessionMs
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve
      this.rejectReady = reject
    })
    // A failed load with nobody awaiting it must not become an unhandled rejection.
    this.ready.catch(() => undefined)
    this.unloaded = new Promise<void>((resolve) => {
      this.resolveUnloaded = resolve
    })
  }

  get name(): string {
    return this.model.name
  }
}

interface Pending {
  readonly model: SimModelSpec
  readonly numCtx: number
  readonly keepAliveMs: number | undefined
  readonly signal: AbortSignal | undefined
  readonly resolve: (r: Runner) => void
  readonly reject: (e: unknown) => void
}

export interface SchedulerSnapshot {
  readonly runners: ReadonlyArray<{
    readonly name: string
    readonly state: RunnerState
    readonly numCtx: number
    readonly bytes: number
    readonly refCount: number
    readonly active: number
    readonly waitingForSlot: number
    readonly keepAliveMs: number
    readonly expiresAt: number | undefined
  }>
  readonly vram: { readonly usedBytes: number; readonly capacityBytes: number; readonly peakBytes: number }
  readonly overcommits: number
  readonly pending: number
  readonly processing: boolean
  readonly loads: number
  readonly loadFailures: number
  readonly unloads: number
  readonly evictions: number
}

export class Scheduler {
  /** Runners by model name, in every state; unloading ones still hold their memory. */
  private readonly runners = new Map<string, Runner>()
  /** FIFO of requests waiting to be scheduled (the one being scheduled is not in it). */
  private readonly pending: Pending[] = []
  private processing = false
  private readonly capacity: number
  private readonly maxRunners: number
  private peak = 0
  private overcommitCount = 0
  private counters = { loads: 0, loadFailures: 0, unloads: 0, evictions: 0 }

  constructor(
    private readonly profile: SimProfile,
    private readonly clock: TimeSource,
    private readonly faults: Faults,
    private readonly emit: (e: SchedulerEvent) => void,
  ) {
    this.capacity = totalVramBytes(profile)
    this.maxRunners = profile.server.maxLoadedModels * profile.gpus.length
  }

  /** Bytes held by runners in any state. */
  usedBytes(): number {
    let used = 0
    for (const r of this.runners.values()) used += r.bytes
    return used
  }

  runner(name: string): Runner | undefined {
    return this.runners.get(name)
  }

  /**
   * Get a runner for `model`, loading (and evicting) as Ollama would. The caller must `release`
   * the runner when its request ends. `keepAliveMs` undefined = the server default.
   */
  async acquire(
    model: SimModelSpec,
    numCtx: number,
    keepAliveMs: number | undefined,
    signal?: AbortSignal,
  ): Promise<Runner> {
    if (signal?.aborted) throw canceled()
    const existing = this.runners.get(model.name)
    if (existing !== undefined && existing.state !== "unloading" && existing.numCtx === numCtx) {
      // A loaded model skips the queue (a loading one is waited for, as Ollama's lock does).
      if (existing.state === "loading") {
        try {
          await existing.ready
        } catch {
          return this.enqueue(model, numCtx, keepAliveMs, signal)
        }
      }
      if (this.runners.get(model.name) === existing && existing.state === "ready") {
        this.use(existing, keepAliveMs)
        return existing
      }
    }
    return this.enqueue(model, numCtx, keepAliveMs, signal)
  }

  private enqueue(
    model: SimModelSpec,
    numCtx: number,
    keepAliveMs: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Runner> {
    if (this.pending.length >= this.profile.server.maxQueue) return Promise.reject(serverBusy())
    return new Promise<Runner>((resolve, reject) => {
      const entry: Pending = { model, numCtx, keepAliveMs, signal, resolve, reject }
      this.pending.push(entry)
      signal?.addEventListener(
        "abort",
        () => {
          const i = this.pending.indexOf(entry)
          if (i >= 0) {
            this.pending.splice(i, 1)
            reject(canceled())
          }
        },
        { once: true },
      )
      this.kick()
    })
  }

  /** A request on `runner` ended: Ollama's processCompleted. */
  release(runner: Runner): void {
    runner.refCount = Math.max(0, runner.refCount - 1)
    // A crashed runner is gone: it never expires (and must not unload its successor).
    if (runner.dead || runner.refCount > 0 || runner.state !== "ready") return
    if (runner.sessionMs <= 0) {
      this.unload(runner, runner.unloadReason)
      return
    }
    this.armExpiry(runner)
  }

  /** keep_alive 0 with an empty prompt: unload once idle (Ollama's expireRunner). */
  expire(name: string): void {
    const r = this.runners.get(name)
    if (r === undefined || r.state === "unloading") return
    this.cancelExpiry(r)
    r.sessionMs = 0
    r.expiresAt = this.clock.now()
    r.unloadReason = "requested"
    if (r.refCount <= 0 && r.state === "ready") this.unload(r, "requested")
  }

  /** Every runner process dies at once (a driver reset, an OOM killer): memory is free again. */
  crash(): void {
    const names: string[] = []
    for (const r of this.runners.values()) {
      names.push(r.name)
      r.dead = true
      this.cancelExpiry(r)
      if (r.state === "loading") r.rejectReady(runnerCrashed())
      for (const wake of r.slotWaiters.splice(0)) wake()
      r.resolveUnloaded()
    }
    this.runners.clear()
    this.emit({ type: "crashed", models: names, at: this.clock.now() })
  }

  snapshot(): SchedulerSnapshot {
    return {
      runners: [...this.runners.values()].map((r) => ({
        name: r.name,
        state: r.state,
        numCtx: r.numCtx,
        bytes: r.bytes,
        refCount: r.refCount,
        active: r.active,
        waitingForSlot: r.slotWaiters.length,
        keepAliveMs: r.sessionMs,
        expiresAt: r.expiresAt,
      })),
      vram: { usedBytes: this.usedBytes(), capacityBytes: this.capacity, peakBytes: this.peak },
      overcommits: this.overcommitCount,
      pending: this.pending.length,
      processing: this.processing,
      ...this.counters,
    }
  }

  /** Runners for /api/ps: loading and ready ones (an unloading runner is gone for Ollama). */
  loadedRunners(): ReadonlyArray<Runner> {
    return [...this.runners.values()].filter((r) => r.state !== "unloading")
  }

  // ---------------------------------------------------------------- the pending loop

  private kick(): void {
    if (this.processing) return
    this.processing = true
    void this.processPending().finally(() => {
      this.processing = false
      if (this.pending.length > 0) this.kick()
    })
  }

  private async processPending(): Promise<void> {
    for (let next = this.pending.shift(); next !== undefined; next = this.pending.shift()) {
      const req = next
      if (req.signal?.aborted) {
        req.reject(canceled())
        continue
      }
      try {
        const runner = await this.schedule(req)
        if (runner.state === "ready") {
          this.use(runner, req.keepAliveMs)
          req.resolve(runner)
        } else {
          // Started a load: the request waits for it, the queue moves on (the next load will
          // wait for this one when it sizes memory).
          runner.ready.then(
            () => {
              if (runner.dead) {
                req.reject(runnerCrashed())
                return
              }
              this.use(runner, req.keepAliveMs)
              if (req.signal?.aborted) {
                this.release(runner)
                req.reject(canceled())
              } else req.resolve(runner)
            },
            (e: unknown) => req.reject(e),
          )
        }
      } catch (e) {
        req.reject(e)
      }
    }
  }

  /** Ollama's inner scheduling loop for one request: returns a ready runner or a loading one. */
  private async schedule(req: Pending): Promise<Runner> {
    for (;;) {
      if (req.signal?.aborted) throw canceled()
      const runner = this.runners.get(req.model.name)
      if (runner !== undefined) {
        if (runner.state === "unloading") {
          await runner.unloaded
          continue
        }
        if (runner.numCtx !== req.numCtx) {
          runner.unloadReason = "reload"
          await this.expireAndWait(runner, "reload")
          continue
        }
        if (runner.state === "loading") {
          try {
            await runner.ready
          } catch {
            continue
          }
          if (runner.dead) continue
        }
        return runner
      }
      // Sizing memory or choosing a victim waits for loads in progress (Ollama holds the
      // loading runner's lock until it runs).
      await this.loadsSettled()
      const live = [...this.runners.values()].filter((r) => r.state !== "unloading")
      if (live.length >= this.maxRunners) {
        const victim = this.findRunnerToUnload()
        if (victim !== undefined) await this.expireAndWait(victim, "evicted")
        else await this.unloadsSettled()
        continue
      }
      const need = footprintBytes(req.model, req.numCtx)
      if (need > this.capacity) throw tooLarge(need, this.capacity)
      if (this.runners.size === 0 || need <= this.capacity - this.usedBytes())
        return this.startLoad(req, need)
      const victim = this.findRunnerToUnload()
      if (victim !== undefined) await this.expireAndWait(victim, "evicted")
      else await this.unloadsSettled()
    }
  }

  private async loadsSettled(): Promise<void> {
    for (const r of this.runners.values()) {
      if (r.state === "loading") await r.ready.catch(() => undefined)
    }
  }

  private async unloadsSettled(): Promise<void> {
    for (const r of [...this.runners.values()]) if (r.state === "unloading") await r.unloaded
  }

  /** Shortest keep_alive first (forever last), ties by name; an idle one if any, else the first. */
  private findRunnerToUnload(): Runner | undefined {
    const list = [...this.runners.values()]
      .filter((r) => r.state !== "unloading")
      .sort((a, b) => a.sessionMs - b.sessionMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    return list.find((r) => r.refCount <= 0 && r.state === "ready") ?? list[0]
  }

  private async expireAndWait(r: Runner, reason: "evicted" | "reload"): Promise<void> {
    this.cancelExpiry(r)
    r.sessionMs = 0
    r.unloadReason = reason
    if (reason === "evicted") this.counters.evictions++
    if (r.refCount <= 0 && r.state === "ready") this.unload(r, reason)
    await r.unloaded
  }

  private startLoad(req: Pending, bytes: number): Runner {
    const now = this.clock.now()
    const keep = req.keepAliveMs ?? this.defaultKeepAlive()
    const runner = new Runner(req.model, req.numCtx, bytes, keep, now)
    this.runners.set(req.model.name, runner)
    this.track()
    this.counters.loads++
    this.emit({ type: "load_started", model: runner.name, bytes, at: now })
    const loadMs = (bytes / (this.profile.diskReadGBps * GB)) * 1000 + this.profile.loadOverheadSec * 1000
    const fault = this.faults.forLoad(runner.name)
    const failAfter = fault === "none" ? undefined : loadMs * 0.6
    void this.clock.sleep(failAfter ?? loadMs).then(() => {
      if (runner.dead || this.runners.get(runner.name) !== runner) return
      if (fault !== "none") {
        const error = fault === "oom" ? loadOom() : loadTerminated()
        this.counters.loadFailures++
        this.runners.delete(runner.name)
        runner.state = "unloading"
        runner.rejectReady(error)
        runner.resolveUnloaded()
        this.emit({ type: "load_failed", model: runner.name, error: error.message, at: this.clock.now() })
        return
      }
      runner.state = "ready"
      runner.loadedAt = this.clock.now()
      this.emit({ type: "loaded", model: runner.name, bytes, loadMs, at: this.clock.now() })
      runner.resolveReady()
    })
    return runner
  }

  private defaultKeepAlive(): number {
    // Validated when the profile was loaded.
    return parseKeepAlive(this.profile.server.keepAlive)
  }

  /** Ollama's useLoadedRunner: hold the runner; a request's keep_alive sticks to it. */
  private use(r: Runner, keepAliveMs: number | undefined): void {
    r.refCount++
    this.cancelExpiry(r)
    if (keepAliveMs !== undefined) r.sessionMs = keepAliveMs
  }

  private armExpiry(r: Runner): void {
    this.cancelExpiry(r)
    if (r.sessionMs === Number.POSITIVE_INFINITY) {
      r.expiresAt = undefined
      return
    }
    const ctl = new AbortController()
    r.expiry = ctl
    r.expiresAt = this.clock.now() + r.sessionMs
    this.clock.sleep(r.sessionMs, ctl.signal).then(
      () => {
        if (r.expiry !== ctl) return
        r.expiry = undefined
        if (r.refCount <= 0 && r.state === "ready") this.unload(r, "expired")
      },
      () => undefined,
    )
  }

  private cancelExpiry(r: Runner): void {
    r.expiry?.abort()
    r.expiry = undefined
  }

  private unload(r: Runner, reason: "expired" | "evicted" | "requested" | "reload"): void {
    if (r.state === "unloading") return
    this.cancelExpiry(r)
    r.state = "unloading"
    this.counters.unloads++
    this.emit({ type: "unload_started", model: r.name, reason, at: this.clock.now() })
    void this.clock.sleep(this.profile.unloadSec * 1000).then(() => {
      if (this.runners.get(r.name) === r) this.runners.delete(r.name)
      r.resolveUnloaded()
      this.emit({ type: "unloaded", model: r.name, bytes: r.bytes, at: this.clock.now() })
      if (this.pending.length > 0) this.kick()
    })
  }

  private track(): void {
    const used = this.usedBytes()
    if (used > this.peak) this.peak = used
    if (used > this.capacity) this.overcommitCount++
  }
}

export const isSimError = (e: unknown): e is SimError => e instanceof SimError
