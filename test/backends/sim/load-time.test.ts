/** Load times: cold and warm formulas, measured overrides, a partly cached file, the scale. */
import { describe, expect, it } from "vitest"
import { loadProfile, resolveProfilePath } from "../../../src/backends/sim/index.js"
import { loadMs, loadTimesOf } from "../../../src/backends/sim/load-time.js"

const ws = loadProfile(resolveProfilePath("workstation-24gb"))
const model = (name: string) => {
  const m = ws.models.find((x) => x.name === name)
  if (m === undefined) throw new Error(`no ${name}`)
  return m
}

describe("backends/sim/load-time", () => {
  it("reads the file cold from disk or warm from the page cache, after the start-up", () => {
    // workstation-24gb: 1 s start-up, 1.4 GB/s from disk, 6 GB/s from the page cache.
    const coder = loadTimesOf(model("qwen2.5-coder:32b"), ws)
    expect(coder.coldMs).toBeCloseTo(1000 + (19.9 / 1.4) * 1000, 6)
    expect(coder.warmMs).toBeCloseTo(1000 + (19.9 / 6) * 1000, 6)
    const seven = loadTimesOf(model("mistral:7b"), ws)
    expect(seven.warmMs).toBeCloseTo(1683.33, 1)
    expect(seven.coldMs).toBeCloseTo(3928.57, 1)
  })

  it("a measured loadSec replaces the formula, per side", () => {
    const m = { ...model("qwen2.5:14b"), loadSec: { cold: 12 } }
    expect(loadTimesOf(m, ws)).toEqual({ coldMs: 12_000, warmMs: 2500 })
    expect(loadTimesOf({ ...m, loadSec: { cold: 12, warm: 3 } }, ws)).toEqual({
      coldMs: 12_000,
      warmMs: 3000,
    })
  })

  it("a partly cached file costs in proportion to what is read from disk; the scale multiplies", () => {
    const t = { coldMs: 10_000, warmMs: 2_000 }
    expect(loadMs(t, 1, 1)).toBe(2_000)
    expect(loadMs(t, 0, 1)).toBe(10_000)
    expect(loadMs(t, 0.25, 1)).toBe(8_000)
    expect(loadMs(t, 0.25, 0.5)).toBe(4_000)
    expect(loadMs(t, 0, 2)).toBe(20_000)
  })
})
