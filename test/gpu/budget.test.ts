import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { BudgetExceededError, type Permit, VramBudget } from "../../src/gpu/budget.js"

const make = (capacity: number, maxBypassMs = 1000) => {
  let now = 0
  const budget = new VramBudget(capacity, { maxBypassMs, now: () => now })
  return { budget, advance: (ms: number) => (now += ms), now: () => now }
}

describe("gpu/budget", () => {
  it("grants in FIFO order and lets a small request pass a blocked large one only within the bypass bound", () => {
    const { budget, advance } = make(10, 1000)
    const order: string[] = []
    const a = budget.tryAcquire(6, "a") as Permit
    budget.acquire(8, "big", (p) => order.push(`big:${p.bytes}`))
    // 2 bytes fit beside `a`, and `big` has waited less than the bound: `small` passes.
    budget.acquire(2, "small", () => order.push("small"))
    expect(order).toEqual(["small"])
    advance(1000)
    // Now `big` has waited the bound: nobody passes it any more.
    expect(budget.tryAcquire(1, "late")).toBeUndefined()
    budget.acquire(1, "late2", () => order.push("late2"))
    expect(order).toEqual(["small"])
    budget.release(a)
    expect(order).toEqual(["small", "big:8"])
    expect(budget.used).toBe(10)
    expect(budget.waiting).toBe(1)
  })

  it("fails at once when a request can never fit, and rejects bad sizes", () => {
    const { budget } = make(10)
    expect(() => budget.acquire(11, "huge", () => undefined)).toThrow(BudgetExceededError)
    expect(() => budget.tryAcquire(-1, "neg")).toThrow(RangeError)
    expect(() => budget.tryAcquire(Number.NaN, "nan")).toThrow(RangeError)
  })

  it("releases exactly once and serves waiters when a permit shrinks or capacity grows", () => {
    const { budget } = make(10)
    const a = budget.tryAcquire(8, "a") as Permit
    let granted = 0
    budget.acquire(5, "b", () => granted++)
    budget.resize(a, 4)
    expect(granted).toBe(1)
    budget.release(a)
    budget.release(a)
    expect(budget.used).toBe(5)
    budget.acquire(9, "c", () => granted++)
    expect(granted).toBe(1)
    budget.setCapacity(20)
    expect(granted).toBe(2)
    expect(budget.used).toBe(14)
  })

  it("cancelling the blocked head lets the queue behind it move", () => {
    const { budget, advance } = make(10, 0)
    const a = budget.tryAcquire(5, "a") as Permit
    let small = false
    const cancelBig = budget.acquire(9, "big", () => expect.unreachable())
    advance(1)
    budget.acquire(3, "small", () => {
      small = true
    })
    expect(small).toBe(false)
    cancelBig()
    expect(small).toBe(true)
    budget.release(a)
    expect(budget.snapshot().waiting).toEqual([])
  })

  type Cmd =
    | { kind: "acquire"; bytes: number; releaseOnGrant: boolean }
    | { kind: "release"; pick: number }
    | { kind: "cancel"; pick: number }
    | { kind: "resize"; pick: number; bytes: number }
    | { kind: "advance"; ms: number }

  const CAPACITY = 100
  const cmd: fc.Arbitrary<Cmd> = fc.oneof(
    fc.record({
      kind: fc.constant("acquire" as const),
      bytes: fc.integer({ min: 0, max: CAPACITY }).map((b) => (b > 40 ? b : (b / 4) | 0)),
      cancelLater: fc.boolean(),
      releaseOnGrant: fc.boolean(),
    }),
    fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }),
    fc.record({
      kind: fc.constant("resize" as const),
      pick: fc.nat(),
      bytes: fc.integer({ min: 0, max: 30 }),
    }),
    fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 800 }) }),
  )

  it("property: never over budget, no lost permits, no deadlock, every waiter served or cancelled, bypass bounded", () => {
    fc.assert(
      fc.property(
        fc.array(cmd, { minLength: 10, maxLength: 120, size: "max" }),
        fc.integer({ min: 0, max: 1500 }),
        (cmds, maxBypassMs) => {
          const { budget, advance, now } = make(CAPACITY, maxBypassMs)
          const since = new Map<number, number>()
          const held = new Map<number, Permit>()
          // Waiter id → its cancel function while it waits.
          const waiting = new Map<number, () => void>()
          const outcome = new Map<number, "granted" | "cancelled">()
          let nextWaiter = 0
          const check = () => {
            // Shrinking-only resizes keep Conductor's own grants inside the capacity.
            expect(budget.used).toBeLessThanOrEqual(budget.capacity)
            const sum = [...held.values()].reduce((s, p) => s + p.bytes, 0)
            expect(budget.used).toBe(sum)
            expect(budget.waiting).toBe(waiting.size)
          }
          for (const c of cmds) {
            switch (c.kind) {
              case "acquire": {
                const id = nextWaiter++
                let sync = true
                since.set(id, now())
                const cancel = budget.acquire(c.bytes, `w${id}`, (p) => {
                  expect(outcome.has(id)).toBe(false)
                  // Nobody overtakes a waiter that has waited the bypass bound.
                  for (const earlier of waiting.keys()) {
                    if (earlier < id) expect(now() - (since.get(earlier) as number)).toBeLessThan(maxBypassMs)
                  }
                  outcome.set(id, "granted")
                  waiting.delete(id)
                  if (c.releaseOnGrant && !sync) budget.release(p)
                  else held.set(p.id, p)
                })
                sync = false
                if (!outcome.has(id)) waiting.set(id, cancel)
                break
              }
              case "release": {
                const permits = [...held.values()]
                const p = permits[c.pick % Math.max(1, permits.length)]
                if (p !== undefined) {
                  held.delete(p.id)
                  budget.release(p)
                  budget.release(p)
                }
                break
              }
              case "cancel": {
                const ids = [...waiting.keys()]
                const id = ids[c.pick % Math.max(1, ids.length)]
                if (id !== undefined) {
                  const cancel = waiting.get(id) as () => void
                  waiting.delete(id)
                  outcome.set(id, "cancelled")
                  cancel()
                  cancel()
                }
                break
              }
              case "resize": {
                const permits = [...held.values()]
                const p = permits[c.pick % Math.max(1, permits.length)]
                if (p !== undefined) budget.resize(p, Math.min(p.bytes, c.bytes))
                break
              }
              case "advance":
                advance(c.ms)
                break
            }
            check()
          }
          // Drain: releasing everything serves every remaining waiter (no deadlock).
          for (let guard = 0; waiting.size > 0 || held.size > 0; guard++) {
            expect(guard).toBeLessThan(10_000)
            const p = held.values().next().value as Permit | undefined
            if (p === undefined) break
            held.delete(p.id)
            budget.release(p)
            check()
          }
          expect(waiting.size).toBe(0)
          expect(outcome.size).toBe(nextWaiter)
          expect(budget.used).toBe(0)
        },
      ),
      { numRuns: 400, seed: 20261122 },
    )
  })
})
