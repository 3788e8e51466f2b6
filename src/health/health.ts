/**
 * Model health: per model, a shared circuit breaker (breaker.ts) and moving averages of how its
 * attempts went — success rate and latency (EWMA), consecutive failures, time since the last
 * success — readable as a snapshot and published as `health` and `breaker` events. An attempt is
 * admitted (or refused with CircuitOpen and a retry-after) before it starts and recorded when it
 * ends, with the tenant it ran for (docs/health.md).
 *
 * Health describes the model, not the request. Failures that say something about the model count:
 * load failures, errors, timeouts (first token, stalls), cut streams, a missing model, answers that
 * are empty, cut off, degenerate or a refusal. Failures the request caused do not: an answer that
 * fails the requested format or a tool's argument schema (`blame: "request"`), bad requests,
 * cancellations, full queues. And no single tenant takes a model away from the others: the shared
 * breaker opens only when counted failures from at least `minTenants` distinct tenants fall in the
 * window, while a tenant whose own attempts keep failing gets its own breaker for that model
 * (tenants.ts; `tenant_breaker` events). Breakers opened by the backend's failures (Unavailable:
 * it was unreachable) half-open as soon as the backend is back (`backendRecovered`).
 */
import { EventEmitter } from "node:events"
import type { HealthConfig } from "../config/schema.js"
import { type ConductorError, conductorError, type ErrorReason } from "../domain/errors.js"
import type { BreakerState, SystemEvent } from "../domain/events.js"
import { DEFAULT_TENANT } from "../domain/tenant.js"
import type { TimeSource } from "../time/clock.js"
import { Breaker, type Outcome, WINDOW_BUCKETS } from "./breaker.js"
import { Failers, TenantBreakers } from "./tenants.js"

/** Reasons that count against a model. */
export const COUNTED_REASONS: ReadonlySet<ErrorReason> = new Set<ErrorReason>([
  "Timeout",
  "Unavailable",
  "ModelNotFound",
  "OutOfMemory",
  "Crashed",
  "ValidationFailed",
])

/** Reasons that are the backend's failure (it could not be reached), not the model's. */
export const BACKEND_REASONS: ReadonlySet<ErrorReason> = new Set<ErrorReason>(["Unavailable"])

export type AttemptOutcome =
  | { readonly kind: "success"; readonly latencyMs: number }
  | {
      readonly kind: "failure"
      readonly reason: ErrorReason
      readonly message: string
      /** `request`: the request made it fail (an unsatisfiable format); never counted. */
      /** `host`: its GPU host stopped answering (the host's breaker counts it); never counted here. */
      readonly blame?: "model" | "request" | "host"
    }
  | { readonly kind: "cancelled" }

/** An admitted attempt: whom it runs for and whether it is a breaker's probe; handed back with its outcome. */
export interface Ticket {
  readonly model: string
  readonly tenant: string
  /** The shared breaker's recovery probe. */
  readonly probe: boolean
  /** The tenant's own breaker's recovery probe. */
  readonly tenantProbe: boolean
}

/** May an attempt start: yes (with its ticket), or not before `retryAfterMs` — the model's breaker or the tenant's. */
export type Admission =
  | { readonly allowed: true; readonly ticket: Ticket }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly scope: "model" | "tenant" }

export interface ModelHealth {
  readonly model: string
  readonly breaker: BreakerState
  /** Moving average of successes among counted attempts (1 = all succeeded). */
  readonly successRate: number
  /** Moving average of successful attempts' duration, ms. */
  readonly latencyMs: number | undefined
  readonly consecutiveFailures: number
  readonly lastSuccessAt: number | undefined
  readonly sinceLastSuccessMs: number | undefined
  readonly lastFailure:
    | { readonly reason: ErrorReason; readonly message: string; readonly at: number }
    | undefined
  readonly attempts: number
  readonly failures: number
  /** When the breaker lets the next recovery probe through (open breakers). */
  readonly nextProbeAt: number | undefined
  /** Counted attempts and failures in the breaker's rolling window. */
  readonly window: { readonly attempts: number; readonly failures: number }
  /** Tenants whose own breaker for this model is open. */
  readonly tenantBreakersOpen: number
}

