import { describe, expect, it } from "vitest"
import { fromThrown } from "../../src/backends/errors.js"

describe("backends/errors", () => {
  it("a stack overflow in our own code is the request's BadRequest, never the backend's Unavailable", () => {
    let overflow: unknown
    const recurse = (n: number): number => recurse(n + 1) + 1
    try {
      recurse(0)
    } catch (e) {
      overflow = e
    }
    expect(overflow).toBeInstanceOf(RangeError)
    const error = fromThrown(overflow, "llama3.1:8b")
    expect(error.reason).toBe("BadRequest")
    expect(error.message).toMatch(
      /Maximum call stack size exceeded \(a value in it is nested too deep or too large\)/,
    )
    // A connection failure is still the backend's.
    expect(fromThrown(new TypeError("fetch failed"), "llama3.1:8b").reason).toBe("Unavailable")
  })
})
