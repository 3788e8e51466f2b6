/**
 * One circuit breaker: a model's shared breaker, or one tenant's breaker for a model (health.ts
 * owns which is which). Opossum counts attempt outcomes in a rolling window and decides when to
 * open (error percentage over a minimum volume); its timeout is off — deadlines are Conductor's —
 * and its buckets rotate on Conductor's clock. Opening may be vetoed (`mayOpen`: a shared breaker
 * opens only when enough distinct tenants failed): opossum is then closed again and the breaker
 * stays closed until the next failure asks again. Recovery is ours: opossum's reset timer is fixed
 * and real-time, so it is set out of reach and this gate probes instead — after `probeAfterMs` one
 * attempt may pass (half-open); success closes the breaker, failure re-opens it (if it still may
 * open) and doubles the wait, up to `maxProbeAfterMs`. The breaker remembers whether the backend
 * (not the model) failed when it opened, so it can half-open at once when the backend is back.
 * Cancelled attempts are never recorded; they only give a probe's turn back.
 */
import type { EventEmitter } from "node:events"
import CircuitBreaker from "opossum"
import type { BreakerState } from "../domain/events.js"
import type { TimeSource } from "../time/clock.js"

export interface BreakerOptions {
  readonly errorThresholdPercentage: number
  readonly volumeThreshold: number
  readonly windowMs: number
  readonly probeAfterMs: number
  readonly maxProbeAfterMs: number
}

/** What `admit` decided: go ahead (maybe as the one recovery probe), or not before `retryAfterMs`. */
export type BreakerAdmission =
  | { readonly allowed: true; readonly probe: boolean }
  | { readonly allowed: false; readonly retryAfterMs: number }

/** An attempt's outcome; `backend` marks a failure of the backend itself (it was unreachable). */
export type Outcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly error: unknown; readonly backend: boolean }

export const WINDOW_BUCKETS = 10
/** Longer than any run: opossum's own half-open timer never fires. */
const NEVER_MS = 2 ** 31 - 1

export class Breaker {
  private current: BreakerState = "closed"
  private readonly opossum: CircuitBreaker<[Outcome], void>
  // Invariant: probing ⇒ current = "half_open".
  private probing = false
  private backoffMs: number
  private openedUntil = 0
  private timer: AbortController | undefined
  /** The last failure recorded was the backend's; what the breaker opened on (while open). */
  private lastBackend = false
  private openedByBackend = false

  constructor(
    name: string,
    private readonly options: BreakerOptions,
    private readonly time: TimeSource,
    rotate: EventEmitter,
    private readonly onTransition: (state: BreakerState, previous: BreakerState) => void,
    /** Asked when the failure rate says open: may it? (default yes) */
    private readonly mayOpen: () => boolean = () => true,
  ) {
    this.backoffMs = options.probeAfterMs
    this.opossum = new CircuitBreaker(
      async (outcome: Outcome) => {
        if (!outcome.ok) throw outcome.error
      },
      {
        name,
        timeout: false,
        resetTimeout: NEVER_MS,
        errorThresholdPercentage: options.errorThresholdPercentage,
        volumeThreshold: options.volumeThreshold,
        rollingCountTimeout: options.windowMs,
        rollingCountBuckets: WINDOW_BUCKETS,
        rollingPercentilesEnabled: false,
        enableSnapshots: false,
        rotateBucketController: rotate,
      },
    )
    this.opossum.on("open", () => {
      if (this.mayOpen()) this.open()
      else this.opossum.close()
    })
  }

  get state(): BreakerState {
    return this.current
  }

  /** A recovery probe is out (half-open). */
  get probeOut(): boolean {
    return this.probing
  }

  /** When the next probe may go (open), else undefined. */
  get nextProbeAt(): number | undefined {
    return this.current === "open" ? this.openedUntil : undefined
  }

  /** Failures and attempts in the rolling window. */
  get window(): { readonly attempts: number; readonly failures: number } {
    const s = this.opossum.stats
    return { attempts: s.fires, failures: s.failures }
  }

  admit(): BreakerAdmission {
    switch (this.current) {
      case "closed":
        return { allowed: true, probe: false }
      case "open":
        return { allowed: false, retryAfterMs: Math.max(0, this.openedUntil - this.time.now()) }
      case "half_open":
        if (this.probing) return { allowed: false, retryAfterMs: this.options.probeAfterMs }
        this.probing = true
        return { allowed: true, probe: true }
    }
  }

  /** The outcome of an admitted attempt. */
  record(outcome: Outcome, probe: boolean): void {
    if (!outcome.ok) this.lastBackend = outcome.backend
    if (probe && this.current === "half_open") {
      this.probing = false
      if (outcome.ok) {
        this.backoffMs = this.options.probeAfterMs
        this.opossum.close()
        this.transition("closed")
      } else if (this.mayOpen()) {
        this.backoffMs = Math.min(this.options.maxProbeAfterMs, this.backoffMs * 2)
        this.reopen()
      }
      // Else the probe's failure alone may not re-open it: the next attempt probes again.
      return
    }
    // Outcomes of attempts admitted before the breaker opened are not counted again.
    if (this.current !== "closed") return
    this.opossum.fire(outcome).catch(() => undefined)
  }

  /** An admitted attempt ended without an outcome (cancelled): a probe's turn goes back. */
  release(probe: boolean): void {
    if (probe && this.current === "half_open") this.probing = false
  }

  /**
   * The backend is reachable again: if the backend's failures opened this breaker, half-open it
   * now rather than at its probe time. True when it did.
   */
  backendRecovered(): boolean {
    if (this.current !== "open" || !this.openedByBackend) return false
    this.timer?.abort()
    this.timer = undefined
    this.transition("half_open")
    return true
  }

  shutdown(): void {
    this.timer?.abort()
    this.opossum.shutdown()
  }

  private open(): void {
    if (this.current === "open") return
    this.reopen()
  }

  private reopen(): void {
    this.openedUntil = this.time.now() + this.backoffMs
    this.openedByBackend = this.lastBackend
    this.transition("open")
    this.timer?.abort()
    const ctl = new AbortController()
    this.timer = ctl
    this.time.sleep(this.backoffMs, ctl.signal).then(
      () => {
        if (this.timer !== ctl || this.current !== "open") return
        this.timer = undefined
        this.transition("half_open")
      },
      () => undefined,
    )
  }

  private transition(next: BreakerState): void {
    const previous = this.current
    if (previous === next) return
    this.current = next
    this.onTransition(next, previous)
  }
}
