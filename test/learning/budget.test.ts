import { describe, expect, it } from "vitest"
import { TenantBudgets } from "../../src/learning/budget.js"

const HOUR = 3_600_000
const T0 = Date.UTC(2026, 0, 1)

describe("tenants' daily GPU budgets", () => {
  it("count spend over a rolling 24 hours, an hour at a time", () => {
    const b = new TenantBudgets({ default: 100, tenants: { big: 1000 } })
    b.add("acme", 30, T0 + 10)
    b.add("acme", 50, T0 + 5 * HOUR)
    expect(b.spentBy("acme", T0 + 6 * HOUR)).toBe(80)
    expect(b.left("acme", T0 + 6 * HOUR)).toBe(20)
    // The first hour's spend ages out once its hour is more than a day old.
    expect(b.spentBy("acme", T0 + 23 * HOUR + 59 * 60_000)).toBe(80)
    expect(b.spentBy("acme", T0 + 24 * HOUR)).toBe(50)
    b.add("acme", 200, T0 + 25 * HOUR)
    expect(b.left("acme", T0 + 25 * HOUR)).toBe(0)
    expect(b.left("big", T0)).toBe(1000)
  })

  it("leave requests without a tenant, and tenants without a budget, unlimited and untracked", () => {
    const b = new TenantBudgets({ tenants: { acme: 10 } })
    b.add("other", 500, T0)
    expect(b.left("other", T0)).toBeUndefined()
    expect(b.spentBy("other", T0)).toBe(0)
    expect(b.left(undefined, T0)).toBeUndefined()
  })
})
