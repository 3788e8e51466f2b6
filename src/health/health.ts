/**
 * Model health: per model, a circuit breaker (breaker.ts) and moving averages of how its attempts
 * went — success rate and latency (EWMA), consecutive failures, time since the last success —
 * readable as a snapshot and published as `health` and `breaker` events. An attempt is admitted
 * (or refused with CircuitOpen and a retry-after) before it starts and recorded when it ends.
 * Failures that say something about the model count: load failures, errors, timeouts (first
 * token, stalls), cut streams, a missing model, answers that failed validation. Cancellations,
 * full queues and bad requests do not.
 */
import { EventEmitter } from "node:events"
import { Cause, Context, Effect, Layer } from "effect"
import type { HealthConfig } from "../config/schema.js"
import { type ConductorError, conductorError, type ErrorReason } from "../domain/errors.js"
import type { BreakerState, SystemEvent } from "../domain/events.js"
import { EventBus } from "../events/bus.js"
import type { TimeSource } from "../time/clock.js"
import { Time } from "../time/effect-clock.js"
import { type Admission, ModelBreaker, WINDOW_BUCKETS } from "./breaker.js"

/** Reasons that count against a model. */
export const COUNTED_REASONS: ReadonlySet<ErrorReason> = new Set<ErrorReason>([
  "Timeout",
  "Unavailable",
  "ModelNotFound",
  "OutOfMemory",
  "Crashed",
  "ValidationFailed",
])

export type AttemptOutcome =
  | { readonly kind: "success"; readonly latencyMs: number }
  | { readonly kind: "failure"; readonly reason: ErrorReason; readonly message: string }
  | { readonly kind: "cancelled" }

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
}

export interface HealthOptions {
  readonly errorThresholdPercentage: number
  readonly volumeThreshold: number
  readonly windowMs: number
  readonly probeAfterMs: number
  readonly maxProbeAfterMs: number
  readonly ewmaAlpha: number
}

export const healthOptionsOf = (c: HealthConfig): HealthOptions => ({
  errorThresholdPercentage: c.errorThresholdPercentage,
  volumeThreshold: c.volumeThreshold,
  windowMs: c.window,
  probeAfterMs: c.probeAfter,
  maxProbeAfterMs: c.maxProbeAfter,
  ewmaAlpha: c.ewmaAlpha,
})

interface Tracker {
  readonly breaker: ModelBreaker
  successRate: number
  latencyMs: number | undefined
  consecutiveFailures: number
  lastSuccessAt: number | undefined
  lastFailure: ModelHealth["lastFailure"]
  attempts: number
  failures: number
}

export class HealthCore {
  private readonly trackers = new Map<string, Tracker>()
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
    void this.rotateBuckets()
  }

  /** May an attempt on `model` start? Probes are the single attempts let through a half-open breaker. */
  admit(model: string): Admission {
    return this.tracker(model).breaker.admit()
  }

  /** How an admitted attempt ended (`probe` as `admit` said). */
  record(model: string, outcome: AttemptOutcome, probe: boolean): void {
    const t = this.tracker(model)
    if (
      outcome.kind === "cancelled" ||
      (outcome.kind === "failure" && !COUNTED_REASONS.has(outcome.reason))
    ) {
      t.breaker.release(probe)
      return
    }
    const a = this.deps.options.ewmaAlpha
    t.attempts++
    if (outcome.kind === "success") {
      t.successRate = (1 - a) * t.successRate + a
      t.latencyMs =
        t.latencyMs === undefined ? outcome.latencyMs : (1 - a) * t.latencyMs + a * outcome.latencyMs
      t.consecutiveFailures = 0
      t.lastSuccessAt = this.deps.time.now()
      t.breaker.record({ ok: true }, probe)
    } else {
      t.failures++
      t.successRate = (1 - a) * t.successRate
      t.consecutiveFailures++
      t.lastFailure = { reason: outcome.reason, message: outcome.message, at: this.deps.time.now() }
      t.breaker.record(
        { ok: false, error: conductorError(outcome.reason, outcome.message, { model }) },
        probe,
      )
    }
    this.deps.publish({
      type: "health",
      model,
      successRate: t.successRate,
      latencyMs: t.latencyMs ?? 0,
      consecutiveFailures: t.consecutiveFailures,
    })
  }

  /** Models whose breaker is open are not worth routing to now. */
  isAvailable(model: string): boolean {
    return this.trackers.get(model)?.breaker.state !== "open"
  }

  get(model: string): ModelHealth {
    return this.view(model, this.tracker(model))
  }

  snapshot(): ModelHealth[] {
    return [...this.trackers.entries()].map(([model, t]) => this.view(model, t))
  }

  close(): void {
    this.stopped.abort()
    for (const t of this.trackers.values()) t.breaker.shutdown()
  }

  private tracker(model: string): Tracker {
    let t = this.trackers.get(model)
    if (t === undefined) {
      const breaker = new ModelBreaker(
        model,
        this.deps.options,
        this.deps.time,
        this.rotate,
        (state, previous) => this.deps.publish({ type: "breaker", model, state, previous }),
      )
      t = {
        breaker,
        successRate: 1,
        latencyMs: undefined,
        consecutiveFailures: 0,
        lastSuccessAt: undefined,
        lastFailure: undefined,
        attempts: 0,
        failures: 0,
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
    }
  }
}

// ---------------------------------------------------------------- the service

export interface HealthShape {
  readonly core: HealthCore
  /**
   * Run one attempt on `model` under its breaker: refused with CircuitOpen while it is open,
   * recorded when it ends (interruption counts as cancellation).
   */
  guard<A, R>(
    model: string,
    attempt: Effect.Effect<A, ConductorError, R>,
  ): Effect.Effect<A, ConductorError, R>
  readonly snapshot: Effect.Effect<ReadonlyArray<ModelHealth>>
}

export class Health extends Context.Service<Health, HealthShape>()("conductor/Health") {
  static readonly layer = (options: HealthOptions): Layer.Layer<Health, never, Time | EventBus> =>
    Layer.effect(
      Health,
      Effect.gen(function* () {
        const time = yield* Time
        const bus = yield* EventBus
        const core = new HealthCore({ time, publish: bus.publish, options })
        yield* Effect.addFinalizer(() => Effect.sync(() => core.close()))
        return {
          core,
          guard: (model, attempt) =>
            Effect.suspend(() => {
              const admission = core.admit(model)
              if (!admission.allowed) {
                return Effect.fail(
                  conductorError("CircuitOpen", `${model} is failing; its breaker is open`, {
                    model,
                    retryAfterMs: admission.retryAfterMs,
                  }),
                )
              }
              const started = time.now()
              return attempt.pipe(
                Effect.onExit((exit) =>
                  Effect.sync(() => {
                    if (exit._tag === "Success") {
                      core.record(
                        model,
                        { kind: "success", latencyMs: time.now() - started },
                        admission.probe,
                      )
                      return
                    }
                    const error = Cause.findErrorOption(exit.cause)
                    core.record(
                      model,
                      error._tag === "Some"
                        ? { kind: "failure", reason: error.value.reason, message: error.value.message }
                        : Cause.hasInterruptsOnly(exit.cause)
                          ? { kind: "cancelled" }
                          : { kind: "failure", reason: "Crashed", message: String(Cause.squash(exit.cause)) },
                      admission.probe,
                    )
                  }),
                ),
              )
            }),
          snapshot: Effect.sync(() => core.snapshot()),
        }
      }),
    )
}
