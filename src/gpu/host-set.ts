/**
 * The GPU hosts Conductor owns, and the one place a request meets them: `lease` asks placement
 * (pure, placement.ts) which host serves the request, then waits in that host's own scheduler
 * for a slot, and hands back the lease with the host's backend to generate on. A failed host is
 * remembered per request (so its retry goes elsewhere) and told to its breaker. Above the hosts
 * this set only reads and asks: every load, eviction and budget stays with the host's owner.
 * With one host, placement always picks it and the host breaker is off — one host behaves as it
 * always did (the per-model breakers and reconciliation see a dead backend, as before).
 */
import { Effect, type Scope } from "effect"
import type { BackendShape } from "../backends/port.js"
import type { ConductorError } from "../domain/errors.js"
import { type GpuHost, hostFailure } from "./host.js"
import { type Placement, place } from "./placement.js"
import type { ModelResidency } from "./residency.js"
import type { AcquireOptions, GrantedLease } from "./scheduler.js"

export interface HostLease {
  readonly lease: GrantedLease
  readonly host: GpuHost
  readonly backend: BackendShape
}

export interface HostSnapshot {
  readonly name: string
  readonly url: string
  readonly up: boolean
  readonly vram: { readonly used: number; readonly budget: number; readonly capacity: number }
  readonly maxLoadedModels: number
  readonly models: ReadonlyArray<
    Pick<ModelResidency, "name" | "state" | "bytes" | "leases" | "slots" | "pinned" | "external"> & {
      readonly queued: number
    }
  >
}

export class HostSet {
  /** Hosts each request failed on (its retries go elsewhere); forgotten when it ends. */
  private readonly failedOn = new Map<string, Set<string>>()

  constructor(readonly hosts: ReadonlyArray<GpuHost>) {
    if (hosts.length === 0) throw new Error("host-set: at least one host")
  }

  /** The default host (the first): embeddings, operator loads, single-host views. */
  get first(): GpuHost {
    return this.hosts[0] as GpuHost
  }

  get several(): boolean {
    return this.hosts.length > 1
  }

  host(name: string): GpuHost | undefined {
    return this.hosts.find((h) => h.name === name)
  }

  /** Where one more request on `model` would go now (see placement.ts). */
  place(model: string, requestId?: string): Placement {
    if (!this.several) return { ok: true, host: this.first.name, kind: "queued", waitMs: 0 }
    const exclude = requestId !== undefined ? this.failedOn.get(requestId) : undefined
    return place(
      model,
      this.hosts.map((h) => h.view()),
      exclude,
    )
  }

  /** Wait for a slot on `model` on the host placement chooses. */
  acquire(model: string, options: AcquireOptions = {}): Promise<HostLease> {
    const placed = this.place(model, options.requestId)
    if (!placed.ok) return Promise.reject(this.placementError(placed.error))
    const host = this.host(placed.host) as GpuHost
    return host.scheduler.acquire(model, options).then(
      (lease) => ({ lease: this.timed(host, model, lease), host, backend: host.backend }),
      (error: ConductorError) => Promise.reject(this.failed(host, error, options.requestId)),
    )
  }

  /**
   * `acquire` with callbacks (scheduler.ts `request`: no promise, no AbortSignal): exactly one of
   * `granted` and `refused` is called, once, possibly before this returns. The returned function
   * leaves the queue; it does nothing once the lease was granted (release that instead).
   */
  request(
    model: string,
    options: Omit<AcquireOptions, "signal">,
    granted: (held: HostLease) => void,
    refused: (error: ConductorError) => void,
  ): () => void {
    const placed = this.place(model, options.requestId)
    if (!placed.ok) {
      refused(this.placementError(placed.error))
      return () => undefined
    }
    const host = this.host(placed.host) as GpuHost
    return host.scheduler.request(
      model,
      options,
      (lease) => granted({ lease: this.timed(host, model, lease), host, backend: host.backend }),
      (error) => refused(this.failed(host, error, options.requestId)),
    )
  }

  /** No host up: the hosts' failure, not the model's (its breaker does not count it). */
  private placementError(error: ConductorError): ConductorError {
    const down = this.hosts.filter((h) => !h.up).map((h) => h.name)
    return error.reason === "Unavailable" && down.length > 0 ? hostFailure(error, down.join(",")) : error
  }

