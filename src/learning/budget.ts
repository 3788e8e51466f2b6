/**
 * Tenants' daily GPU budgets: GPU-seconds spent per tenant over a rolling 24 hours, kept in
 * hourly buckets (so spend ages out an hour at a time, and a restart reloads the buckets from the
 * store), against the configured budget of each tenant (`learning.budgets`). Pure: time is passed in.
 */

const HOUR = 3_600_000
const HOURS = 24

export interface BudgetConfig {
  /** GPU-seconds per day for tenants not listed; unlimited when absent. */
  readonly default?: number | undefined
  readonly tenants: Readonly<Record<string, number>>
}

export class TenantBudgets {
  /** Per tenant: spend per hour, keyed by the hour's start (epoch ms). */
  private readonly spent = new Map<string, Map<number, number>>()

  constructor(private readonly config: BudgetConfig) {}

  /** The tenant's daily budget, or undefined when unlimited. */
  budgetOf(tenant: string): number | undefined {
    return this.config.tenants[tenant] ?? this.config.default
  }

  /** Count `gpuSeconds` spent by `tenant` at epoch ms `at`. */
  add(tenant: string, gpuSeconds: number, at: number): void {
    // Only budgeted tenants are tracked; hours older than a day are dropped as new ones start.
    if (!(gpuSeconds > 0) || this.budgetOf(tenant) === undefined) return
    let hours = this.spent.get(tenant)
    if (hours === undefined) {
      hours = new Map()
      this.spent.set(tenant, hours)
    }
    const hour = Math.floor(at / HOUR) * HOUR
    if (!hours.has(hour)) for (const h of hours.keys()) if (h <= hour - HOURS * HOUR) hours.delete(h)
    hours.set(hour, (hours.get(hour) ?? 0) + gpuSeconds)
  }

  /** GPU-seconds the tenant spent in the 24 hours before `now`. */
  spentBy(tenant: string, now: number): number {
    const hours = this.spent.get(tenant)
    if (hours === undefined) return 0
    const oldest = Math.floor(now / HOUR) * HOUR - (HOURS - 1) * HOUR
    let total = 0
    for (const [hour, gpu] of hours) {
      if (hour < oldest) hours.delete(hour)
      else total += gpu
    }
    return total
  }

  /** What is left of the tenant's budget (never below 0), or undefined when unlimited. */
  left(tenant: string | undefined, now: number): number | undefined {
    if (tenant === undefined) return undefined
    const budget = this.budgetOf(tenant)
    return budget === undefined ? undefined : Math.max(0, budget - this.spentBy(tenant, now))
  }
}
