import { describe, expect, it } from "vitest"
import { parseGoDuration, parseKeepAlive } from "../../../src/backends/sim/keep-alive.js"

describe("backends/sim/keep-alive", () => {
  it.each([
    [300, 300_000],
    [0, 0],
    [-1, Number.POSITIVE_INFINITY],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["1.5s", 1500],
    ["0", 0],
    ["-1s", Number.POSITIVE_INFINITY],
    ["250ms", 250],
  ] as const)("%j → %d ms", (input, ms) => {
    expect(parseKeepAlive(input)).toBe(ms)
  })

  it("rejects what Go's ParseDuration rejects, with Go's wording", () => {
    expect(() => parseKeepAlive("5")).toThrow('time: missing unit in duration "5"')
    expect(() => parseKeepAlive("5 minutes")).toThrow(`time: unknown unit " minutes" in duration "5 minutes"`)
    expect(() => parseKeepAlive("")).toThrow('time: invalid duration ""')
    expect(() => parseKeepAlive("m")).toThrow('time: invalid duration "m"')
    expect(() => parseKeepAlive(true)).toThrow("Unsupported type: 'boolean'")
    expect(() => parseKeepAlive(null)).toThrow("Unsupported type: '<nil>'")
  })

  it("parses compound Go durations", () => {
    expect(parseGoDuration("2h45m30.5s")).toBe(2 * 3_600_000 + 45 * 60_000 + 30_500)
    expect(parseGoDuration("-1.5h")).toBe(-5_400_000)
  })
})