export interface HealthOptions {
  readonly errorThresholdPercentage: number
  readonly volumeThreshold: number
  readonly windowMs: number
  readonly probeAfterMs: number
  readonly maxProbeAfterMs: number
  readonly ewmaAlpha: number
  /** Distinct tenants whose failures must be in the window before a model's shared breaker opens. */
  readonly minTenants: number
  /** (tenant, model) breakers kept at most. */
  readonly maxTenantBreakers: number
}

export const healthOptionsOf = (c: HealthConfig): HealthOptions => ({
  errorThresholdPercentage: c.errorThresholdPercentage,
  volumeThreshold: c.volumeThreshold,
  windowMs: c.window,
  probeAfterMs: c.probeAfter,
  maxProbeAfterMs: c.maxProbeAfter,
  ewmaAlpha: c.ewmaAlpha,
  minTenants: c.minTenants,
  maxTenantBreakers: c.maxTenantBreakers,
})

interface Tracker {
  readonly breaker: Breaker
  readonly failers: Failers
  successRate: number
  latencyMs: number | undefined
  consecutiveFailures: number
  lastSuccessAt: number | undefined
  lastFailure: ModelHealth["lastFailure"]
  attempts: number
  failures: number
  tenantBreakersOpen: number
}

export class HealthCore {
  private readonly trackers = new Map<string, Tracker>()
  private readonly tenants: TenantBreakers
  /** Rotates every breaker's rolling-window buckets on Conductor's clock. */
  private readonly rotate = new EventEmitter()
  private readonly stopped = new AbortController()

  constructor(
    private readonly deps: {
      readonly time: TimeSource
      readonly publish: (event: SystemEvent) => void
      readonly options: HealthOptions
    },
  ) {
    this.rotate.setMaxListeners(0)
    this.tenants = new TenantBreakers({
      time: deps.time,
      options: deps.options,
      rotate: this.rotate,
      max: deps.options.maxTenantBreakers,
      onTransition: (pair, state, previous) => {
        const t = this.tracker(pair.model)
        if (state === "open") t.tenantBreakersOpen++
        else if (previous === "open") t.tenantBreakersOpen--
        deps.publish({ type: "tenant_breaker", model: pair.model, tenant: pair.tenant, state, previous })
      },
    })
    void this.rotateBuckets()
  }

  /**
   * May an attempt on `model` for `tenant` start? Refused while the model's shared breaker or the
   * tenant's own breaker for it is open (or its one probe is out).
   */
  admit(model: string, tenant: string = DEFAULT_TENANT): Admission {
    const t = this.tracker(model)
    const own = this.tenants.get(tenant, model)
    if (own !== undefined && own.breaker.state === "open") {
      const refused = own.breaker.admit()
      return { allowed: false, retryAfterMs: refused.allowed ? 0 : refused.retryAfterMs, scope: "tenant" }
    }
    const shared = t.breaker.admit()
    if (!shared.allowed) return { allowed: false, retryAfterMs: shared.retryAfterMs, scope: "model" }
    let tenantProbe = false
    if (own !== undefined) {
      const mine = own.breaker.admit()
      if (!mine.allowed) {
        t.breaker.release(shared.probe)
        return { allowed: false, retryAfterMs: mine.retryAfterMs, scope: "tenant" }
      }
      tenantProbe = mine.probe
    }
    return { allowed: true, ticket: { model, tenant, probe: shared.probe, tenantProbe } }
  }

  /** How an admitted attempt ended. */
  record(ticket: Ticket, outcome: AttemptOutcome): void {
    const { model, tenant } = ticket
    const t = this.tracker(model)
    if (
      outcome.kind === "cancelled" ||
      (outcome.kind === "failure" &&
        (!COUNTED_REASONS.has(outcome.reason) || (outcome.blame !== undefined && outcome.blame !== "model")))
    ) {
      t.breaker.release(ticket.probe)
      this.tenants.get(tenant, model)?.breaker.release(ticket.tenantProbe)
      return
    }
    const a = this.deps.options.ewmaAlpha
    const now = this.deps.time.now()
    t.attempts++
    if (outcome.kind === "success") {
      t.successRate = (1 - a) * t.successRate + a
      t.latencyMs =
        t.latencyMs === undefined ? outcome.latencyMs : (1 - a) * t.latencyMs + a * outcome.latencyMs
      t.consecutiveFailures = 0
      t.lastSuccessAt = now
      t.breaker.record({ ok: true }, ticket.probe)
      this.tenants.get(tenant, model)?.breaker.record({ ok: true }, ticket.tenantProbe)
    } else {
      t.failures++
      t.successRate = (1 - a) * t.successRate
      t.consecutiveFailures++
      t.lastFailure = { reason: outcome.reason, message: outcome.message, at: now }
      // Noted first: the shared breaker asks, as it opens, which tenants failed.
      t.failers.note(tenant, now)
      const failed: Outcome = {
        ok: false,
        error: conductorError(outcome.reason, outcome.message, { model }),
        backend: BACKEND_REASONS.has(outcome.reason),
      }
      t.breaker.record(failed, ticket.probe)
      this.tenants.obtain(tenant, model).breaker.record(failed, ticket.tenantProbe)
    }
    this.deps.publish({
      type: "health",
      model,
      successRate: t.successRate,
      latencyMs: t.latencyMs ?? 0,
      consecutiveFailures: t.consecutiveFailures,
    })
  }

