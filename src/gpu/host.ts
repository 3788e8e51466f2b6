/**
 * One GPU host and its single owner (DESIGN decision 13): its backend, hardware, VRAM budget,
 * residency table (with its own reconciliation and load serialisation), scheduler and loaded-model
 * limit — plain cores, as on one host — plus the host's breaker, distinct from the per-model ones.
 * The breaker opens when the host stops answering (a failed check after an Unavailable error, or a
 * failed reconciliation): residency is reset (its models treated as gone), its waiting requests
 * fail over with `hostFailure`, and it is probed with backoff; when it answers again it is
 * reconciled (what it really holds is adopted) and takes work again. Placement reads `view()`.
 */
import { Effect } from "effect"
import type { HostSpec } from "../backends/hosts.js"
import type { BackendShape } from "../backends/port.js"
import type { SimEngine } from "../backends/sim/engine.js"
import { type ConductorError, conductorError } from "../domain/errors.js"
import type { ConductorEvent } from "../domain/events.js"
import type { RunPromise } from "../runtime/run-promise.js"
import type { TimeSource } from "../time/clock.js"
import type { HardwareReport } from "./hardware.js"
import type { HostView } from "./placement.js"
import type { ResidencyCore } from "./residency.js"
import type { SchedulerCore } from "./scheduler.js"

export interface HostBreakerOptions {
  /** First probe after the host is marked down; doubles after each failed probe… */
  readonly probeAfterMs: number
  /** …up to this. */
  readonly maxProbeAfterMs: number
  /** How long a check may take before the host counts as not answering. */
  readonly checkTimeoutMs: number
}

export interface GpuHostParts {
  readonly spec: HostSpec
  readonly backend: BackendShape
  readonly hardware: HardwareReport
  readonly maxLoaded: number
  readonly residency: ResidencyCore
  readonly scheduler: SchedulerCore
  readonly run: RunPromise
  readonly time: TimeSource
  readonly publish: (event: ConductorEvent) => void
  readonly breaker: HostBreakerOptions
  /** The embedded simulator behind this host, when it is one. */
  readonly engine?: SimEngine | undefined
  /** The registry models it has (undefined: unknown, all assumed); placement skips the rest. */
  readonly available?: ReadonlySet<string> | undefined
}

export type HostState = "up" | "down"

export class GpuHost {
  private state: HostState = "up"
  private checking: Promise<void> | undefined
  private probeMs: number
  private readonly stopped = new AbortController()
  private readonly serviceMs = new Map<string, number>()

  constructor(readonly p: GpuHostParts) {
    this.probeMs = p.breaker.probeAfterMs
  }

  get name(): string {
    return this.p.spec.name
  }
  get url(): string {
    return this.p.spec.url
  }
  get up(): boolean {
    return this.state === "up"
  }
  get residency(): ResidencyCore {
    return this.p.residency
  }
  get scheduler(): SchedulerCore {
    return this.p.scheduler
  }
  get backend(): BackendShape {
    return this.p.backend
  }
  get hardware(): HardwareReport {
    return this.p.hardware
  }

  /** Note how long a request held a slot on `model` here (placement's expected waits). */
  noteService(model: string, ms: number): void {
    const prev = this.serviceMs.get(model)
    this.serviceMs.set(model, prev === undefined ? ms : 0.8 * prev + 0.2 * ms)
  }

  /** What placement decides on. */
  view(): HostView {
    const v = this.p.scheduler.view()
    return {
      name: this.name,
      up: this.up,
      weight: this.p.spec.weight,
      capacityBytes: v.capacityBytes,
      usedBytes: v.usedBytes,
      maxLoaded: v.maxLoaded,
      loading: this.p.residency.loading,
      loadable: (m) => this.p.scheduler.loadable(m),
      models: v.models
        .filter((m) => this.p.available === undefined || this.p.available.has(m.name) || m.external)
        .map((m) => ({
          name: m.name,
          state: m.state,
          bytes: m.bytes,
          inflight: m.inflight,
          slots: m.slots,
          queued: m.queued,
          pinned: m.pinned,
          lastUsedAt: m.lastUsedAt,
          loadMs: m.loadMs,
          serviceMs: this.serviceMs.get(m.name),
          demand: m.demand,
        })),
    }
  }

  /**
   * An error from this host. Unavailable (it did not answer, or cut a stream) makes Conductor
   * check it at once; a failed check marks it down. Returns the error, tagged as the host's
   * failure when it is one (the request then tries another host first).
   */
  failed(error: ConductorError): ConductorError {
    if (error.reason !== "Unavailable" && error.reason !== "Crashed") return error
    if (error.reason === "Unavailable" || !this.up) void this.check(error.message)
    return error.reason === "Unavailable" || !this.up ? hostFailure(error, this.name) : error
  }

  /** Residency's reconciliation found the backend down (or up again). */
  backendState(state: "up" | "down", message: string): void {
    if (state === "down") void this.check(message)
  }

  /** Ping the host; mark it down when it does not answer. Concurrent checks share one. */
  check(why: string): Promise<void> {
    if (!this.up || this.checking !== undefined) return this.checking ?? Promise.resolve()
    this.checking = this.ping().then((ok) => {
      this.checking = undefined
      if (!ok) this.markDown(why)
    })
    return this.checking
  }

  private async ping(): Promise<boolean> {
    try {
      await this.p.run(
        Effect.timeoutOrElse(this.p.backend.ping, {
          duration: this.p.breaker.checkTimeoutMs,
          orElse: () => Effect.fail(conductorError("Timeout", "no answer")),
        }),
      )
      return true
    } catch {
      return false
    }
  }

  /** The breaker opens: nothing is placed here, residency resets, waiting requests fail over. */
  markDown(message: string): void {
    if (!this.up) return
    this.state = "down"
    this.p.publish({ type: "host", host: this.name, url: this.url, state: "down", message })
    this.p.residency.reset()
    this.p.scheduler.failQueued((model) =>
      hostFailure(
        conductorError("Unavailable", `GPU host ${this.name} (${this.url}) stopped answering`, { model }),
        this.name,
      ),
    )
    void this.probe()
  }

  private async probe(): Promise<void> {
    while (!this.stopped.signal.aborted && !this.up) {
      try {
        await this.p.time.sleep(this.probeMs, this.stopped.signal)
      } catch {
        return
      }
      if (await this.ping()) {
        // Back: what it holds now is the truth (adopted, or released), then it takes work.
        await this.p.residency.reconcile()
        this.state = "up"
        this.probeMs = this.p.breaker.probeAfterMs
        this.p.publish({
          type: "host",
          host: this.name,
          url: this.url,
          state: "up",
          message: "answering again",
        })
        this.p.scheduler.pump()
        return
      }
      this.probeMs = Math.min(this.p.breaker.maxProbeAfterMs, this.probeMs * 2)
    }
  }

  async close(unloadAll = false): Promise<void> {
    this.stopped.abort()
    this.p.scheduler.close()
    await this.p.residency.stop(unloadAll)
    this.p.engine?.close()
  }
}

/** `error` as its host's failure: counted by the host's breaker, not the model's. */
export const hostFailure = (error: ConductorError, host: string): ConductorError =>
  conductorError(error.reason, error.message, {
    ...(error.model !== undefined ? { model: error.model } : {}),
    details: { ...error.details, host, hostFailure: true },
  })
