/**
 * Weighted fair share between tenants (start-time fair queueing over GPU slot time): each
 * tenant's level is the slot time its requests were granted, divided by its weight; the request
 * of the tenant with the lowest level goes first. A tenant that starts waiting again is lifted to
 * the system's virtual time — the lowest start level among the tenants already active (a
 * tenant's level when its latest grant began) — so time spent idle is not banked as credit to
 * flood with later, and a newcomer is not put behind a backlog either. Grants are charged the
 * model's expected service time, corrected to the real time when the lease ends. Pure state: no
 * clock, no I/O.
 */

export interface FairShareOptions {
  /** A tenant's weight (> 0): twice the weight, twice the share. */
  readonly weightOf: (tenant: string) => number
  /** Levels kept for inactive tenants at most (the least recently active are forgotten). */
  readonly maxTenants?: number
}

export class FairShare {
  // Invariant: every active tenant (with work waiting or running) has a level here.
  private readonly levels = new Map<string, number>()
  /** Each tenant's level when its latest grant began (its start tag). */
  private readonly starts = new Map<string, number>()
  /** Work waiting or running per tenant. */
  private readonly active = new Map<string, number>()
  private readonly maxTenants: number

  constructor(private readonly options: FairShareOptions) {
    this.maxTenants = options.maxTenants ?? 10_000
  }

  /** The tenant's level: its weighted slot time so far. */
  level(tenant: string): number {
    return this.levels.get(tenant) ?? this.floor()
  }

  /** One more request of `tenant` waits or runs. */
  join(tenant: string): void {
    const n = this.active.get(tenant) ?? 0
    if (n === 0) {
      const floor = this.floor()
      const own = this.levels.get(tenant)
      this.levels.delete(tenant)
      this.levels.set(tenant, Math.max(own ?? floor, floor))
      this.forgetOldest()
    }
    this.active.set(tenant, n + 1)
  }

  /** One request of `tenant` is done (granted and released, or left the queue). */
  leave(tenant: string): void {
    const n = this.active.get(tenant) ?? 0
    if (n <= 1) this.active.delete(tenant)
    else this.active.set(tenant, n - 1)
  }

  /** A request of `tenant` is granted, charged `ms` of expected slot time. */
  grant(tenant: string, ms: number): void {
    this.starts.set(tenant, this.levels.get(tenant) ?? this.floor())
    this.charge(tenant, ms)
  }

  /** Charge `ms` of slot time to `tenant` (negative to correct an estimate down). */
  charge(tenant: string, ms: number): void {
    const w = this.options.weightOf(tenant)
    const level = (this.levels.get(tenant) ?? this.floor()) + ms / (w > 0 ? w : 1)
    this.levels.set(tenant, Math.max(0, level))
  }

  /** The virtual time: the lowest start level among active tenants (0 when none is active). */
  private floor(): number {
    let min = Number.POSITIVE_INFINITY
    for (const t of this.active.keys()) min = Math.min(min, this.starts.get(t) ?? this.levels.get(t) ?? 0)
    return Number.isFinite(min) ? min : 0
  }

  private forgetOldest(): void {
    if (this.levels.size <= this.maxTenants) return
    // Maps iterate in insertion order, and `join` re-inserts: the first inactive ones are oldest.
    for (const t of this.levels.keys()) {
      if (this.levels.size <= this.maxTenants) return
      if (!this.active.has(t)) {
        this.levels.delete(t)
        this.starts.delete(t)
      }
    }
  }
}
