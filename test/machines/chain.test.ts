import { describe, expect, it } from "vitest"
import { carriesOver, exhaustedError, selectNext } from "../../machines/chain.js"
import type { Attempt } from "../../src/domain/events.js"
import type { Admission } from "../../src/health/health.js"

const ticketOf = (model: string) => ({ model, tenant: "t", probe: false, tenantProbe: false })
const allow = (model: string): Admission => ({ allowed: true, ticket: ticketOf(model) })
const refuse = (scope: "model" | "tenant") => (): Admission => ({
  allowed: false,
  retryAfterMs: 5_000,
  scope,
})

describe("machines/chain", () => {
  it("selectNext takes the first admitted model from the index on and points past it", () => {
    const asked: string[] = []
    const s = selectNext(["a", "b", "c"], 1, (m) => {
      asked.push(m)
      return allow(m)
    })
    expect(asked).toEqual(["b"])
    expect(s).toEqual({ found: true, model: "b", ticket: ticketOf("b"), next: 2, skipped: [] })
  })

  it("selectNext lists refused models as skipped, saying whose breaker", () => {
    const admit = (m: string) => (m === "a" ? refuse("model")() : m === "b" ? refuse("tenant")() : allow(m))
    const s = selectNext(["a", "b", "c"], 0, admit)
    expect(s).toMatchObject({ found: true, model: "c", next: 3 })
    expect(s.skipped).toEqual([
      { model: "a", outcome: "skipped", reason: "CircuitOpen", message: "breaker open" },
      { model: "b", outcome: "skipped", reason: "CircuitOpen", message: "breaker open for this tenant" },
    ])
  })

  it("selectNext finds nothing past the end or when every model is refused", () => {
    expect(selectNext(["a"], 1, allow)).toEqual({ found: false, next: 1, skipped: [] })
    expect(selectNext([], 0, allow)).toEqual({ found: false, next: 0, skipped: [] })
    const none = selectNext(["a", "b"], 0, refuse("model"))
    expect(none.found).toBe(false)
    expect(none.next).toBe(2)
    expect(none.skipped.map((a) => a.model)).toEqual(["a", "b"])
  })

  it("carriesOver: only in continue mode, and never an answer that failed validation", () => {
    expect(carriesOver("continue", "Timeout")).toBe(true)
    expect(carriesOver("continue", undefined)).toBe(true)
    expect(carriesOver("continue", "ValidationFailed")).toBe(false)
    expect(carriesOver("restart", "Timeout")).toBe(false)
  })

  it("exhaustedError takes the last failure's reason and lists every attempt", () => {
    const attempts: Attempt[] = [
      { model: "a", outcome: "failed", reason: "Timeout", message: "no first token" },
      { model: "b", outcome: "skipped", reason: "CircuitOpen", message: "breaker open" },
      { model: "c", outcome: "failed", reason: "Crashed", message: "runner died" },
      { model: "d", outcome: "cancelled" },
    ]
    const e = exhaustedError(attempts)
    expect(e.reason).toBe("Crashed")
    expect(e.message).toBe(
      "every model failed — a: failed (Timeout); b: skipped (CircuitOpen); c: failed (Crashed); d: cancelled",
    )
    expect(e.details).toEqual({ attempts })
  })

  it("exhaustedError is CircuitOpen when no model got to fail", () => {
    const e = exhaustedError([
      { model: "a", outcome: "skipped", reason: "CircuitOpen", message: "breaker open" },
    ])
    expect(e.reason).toBe("CircuitOpen")
    expect(exhaustedError([]).message).toBe("every model failed — ")
  })
})