  /**
   * The backend is reachable again: breakers its failures opened (shared and per tenant)
   * half-open now instead of waiting for their probe time.
   */
  backendRecovered(): void {
    for (const t of this.trackers.values()) t.breaker.backendRecovered()
    for (const pair of this.tenants.values()) pair.breaker.backendRecovered()
  }

  /** The model's shared breaker is not open (a tenant's own breaker may be). */
  isAvailable(model: string): boolean {
    return this.trackers.get(model)?.breaker.state !== "open"
  }

  /** A new tenant's attempt on `model` would be admitted now: closed, or half-open with no probe out. */
  admitsWork(model: string): boolean {
    const b = this.trackers.get(model)?.breaker
    return b === undefined || b.state === "closed" || (b.state === "half_open" && !b.probeOut)
  }

  get(model: string): ModelHealth {
    return this.view(model, this.tracker(model))
  }

  snapshot(): ModelHealth[] {
    return [...this.trackers.entries()].map(([model, t]) => this.view(model, t))
  }

  /** (tenant, model) breakers held now. */
  get tenantBreakers(): number {
    return this.tenants.size
  }

  close(): void {
    this.stopped.abort()
    for (const t of this.trackers.values()) t.breaker.shutdown()
    this.tenants.close()
  }

  private tracker(model: string): Tracker {
    let t = this.trackers.get(model)
    if (t === undefined) {
      const { minTenants, windowMs } = this.deps.options
      const failers = new Failers(minTenants)
      const breaker = new Breaker(
        model,
        this.deps.options,
        this.deps.time,
        this.rotate,
        (state, previous) => this.deps.publish({ type: "breaker", model, state, previous }),
        () => failers.enoughSince(this.deps.time.now() - windowMs),
      )
      t = {
        breaker,
        failers,
        successRate: 1,
        latencyMs: undefined,
        consecutiveFailures: 0,
        lastSuccessAt: undefined,
        lastFailure: undefined,
        attempts: 0,
        failures: 0,
        tenantBreakersOpen: 0,
      }
      this.trackers.set(model, t)
    }
    return t
  }

  private view(model: string, t: Tracker): ModelHealth {
    return {
      model,
      breaker: t.breaker.state,
      successRate: t.successRate,
      latencyMs: t.latencyMs,
      consecutiveFailures: t.consecutiveFailures,
      lastSuccessAt: t.lastSuccessAt,
      sinceLastSuccessMs: t.lastSuccessAt === undefined ? undefined : this.deps.time.now() - t.lastSuccessAt,
      lastFailure: t.lastFailure,
      attempts: t.attempts,
      failures: t.failures,
      nextProbeAt: t.breaker.nextProbeAt,
      window: t.breaker.window,
      tenantBreakersOpen: t.tenantBreakersOpen,
    }
  }

  private async rotateBuckets(): Promise<void> {
    const every = this.deps.options.windowMs / WINDOW_BUCKETS
    while (!this.stopped.signal.aborted) {
      try {
        await this.deps.time.sleep(every, this.stopped.signal)
      } catch {
        return
      }
      this.rotate.emit("rotate")
      this.tenants.sweep()
    }
  }
}

/** The CircuitOpen error for a refused admission. */
export const circuitOpen = (model: string, refused: Extract<Admission, { allowed: false }>): ConductorError =>
  conductorError(
    "CircuitOpen",
    refused.scope === "tenant"
      ? `${model} keeps failing for this tenant; its breaker for this tenant is open`
      : `${model} is failing; its breaker is open`,
    { model, retryAfterMs: refused.retryAfterMs },
  )
