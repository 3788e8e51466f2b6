/**
 * Per-tenant breakers: a tenant whose own attempts on a model keep failing gets a breaker for
 * that (tenant, model) pair, so it stops hammering the model while others are unaffected. Made
 * on the tenant's first counted failure on the model, so tenants that never fail cost nothing.
 * The set is bounded: at most `max` pairs, least recently used dropped first, and pairs idle for
 * longer than the rolling window (not open, no probe out) are forgotten — a forgotten pair starts
 * afresh. Also, which distinct tenants failed on a model recently (`Failers`): a model's shared
 * breaker opens only when at least `minTenants` of them did within the window.
 */
import type { EventEmitter } from "node:events"
import type { BreakerState } from "../domain/events.js"
import type { TimeSource } from "../time/clock.js"
import { Breaker, type BreakerOptions } from "./breaker.js"

export interface TenantBreaker {
  readonly tenant: string
  readonly model: string
  readonly breaker: Breaker
  usedAt: number
}

export interface TenantBreakersDeps {
  readonly time: TimeSource
  readonly options: BreakerOptions
  readonly rotate: EventEmitter
  readonly max: number
  readonly onTransition: (pair: TenantBreaker, state: BreakerState, previous: BreakerState) => void
}

export class TenantBreakers {
  // Invariant: insertion order is least recently used first.
  private readonly pairs = new Map<string, TenantBreaker>()

  constructor(private readonly deps: TenantBreakersDeps) {}

  get size(): number {
    return this.pairs.size
  }

  /** The pair's breaker if it has one (marking it used). */
  get(tenant: string, model: string): TenantBreaker | undefined {
    const key = keyOf(tenant, model)
    const pair = this.pairs.get(key)
    if (pair !== undefined) this.touch(key, pair)
    return pair
  }

  /** The pair's breaker, made when it has none (dropping the least recently used over `max`). */
  obtain(tenant: string, model: string): TenantBreaker {
    const existing = this.get(tenant, model)
    if (existing !== undefined) return existing
    // The transition callback runs later, once `pair` is assigned.
    let pair: TenantBreaker | undefined
    const breaker = new Breaker(
      `${model} for ${tenant}`,
      this.deps.options,
      this.deps.time,
      this.deps.rotate,
      (state, previous) => {
        if (pair !== undefined) this.deps.onTransition(pair, state, previous)
      },
    )
    pair = { tenant, model, breaker, usedAt: this.deps.time.now() }
    this.pairs.set(keyOf(tenant, model), pair)
    while (this.pairs.size > this.deps.max) {
      const [oldest, first] = this.pairs.entries().next().value as [string, TenantBreaker]
      this.forget(oldest, first)
    }
    return pair
  }

  /** Forget pairs idle for longer than the window that hold nothing back (not open, no probe out). */
  sweep(): void {
    const before = this.deps.time.now() - this.deps.options.windowMs
    for (const [key, pair] of this.pairs) {
      if (pair.usedAt >= before) break // the rest were used more recently
      if (pair.breaker.state !== "open" && !pair.breaker.probeOut) this.forget(key, pair)
    }
  }

  /** Every pair. */
  values(): IterableIterator<TenantBreaker> {
    return this.pairs.values()
  }

  close(): void {
    for (const pair of this.pairs.values()) pair.breaker.shutdown()
    this.pairs.clear()
  }

  private touch(key: string, pair: TenantBreaker): void {
    pair.usedAt = this.deps.time.now()
    this.pairs.delete(key)
    this.pairs.set(key, pair)
  }

  /** Drop a pair; an open one is reported closed (the tenant is no longer held back). */
  private forget(key: string, pair: TenantBreaker): void {
    this.pairs.delete(key)
    const state = pair.breaker.state
    pair.breaker.shutdown()
    if (state !== "closed") this.deps.onTransition(pair, "closed", state)
  }
}

const keyOf = (tenant: string, model: string): string => `${model}\u0000${tenant}`

/**
 * The most recent distinct tenants whose attempts on one model failed (at most `keep`, newest
 * first): enough to tell whether `keep` distinct tenants failed within a window.
 */
export class Failers {
  private readonly recent: Array<{ readonly tenant: string; readonly at: number }> = []

  constructor(private readonly keep: number) {}

  note(tenant: string, at: number): void {
    const i = this.recent.findIndex((f) => f.tenant === tenant)
    if (i >= 0) this.recent.splice(i, 1)
    this.recent.unshift({ tenant, at })
    if (this.recent.length > this.keep) this.recent.length = this.keep
  }

  /** At least `keep` distinct tenants failed since `since`. */
  enoughSince(since: number): boolean {
    const last = this.recent[this.keep - 1]
    return last !== undefined && last.at >= since
  }
}
