/**
 * A replica of the model scheduler of the current Ollama release (v0.32.15: server/sched.go and
 * llm/llama_server.go, the same code at v0.33.0-rc2), quirks included; docs/simulator.md lists
 * each behaviour with its source and what changed since v0.12.6. In short:
 * - a request for a loaded model whose options match skips the queue (getRunner);
 * - everything else waits in one FIFO (full → 503), scheduled one request at a time; a load holds
 *   the queue until the model runs, and only then does the runner join the loaded set;
 * - the first model loads whatever its size (llama-server runs what does not fit on the CPU);
 *   another loads beside the loaded ones only if it needs at most 80% of the free GPU memory;
 * - otherwise, or at the loaded-model limit, the runner with the shortest keep-alive (ties by model
 *   path) is evicted — an idle one first, else the queue waits for a busy one to finish; a request
 *   that reaches that runner meanwhile with a keep_alive restores it, and the queue then waits for
 *   its expiry, forever with keep_alive -1 (ollama#17408);
 * - a different num_ctx reloads the model (requests that leave it to Ollama share the runner);
 * - a load that runs out of memory retries once, a context tier lower when Ollama chose it, after
 *   evicting every other model when others are loaded; a client that leaves aborts its load;
 * - unloads run one at a time, each holding its memory for the VRAM-recovery wait.
 * Memory is in bytes; `overcommits` counts the moments GPU bytes exceeded the GPUs.
 */
import type { TimeSource } from "../../time/clock.js"
import { effectiveContext, nextLowerAutoContext, type RequestedContext, requestedContext } from "./context.js"
import { modelDigest } from "./digest.js"
import { cancelled, loadOom, loadTerminated, runnerCrashed, serverBusy, tooLarge } from "./errors.js"
import type { Faults, LoadFault } from "./faults.js"
import { HostMemory } from "./host-memory.js"
import { parseKeepAlive } from "./keep-alive.js"
import { loadMs, loadTimesOf } from "./load-time.js"
import type { PageCache } from "./page-cache.js"
import { place } from "./placement.js"
import { fileBytes, footprintBytes, type SimModelSpec, type SimProfile, totalVramBytes } from "./profile.js"
import { type EvictionCause, Runner, type UnloadReason } from "./runner.js"
import type { SchedulerEvent, SchedulerSnapshot } from "./scheduler-report.js"

export type { EvictionCause, SchedulerEvent, SchedulerSnapshot }

interface Pending {
  readonly model: SimModelSpec
  readonly ctx: RequestedContext
  readonly keepAliveMs: number | undefined
  readonly signal: AbortSignal | undefined
  readonly resolve: (r: Runner) => void
  readonly reject: (e: unknown) => void
}

/** One request's way through loads: its context (lowered by an OOM retry), its fault, its retry. */
interface Attempt {
  numCtx: number
  oomRetried: boolean
  fault: LoadFault | undefined
}

type LoadOutcome =
  | { readonly kind: "loaded" }
  | { readonly kind: "retry" }
  | { readonly kind: "evict-all" }
  | { readonly kind: "evict"; readonly cause: "headroom" | "no_room" }

/** Below this share of the free GPU memory a model loads beside others (sched.go load). */
const FITS_BESIDE = 0.8
/** A failed load fails this far into its load time. */
const FAIL_AT = 0.6

export class OllamaScheduler {
  /** Ollama's `loaded`: runners that finished loading, by model. */
  private readonly loaded = new Map<string, Runner>()
  /** Ollama's `activeLoading`: the one load in progress. */
  private loading: Runner | undefined
  private loadAbort: AbortController | undefined
  /** Stopped runners whose memory is not free yet. */
  private readonly unloading = new Set<Runner>()
  /** processCompleted handles one unload at a time. */
  private unloadChain: Promise<void> = Promise.resolve()
  private unloadCount = 0
  private readonly unloadWaiters: Array<{ readonly target: number; readonly wake: () => void }> = []
  /** FIFO of requests waiting to be scheduled (the one being scheduled is not in it). */
  private readonly pending: Pending[] = []
  private processing = false
  private readonly capacity: number
  private readonly maxRunners: number
  private readonly host: HostMemory
  private peak = 0
  private overcommitCount = 0
  private counters = { loads: 0, loadFailures: 0, unloads: 0, evictions: 0 }