  /** `acquire` as a scoped Effect: the lease returns when the scope closes; interruption leaves the queue. */
  lease(
    model: string,
    options: Omit<AcquireOptions, "signal"> = {},
  ): Effect.Effect<HostLease, ConductorError, Scope.Scope> {
    const wait = Effect.callback<HostLease, ConductorError>((resume, signal) => {
      this.acquire(model, { ...options, signal }).then(
        (held) => {
          if (signal.aborted) held.lease.release()
          else resume(Effect.succeed(held))
        },
        (error: ConductorError) => resume(Effect.fail(error)),
      )
    })
    return Effect.uninterruptibleMask((restore) =>
      restore(wait).pipe(
        Effect.tap((held) => Effect.addFinalizer(() => Effect.sync(() => held.lease.release()))),
      ),
    )
  }

  /**
   * An error from `host` while serving request `requestId`: told to the host's breaker; if it is
   * the host's failure, the request's retry avoids that host.
   */
  failed(host: GpuHost, error: ConductorError, requestId: string | undefined): ConductorError {
    if (!this.several) return error
    const tagged = host.failed(error)
    if (requestId !== undefined && tagged.details?.hostFailure === true) {
      let set = this.failedOn.get(requestId)
      if (set === undefined) {
        set = new Set()
        this.failedOn.set(requestId, set)
      }
      set.add(host.name)
    }
    return tagged
  }

  /** After its host failed, can request `id` have `model` on another host? */
  anotherHost(id: string, model: string): boolean {
    return this.several && this.place(model, id).ok
  }

  /** The request ended. */
  forget(id: string): void {
    this.failedOn.delete(id)
  }

  // ---------------------------------------------------------------- views across hosts

  /** Resident on some host that is up. */
  resident(model: string): boolean {
    return this.hosts.some((h) => h.up && h.residency.get(model)?.state === "resident")
  }

  /**
   * Loadable on some host that is up (else routing leaves it out). With every host down, on any:
   * the request is then refused by placement, naming the hosts that are down.
   */
  loadable(model: string): boolean {
    const anyUp = this.anyUp
    return this.hosts.some((h) => (h.up || !anyUp) && h.scheduler.loadable(model))
  }

  /**
   * Where one more request on `model` would go (placement's choice, one placement): resident
   * there or not, the expected wait (queueing, and loading when not resident) and the load time —
   * what the learner weighs as a cold load's cost.
   */
  readiness(model: string): { readonly resident: boolean; readonly waitMs: number; readonly loadMs: number } {
    const placed = this.several ? this.place(model) : undefined
    if (placed !== undefined && !placed.ok)
      return { resident: false, waitMs: Number.POSITIVE_INFINITY, loadMs: 0 }
    const host = placed !== undefined ? (this.host(placed.host) ?? this.first) : this.first
    const r = host.residency.get(model)
    const resident = r?.state === "resident"
    return {
      resident,
      waitMs: placed !== undefined ? placed.waitMs : host.scheduler.expectedWaitMs(model),
      loadMs: resident ? 0 : (r?.loadMs ?? 0),
    }
  }

  /** The shortest expected wait for `model` across the hosts that are up. */
  expectedWaitMs(model: string): number {
    if (!this.several) return this.first.scheduler.expectedWaitMs(model)
    const placed = this.place(model)
    return placed.ok ? placed.waitMs : Number.POSITIVE_INFINITY
  }

  /** The largest host budget (a model larger than every host's fits nowhere). */
  get budgetBytes(): number {
    return Math.max(...this.hosts.map((h) => h.hardware.budgetBytes))
  }

  get anyUp(): boolean {
    return this.hosts.some((h) => h.up)
  }

  snapshot(): ReadonlyArray<HostSnapshot> {
    return this.hosts.map((h) => {
      const queued = new Map(h.scheduler.snapshot().queues.map((q) => [q.model, q.depth]))
      const budget = h.residency.budget
      return {
        name: h.name,
        url: h.url,
        up: h.up,
        vram: { used: budget.used, budget: budget.capacity, capacity: h.hardware.vramBytes },
        maxLoadedModels: h.p.maxLoaded,
        models: h.residency
          .models()
          .filter((m) => m.state !== "unloaded" || (queued.get(m.name) ?? 0) > 0)
          .map((m) => ({
            name: m.name,
            state: m.state,
            bytes: m.bytes,
            leases: m.leases,
            slots: m.slots,
            pinned: m.pinned,
            external: m.external,
            queued: queued.get(m.name) ?? 0,
          })),
      }
    })
  }

  async close(unloadAll = false): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.close(unloadAll)))
  }

  /** The lease, noting on release how long it held the slot (placement's expected waits). */
  private timed(host: GpuHost, model: string, lease: GrantedLease): GrantedLease {
    const started = host.p.time.now()
    let done = false
    return {
      ...lease,
      release: () => {
        if (!done) {
          done = true
          host.noteService(model, host.p.time.now() - started)
        }
        lease.release()
      },
    }
  }
}
