import { describe, expect, it } from "vitest"
import { Quotas } from "../../src/requests/quotas.js"

const make = (tenants: Record<string, unknown>, modelRates: Record<string, number> = {}) => {
  let now = 0
  const q = new Quotas(tenants as never, new Map(Object.entries(modelRates)), () => now)
  return { q, advance: (ms: number) => (now += ms) }
}

describe("requests/quotas", () => {
  it("a tenant's requests in flight are capped; the one beyond is QueueFull with a retry-after", () => {
    const { q } = make({ batch: { weight: 1, maxInFlight: 2 } })
    for (let i = 0; i < 2; i++) {
      const c = q.check("batch", undefined)
      expect(c.ok).toBe(true)
      if (c.ok) c.commit()
    }
    const third = q.check("batch", undefined)
    expect(third).toMatchObject({ ok: false, error: { reason: "QueueFull", retryAfterMs: 1000 } })
    if (!third.ok) expect(third.error.message).toMatch(/tenants\.batch\.maxInFlight 2/)
    q.ended("batch")
    expect(q.check("batch", undefined).ok).toBe(true)
    // Others are not limited.
    expect(q.check("someone", undefined).ok).toBe(true)
  })

  it("a tenant's rate is a token bucket: a burst, then one per interval, with the wait named", () => {
    const { q, advance } = make({ default: { weight: 1, requestsPerMinute: 60, burst: 2 } })
    const take = () => {
      const c = q.check("ws:1", undefined)
      if (c.ok) c.commit()
      return c
    }
    expect(take().ok).toBe(true)
    expect(take().ok).toBe(true)
    const over = take()
    expect(over).toMatchObject({ ok: false, error: { reason: "QueueFull", retryAfterMs: 1000 } })
    if (!over.ok) expect(over.error.message).toMatch(/tenants\.default\.requestsPerMinute/)
    advance(1000)
    expect(take().ok).toBe(true)
    // A refused check draws nothing.
    expect(take().ok).toBe(false)
    advance(500)
    expect(take().ok).toBe(false)
    advance(500)
    expect(take().ok).toBe(true)
  })

  it("a model's rate limit refuses requests routed to it, naming the model", () => {
    const { q } = make({}, { "big:70b": 6 })
    const first = q.check("a", "big:70b")
    expect(first.ok).toBe(true)
    if (first.ok) first.commit()
    const second = q.check("b", "big:70b")
    expect(second).toMatchObject({
      ok: false,
      error: { reason: "QueueFull", model: "big:70b", retryAfterMs: 10_000 },
    })
    expect(q.check("b", "small:1b").ok).toBe(true)
  })

  it("weights come from the tenant's entry, else default, else 1", () => {
    const { q } = make({ heavy: { weight: 3 }, default: { weight: 0.5 } })
    expect(q.weightOf("heavy")).toBe(3)
    expect(q.weightOf("anyone")).toBe(0.5)
    expect(make({}).q.weightOf("anyone")).toBe(1)
  })
})
