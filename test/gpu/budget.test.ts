import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { BudgetExceededError, type Permit, VramBudget } from "../../src/gpu/budget.js"

const reserveNow = (budget: VramBudget, bytes: number, label: string): Permit => {
  let granted: Permit | undefined
  budget.reserve(bytes, label, (p) => {
    granted = p
  })
  if (granted === undefined) throw new Error(`${label} was not granted at once`)
  return granted
}

describe("gpu/budget", () => {
  it("grants at once what fits; one reservation waits and is granted when enough is released", () => {
    const budget = new VramBudget(10)
    const a = reserveNow(budget, 6, "a")
    let big: Permit | undefined
    budget.reserve(8, "big", (p) => {
      big = p
    })
    expect(big).toBeUndefined()
    expect(budget.used).toBe(6)
    budget.release(a)
    expect(big?.bytes).toBe(8)
    expect(budget.used).toBe(8)
  })

  it("fails at once when a request can never fit, rejects bad sizes and a second waiter", () => {
    const budget = new VramBudget(10)
    expect(() => budget.reserve(11, "huge", () => undefined)).toThrow(BudgetExceededError)
    expect(() => budget.reserve(-1, "neg", () => undefined)).toThrow(RangeError)
    expect(() => budget.reserve(Number.NaN, "nan", () => undefined)).toThrow(RangeError)
    reserveNow(budget, 9, "a")
    budget.reserve(5, "b", () => undefined)
    expect(() => budget.reserve(5, "c", () => undefined)).toThrow(/one load per host/)
  })

  it("releases exactly once, serves the waiter when a permit shrinks, and a cancelled waiter is never granted", () => {
    const budget = new VramBudget(10)
    const a = reserveNow(budget, 8, "a")
    let granted = 0
    budget.reserve(5, "b", () => granted++)
    budget.resize(a, 4)
    expect(granted).toBe(1)
    budget.release(a)
    budget.release(a)
    expect(budget.used).toBe(5)
    const cancel = budget.reserve(9, "c", () => expect.unreachable())
    cancel()
    cancel()
    budget.release(reserveNow(budget, 5, "d"))
    expect(budget.used).toBe(5)
  })

  it("adopted memory counts at once, even past the capacity", () => {
    const budget = new VramBudget(10)
    const ext = budget.adopt(12, "someone else's")
    expect(budget.used).toBe(12)
    expect(budget.available).toBe(0)
    budget.release(ext)
    expect(budget.used).toBe(0)
  })

  type Cmd =
    | { kind: "reserve"; bytes: number }
    | { kind: "release"; pick: number }
    | { kind: "cancel" }
    | { kind: "resize"; pick: number; bytes: number }

  const CAPACITY = 100
  const cmd: fc.Arbitrary<Cmd> = fc.oneof(
    fc.record({ kind: fc.constant("reserve" as const), bytes: fc.integer({ min: 0, max: CAPACITY }) }),
    fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant("cancel" as const) }),
    fc.record({
      kind: fc.constant("resize" as const),
      pick: fc.nat(),
      bytes: fc.integer({ min: 0, max: 30 }),
    }),
  )

  it("property: never over budget, no lost permits, the waiter granted once or cancelled, releasing all serves it", () => {
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 10, maxLength: 120 }), (cmds) => {
        const budget = new VramBudget(CAPACITY)
        const held = new Map<number, Permit>()
        let waiting: { cancel: () => void; granted: boolean } | undefined
        const check = () => {
          expect(budget.used).toBeLessThanOrEqual(budget.capacity)
          expect(budget.used).toBe([...held.values()].reduce((s, p) => s + p.bytes, 0))
        }
        for (const c of cmds) {
          switch (c.kind) {
            case "reserve": {
              if (waiting !== undefined && !waiting.granted) break // one load per host
              const w: { cancel: () => void; granted: boolean } = { cancel: () => undefined, granted: false }
              w.cancel = budget.reserve(c.bytes, "w", (p) => {
                expect(w.granted).toBe(false)
                w.granted = true
                held.set(p.id, p)
              })
              waiting = w
              break
            }
            case "release": {
              const p = [...held.values()][c.pick % Math.max(1, held.size)]
              if (p !== undefined) {
                held.delete(p.id)
                budget.release(p)
                budget.release(p)
              }
              break
            }
            case "cancel":
              waiting?.cancel()
              waiting = undefined
              break
            case "resize": {
              const p = [...held.values()][c.pick % Math.max(1, held.size)]
              if (p !== undefined) budget.resize(p, Math.min(p.bytes, c.bytes))
              break
            }
          }
          check()
        }
        for (const p of [...held.values()]) {
          held.delete(p.id)
          budget.release(p)
        }
        // With everything released, a waiter still pending has been granted (no deadlock).
        if (waiting !== undefined) expect(waiting.granted).toBe(true)
        for (const p of [...held.values()]) budget.release(p)
      }),
      { numRuns: 400, seed: 20261201 },
    )
  })
})
