/**
 * Per-tenant limits and per-model rate limits, checked when a request is submitted (before it is
 * accepted): a tenant's requests in flight (`tenants.<name>.maxInFlight`), its request rate
 * (`requestsPerMinute`, a token bucket holding `burst`), and the rate of requests routed to a model
 * (`requestsPerMinute` in models.yaml). Beyond a limit the request is refused with QueueFull and
 * a retry-after — never accepted and then dropped. Tenants not named get `tenants.default`, if
 * there is one. Rates run on Conductor's clock (they share the GPU, which runs on it too).
 */
import type { TenantEntry, TenantsConfig } from "../config/schema.js"
import { type ConductorError, conductorError } from "../domain/errors.js"

interface Bucket {
  tokens: number
  at: number
}

/** What the checks found: refused, or allowed with the counting to do once it is accepted. */
export type QuotaCheck =
  | { readonly ok: false; readonly error: ConductorError }
  | { readonly ok: true; readonly commit: () => void }

export class Quotas {
  // Invariant: a tenant is in `inFlight` exactly while it has requests accepted and not ended.
  private readonly inFlight = new Map<string, number>()
  /** Buckets as last drawn from; one that has refilled is what a new one would be, and may go. */
  private readonly tenantBuckets = new Map<string, Bucket>()
  private readonly modelBuckets = new Map<string, Bucket>()

  constructor(
    private readonly tenants: TenantsConfig,
    private readonly modelRates: ReadonlyMap<string, number>,
    private readonly now: () => number,
  ) {}

  /** The tenant's settings: its own entry, else `default`, else none. */
  entry(tenant: string): TenantEntry | undefined {
    return this.tenants[tenant] ?? this.tenants.default
  }

  weightOf(tenant: string): number {
    return this.entry(tenant)?.weight ?? 1
  }

  /** May a request of `tenant`, routed to `model`, be accepted now? */
  check(tenant: string, model: string | undefined): QuotaCheck {
    const e = this.entry(tenant)
    const running = this.inFlight.get(tenant) ?? 0
    if (e?.maxInFlight !== undefined && running >= e.maxInFlight) {
      return refused(
        `tenant '${tenant}' has ${running} requests in flight (tenants.${this.named(tenant)}.maxInFlight ${e.maxInFlight})`,
        1000,
      )
    }
    const now = this.now()
    const tenantBucket =
      e?.requestsPerMinute !== undefined ? this.bucket(this.tenantBuckets, tenant, e, now) : undefined
    if (tenantBucket !== undefined && tenantBucket.tokens < 1) {
      return refused(
        `tenant '${tenant}' is over ${e?.requestsPerMinute} requests per minute (tenants.${this.named(tenant)}.requestsPerMinute)`,
        waitForToken(tenantBucket, e?.requestsPerMinute as number),
      )
    }
    const rate = model !== undefined ? this.modelRates.get(model) : undefined
    const modelBucket =
      rate !== undefined && model !== undefined
        ? this.bucket(this.modelBuckets, model, { requestsPerMinute: rate }, now)
        : undefined
    if (modelBucket !== undefined && modelBucket.tokens < 1) {
      return refused(
        `model '${model}' is over its ${rate} requests per minute (requestsPerMinute in models.yaml)`,
        waitForToken(modelBucket, rate as number),
        model,
      )
    }
    return {
      ok: true,
      commit: () => {
        this.inFlight.set(tenant, running + 1)
        if (tenantBucket !== undefined) this.draw(this.tenantBuckets, tenant, tenantBucket)
        if (modelBucket !== undefined) this.draw(this.modelBuckets, model as string, modelBucket)
      },
    }
  }

  /** A request of `tenant` ended. */
  ended(tenant: string): void {
    const n = this.inFlight.get(tenant) ?? 0
    if (n <= 1) this.inFlight.delete(tenant)
    else this.inFlight.set(tenant, n - 1)
  }

  /** Requests in flight per tenant. */
  running(): ReadonlyMap<string, number> {
    return this.inFlight
  }

  private named(tenant: string): string {
    return this.tenants[tenant] !== undefined ? tenant : "default"
  }

  /** The bucket of `key` as it stands at `now` (refilled; nothing stored). */
  private bucket(
    buckets: Map<string, Bucket>,
    key: string,
    e: Pick<TenantEntry, "requestsPerMinute" | "burst">,
    now: number,
  ): Bucket & { readonly size: number; readonly rate: number } {
    const rate = (e.requestsPerMinute as number) / 60_000
    const size = e.burst ?? Math.max(1, Math.ceil((e.requestsPerMinute as number) / 6))
    const b = buckets.get(key)
    return {
      tokens: b === undefined ? size : Math.min(size, b.tokens + (now - b.at) * rate),
      at: now,
      size,
      rate,
    }
  }

  /** Take one token, and forget buckets that have refilled once there are many. */
  private draw(buckets: Map<string, Bucket>, key: string, b: Bucket & { size: number; rate: number }): void {
    buckets.set(key, { tokens: b.tokens - 1, at: b.at })
    if (buckets.size <= MAX_BUCKETS) return
    for (const [k, x] of buckets) if (x.tokens + (b.at - x.at) * b.rate >= b.size) buckets.delete(k)
  }
}

/** Buckets kept before refilled ones are forgotten. */
const MAX_BUCKETS = 10_000

const refused = (message: string, retryAfterMs: number, model?: string): QuotaCheck => ({
  ok: false,
  error: conductorError("QueueFull", message, {
    retryAfterMs: Math.max(1, Math.ceil(retryAfterMs)),
    ...(model !== undefined ? { model } : {}),
  }),
})

/** Milliseconds until the bucket holds a whole token again. */
const waitForToken = (b: Bucket, perMinute: number): number => ((1 - b.tokens) * 60_000) / perMinute