  constructor(
    private readonly profile: SimProfile,
    private readonly clock: TimeSource,
    private readonly faults: Faults,
    private readonly emit: (e: SchedulerEvent) => void,
    private loadCostScale: number = profile.loadCostScale,
  ) {
    this.capacity = totalVramBytes(profile)
    this.maxRunners = profile.server.maxLoadedModels * profile.gpus.length
    this.host = new HostMemory(profile, () => this.live())
  }

  get pageCache(): PageCache {
    return this.host.pageCache
  }

  setLoadCostScale(scale: number): void {
    if (!(scale > 0)) throw new Error(`loadCostScale must be > 0, got ${scale}`)
    this.loadCostScale = scale
  }

  /** GPU bytes held by runners in any state. */
  usedBytes(): number {
    let used = 0
    for (const r of this.live()) used += r.gpuBytes
    return used
  }

  /** The runner of `name` holding memory: an unloading one first, else the loaded or loading one. */
  runner(name: string): Runner | undefined {
    for (const r of this.unloading) if (r.name === name) return r
    return this.loaded.get(name) ?? (this.loading?.name === name ? this.loading : undefined)
  }

  /**
   * Get a runner for `model`, loading (and evicting) as Ollama would; `numCtx` is the request's
   * num_ctx (undefined: Ollama's default) and `keepAliveMs` its keep_alive (undefined: the
   * server's). The caller must `release` the runner when its request ends.
   */
  async acquire(
    model: SimModelSpec,
    numCtx: number | undefined,
    keepAliveMs: number | undefined,
    signal?: AbortSignal,
  ): Promise<Runner> {
    if (signal?.aborted) throw cancelled()
    const ctx = requestedContext(this.profile, model, numCtx)
    const loaded = this.loaded.get(model.name)
    if (loaded !== undefined && !this.needsReload(loaded, model, ctx)) {
      this.use(loaded, keepAliveMs)
      return loaded
    }
    return this.enqueue(model, ctx, keepAliveMs, signal)
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

  /** keep_alive 0 with an empty prompt: unload once idle (expireRunner; a loading model is not found). */
  expire(name: string): void {
    const r = this.loaded.get(name)
    if (r === undefined) return
    this.cancelExpiry(r)
    r.sessionMs = 0
    r.lastExpiresAt = this.clock.now()
    r.unloadReason = "requested"
    if (r.refCount <= 0) this.unload(r, "requested")
  }

  /** Every runner process dies at once (a driver reset, an OOM killer): memory is free again. */
  crash(): void {
    const all = this.live()
    for (const r of all) {
      r.dead = true
      this.cancelExpiry(r)
      for (const wake of r.slotWaiters.splice(0)) wake()
      r.resolveUnloaded()
    }
    this.loadAbort?.abort()
    this.loaded.clear()
    this.loading = undefined
    this.unloading.clear()
    this.unloadChain = Promise.resolve()
    for (const w of this.unloadWaiters.splice(0)) w.wake()
    this.emit({ type: "crashed", models: all.map((r) => r.name), at: this.clock.now() })
  }

  snapshot(): SchedulerSnapshot {
    return {
      runners: this.live().map((r) => ({
        name: r.name,
        state: r.state,
        numCtx: r.numCtx,
        bytes: r.bytes,
        gpuBytes: r.gpuBytes,
        cpuBytes: r.placement.cpuBytes,
        refCount: r.refCount,
        active: r.active,
        waitingForSlot: r.slotWaiters.length,
        keepAliveMs: r.sessionMs,
        expiresAt: r.expiresAt,
      })),
      vram: { usedBytes: this.usedBytes(), capacityBytes: this.capacity, peakBytes: this.peak },
      pageCache: this.host.pageCache.snapshot(),
      loadCostScale: this.loadCostScale,
      overcommits: this.overcommitCount,
      pending: this.pending.length,
      processing: this.processing,
      ...this.counters,
    }
  }

  /** Runners for /api/ps: the loaded ones (a model still loading is not in Ollama's list yet). */
  loadedRunners(): ReadonlyArray<Runner> {
    return [...this.loaded.values()]
  }

  // ---------------------------------------------------------------- the pending queue

  private enqueue(
    model: SimModelSpec,
    ctx: RequestedContext,
    keepAliveMs: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Runner> {
    if (this.pending.length >= this.profile.server.maxQueue) return Promise.reject(serverBusy())
    return new Promise<Runner>((resolve, reject) => {
      const entry: Pending = { model, ctx, keepAliveMs, signal, resolve, reject }
      this.pending.push(entry)
      // A request that leaves is answered at once; if it is being scheduled, the scheduler drops
      // it at its next step (a load it started is aborted).
      signal?.addEventListener(
        "abort",
        () => {
          const i = this.pending.indexOf(entry)
          if (i >= 0) this.pending.splice(i, 1)
          reject(cancelled())
        },
        { once: true },
      )
      this.kick()
    })
  }

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
        req.reject(cancelled())
        continue
      }
      try {
        await this.schedule(req)
      } catch (e) {
        req.reject(e)
      }
    }
  }

  /** processPending's inner loop for one request: until it has a runner (or fails). */
  private async schedule(req: Pending): Promise<void> {
    const attempt: Attempt = {
      numCtx: effectiveContext(req.model, req.ctx.numCtx),
      oomRetried: false,
      fault: undefined,
    }
    for (;;) {
      if (req.signal?.aborted) throw cancelled()
      const runner = this.loaded.get(req.model.name)
      let victim: Runner | undefined
      let reason: UnloadReason = "evicted"
      let cause: EvictionCause | undefined
      if (runner !== undefined) {
        if (!this.needsReload(runner, req.model, req.ctx)) {
          this.use(runner, req.keepAliveMs)
          this.grant(req, runner)
          return
        }
        victim = runner
        reason = "reload"
      } else if (this.loaded.size >= this.maxRunners) {
        victim = this.findRunnerToUnload()
        cause = "loaded_limit"
      } else {
        const outcome = await this.load(req, attempt)
        if (outcome.kind === "loaded") return
        if (outcome.kind === "retry") continue
        if (outcome.kind === "evict-all") {
          await this.evictAll(req.model.name)
          continue
        }
        victim = this.findRunnerToUnload()
        cause = outcome.cause
      }
      // The loaded runners went away meanwhile: look again.
      if (victim === undefined) continue
      const seen = this.unloadCount
      this.evict(victim, reason, cause)
      // Ollama waits for the next unload of any runner, then looks again.
      await this.unloadsAfter(seen + 1)
    }
  }

  /** Hand the runner to the request, unless it left meanwhile (then its hold ends at once). */
  private grant(req: Pending, runner: Runner): void {
    if (req.signal?.aborted) {
      this.release(runner)
      return
    }
    req.resolve(runner)
  }

  /** A loaded runner cannot serve this request: it died, or the context differs. */
  private needsReload(r: Runner, model: SimModelSpec, ctx: RequestedContext): boolean {
    if (r.dead) return true
    if (r.numCtxAuto && ctx.auto) return false
    return effectiveContext(model, ctx.numCtx) !== r.numCtx
  }

  // ---------------------------------------------------------------- loads

  /** sched.go load with llama-server's Load: blocks the queue until the model runs. */
  private async load(req: Pending, attempt: Attempt): Promise<LoadOutcome> {
    const model = req.model
    const first = this.loaded.size === 0
    const need = footprintBytes(model, attempt.numCtx)
    const gpuFree = this.capacity - this.usedBytes()
    // The pre-flight beside loaded models: predicted > 80% of free memory → evict first.
    if (!first && need > FITS_BESIDE * gpuFree)
      return { kind: "evict", cause: need <= gpuFree ? "headroom" : "no_room" }
    const hostFree = this.host.freeBytes()
    const placement = place(model, need, gpuFree, hostFree, this.profile.cpuMemoryGBps)
    if (placement === undefined) {
      if (!first) return { kind: "evict", cause: "no_room" }
      throw tooLarge(need, gpuFree + hostFree)
    }
    const now = this.clock.now()
    const runner = new Runner(
      model,
      attempt.numCtx,
      req.ctx.auto,
      placement,
      req.keepAliveMs ?? parseKeepAlive(this.profile.server.keepAlive),
      now,
    )
    this.loading = runner
    this.track()
    this.counters.loads++
    const file = fileBytes(model)
    const cachedFraction = this.host.startLoad(model)
    const ms = loadMs(loadTimesOf(model, this.profile), cachedFraction, this.loadCostScale)
    this.emit({
      type: "load_started",
      model: model.name,
      bytes: runner.bytes,
      gpuBytes: runner.gpuBytes,
      numCtx: runner.numCtx,
      cachedFraction,
      expectedMs: ms,
      at: now,
    })
    attempt.fault ??= this.faults.forLoad(model.name)
    const fault = attempt.fault
    const waited = await this.loadWait(fault === "none" ? ms : ms * FAIL_AT, req.signal)
    if (runner.dead) throw runnerCrashed()
    this.loading = undefined
    if (waited !== "done") {
      // The client left: llama-server is closed mid-load ("client connection closed before
      // llama-server finished loading, aborting load"); what it read stays cached.
      this.host.read(model, (file * (this.clock.now() - now)) / Math.max(1, ms))
      this.emit({
        type: "load_failed",
        model: model.name,
        error: "timed out waiting for llama-server to start: context canceled",
        at: this.clock.now(),
      })
      this.track()
      throw cancelled()
    }
    if (fault !== "none") {
      const error = fault === "oom" ? loadOom() : loadTerminated()
      this.counters.loadFailures++
      this.host.read(model, file * FAIL_AT)
      this.emit({ type: "load_failed", model: model.name, error: error.message, at: this.clock.now() })
      if (fault === "oom" && !attempt.oomRetried) {
        const lower = req.ctx.auto ? nextLowerAutoContext(attempt.numCtx) : undefined
        if (lower !== undefined) {
          attempt.oomRetried = true
          attempt.numCtx = lower
          return first ? { kind: "retry" } : { kind: "evict-all" }
        }
        if (!first) {
          attempt.oomRetried = true
          return { kind: "evict-all" }
        }
      }
      throw error
    }
    runner.state = "ready"
    runner.loadedAt = this.clock.now()
    this.loaded.set(model.name, runner)
    this.host.read(model, file)
    this.emit({
      type: "loaded",
      model: model.name,
      bytes: runner.bytes,
      gpuBytes: runner.gpuBytes,
      loadMs: ms,
      cachedFraction,
      at: this.clock.now(),
    })
    this.use(runner, req.keepAliveMs)
    this.grant(req, runner)
    return { kind: "loaded" }
  }

  /** Sleep through a load; "aborted" when the client leaves first (a crash also ends it). */
  private async loadWait(ms: number, signal: AbortSignal | undefined): Promise<"done" | "aborted"> {
    const ctl = new AbortController()
    this.loadAbort = ctl
    const onAbort = () => ctl.abort()
    signal?.addEventListener("abort", onAbort, { once: true })
    try {
      await this.clock.sleep(ms, ctl.signal)
      return "done"
    } catch {
      return "aborted"
    } finally {
      signal?.removeEventListener("abort", onAbort)
      if (this.loadAbort === ctl) this.loadAbort = undefined
    }
  }

  // ---------------------------------------------------------------- eviction and unloads

  /** Shortest keep-alive first (forever last), ties by model path; an idle one if any, else the first. */
  private findRunnerToUnload(): Runner | undefined {
    const list = [...this.loaded.values()].sort((a, b) => {
      if (a.sessionMs !== b.sessionMs) return a.sessionMs < b.sessionMs ? -1 : 1
      const pa = modelDigest(a.name)
      const pb = modelDigest(b.name)
      return pa < pb ? -1 : pa > pb ? 1 : 0
    })
    return list.find((r) => r.refCount <= 0) ?? list[0]
  }

  /** Expire a runner now: it unloads at once if idle, else when its requests end (if nothing restores it). */
  private evict(victim: Runner, reason: UnloadReason, cause: EvictionCause | undefined): void {
    this.cancelExpiry(victim)
    victim.sessionMs = 0
    victim.unloadReason = reason
    victim.evictionCause = cause
    if (reason === "evicted" && !victim.evicting) this.counters.evictions++
    victim.evicting = true
    if (victim.refCount <= 0) this.unload(victim, reason)
  }

  /** The OOM retry's evictAllAndWait: expire every other loaded runner, wait for all their unloads. */
  private async evictAll(keep: string): Promise<void> {
    const victims = [...this.loaded.values()].filter((r) => r.name !== keep)
    if (victims.length === 0) return
    const seen = this.unloadCount
    for (const r of victims) this.evict(r, "evicted", "oom_retry")
    await this.unloadsAfter(seen + victims.length)
  }

  /** Resolves once `target` unloads have completed in all (or every runner died). */
  private unloadsAfter(target: number): Promise<void> {
    if (this.unloadCount >= target) return Promise.resolve()
    return new Promise<void>((wake) => this.unloadWaiters.push({ target, wake }))
  }

  private unload(r: Runner, reason: UnloadReason): void {
    if (r.state === "unloading" || r.dead) return
    this.cancelExpiry(r)
    r.state = "unloading"
    if (this.loaded.get(r.name) === r) this.loaded.delete(r.name)
    this.unloading.add(r)
    this.counters.unloads++
    const cause = reason === "evicted" ? r.evictionCause : undefined
    this.emit({
      type: "unload_started",
      model: r.name,
      reason,
      ...(cause !== undefined ? { cause } : {}),
      at: this.clock.now(),
    })
    this.unloadChain = this.unloadChain
      .then(() => this.clock.sleep(this.profile.unloadSec * 1000))
      .then(() => {
        if (!this.unloading.delete(r)) return // a crash freed it already
        r.resolveUnloaded()
        this.emit({ type: "unloaded", model: r.name, bytes: r.bytes, at: this.clock.now() })
        this.unloadCount++
        for (let i = this.unloadWaiters.length - 1; i >= 0; i--) {
          const w = this.unloadWaiters[i]
          if (w !== undefined && w.target <= this.unloadCount) {
            this.unloadWaiters.splice(i, 1)
            w.wake()
          }
        }
        if (this.pending.length > 0) this.kick()
      })
  }

  // ---------------------------------------------------------------- keep-alive

  /**
   * Ollama's useLoadedRunner: hold the runner, stop its expiry; a request's keep_alive sticks to
   * it — even on a runner being evicted, whose expiry then no longer comes when it goes idle.
   */
  private use(r: Runner, keepAliveMs: number | undefined): void {
    r.refCount++
    this.cancelExpiry(r)
    if (keepAliveMs === undefined) return
    if (r.evicting && r.sessionMs <= 0 && keepAliveMs > 0) {
      this.emit({ type: "resurrected", model: r.name, keepAliveMs, at: this.clock.now() })
    }
    r.sessionMs = keepAliveMs
  }

  private armExpiry(r: Runner): void {
    this.cancelExpiry(r)
    if (r.sessionMs === Number.POSITIVE_INFINITY) {
      r.lastExpiresAt = Number.POSITIVE_INFINITY
      return
    }
    const at = this.clock.now() + r.sessionMs
    r.expiresAt = at
    r.lastExpiresAt = at
    r.expiry = this.clock.schedule(r.sessionMs, () => {
      r.expiry = undefined
      r.expiresAt = undefined
      if (r.refCount <= 0 && r.state === "ready") this.unload(r, "expired")
    })
  }

  private cancelExpiry(r: Runner): void {
    r.expiry?.()
    r.expiry = undefined
    r.expiresAt = undefined
  }

  private live(): Runner[] {
    const all = [...this.loaded.values(), ...this.unloading]
    if (this.loading !== undefined) all.push(this.loading)
    return all
  }

  private track(): void {
    const used = this.usedBytes()
    if (used > this.peak) this.peak = used
    if (used > this.capacity) this.overcommitCount++
  }
}
