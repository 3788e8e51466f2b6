import { describe, expect, it } from "vitest"
import { fromThrown } from "../../src/backends/errors.js"
import { badRequest, tooLarge, unreachable } from "../../src/backends/sim/errors.js"

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
  it("a server's answer maps by its status, whichever client raised it (ollama-js or the in-process simulator)", () => {
    const response = Object.assign(new Error("invalid options"), { name: "ResponseError", status_code: 400 })
    expect(fromThrown(response, "m").reason).toBe("BadRequest")
    // The simulator's errors carry the status where ollama-js does; the mapping never names them.
    expect(fromThrown(badRequest("invalid options"), "m").reason).toBe("BadRequest")
    const oom = fromThrown(tooLarge(6 * 1024 ** 3, 3 * 1024 ** 3), "m")
    expect(oom.reason).toBe("OutOfMemory")
    expect(oom.details).toEqual({ requiredBytes: 6 * 1024 ** 3 })
    expect(fromThrown(unreachable(), "m").reason).toBe("Unavailable")
  })
})
