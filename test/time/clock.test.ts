import { describe, expect, it } from "vitest"
import { ManualClock, ScaledClock } from "../../src/time/clock.js"

describe("time/clock", () => {
  it("ManualClock fires timers in time order, then creation order, only when advanced", async () => {
    const clock = new ManualClock()
    const fired: string[] = []
    void clock.sleep(20).then(() => fired.push("b@20"))
    void clock.sleep(10).then(() => fired.push("a@10"))
    void clock.sleep(20).then(() => fired.push("c@20"))
    await clock.advance(15)
    expect(fired).toEqual(["a@10"])
    expect(clock.now()).toBe(15)
    await clock.advance(5)
    expect(fired).toEqual(["a@10", "b@20", "c@20"])
  })

  it("ManualClock runs chains of sleeps started by fired timers", async () => {
    const clock = new ManualClock()
    const times: number[] = []
    const chain = (async () => {
      for (let i = 0; i < 5; i++) {
        await clock.sleep(100)
        times.push(clock.now())
      }
    })()
    await clock.runUntilIdle()
    await chain
    expect(times).toEqual([100, 200, 300, 400, 500])
  })

  it("aborted sleeps reject and never fire", async () => {
    const clock = new ManualClock()
    const ctl = new AbortController()
    const p = clock.sleep(50, ctl.signal)
    ctl.abort(new Error("stop"))
    await expect(p).rejects.toThrow("stop")
    await clock.advance(100)
  })

  it("ScaledClock runs faster than real time", async () => {
    const clock = new ScaledClock(1000)
    const t0 = performance.now()
    await clock.sleep(2000)
    expect(performance.now() - t0).toBeLessThan(1000)
    expect(clock.now()).toBeGreaterThanOrEqual(2000)
    expect(() => new ScaledClock(0)).toThrow(/time scale/)
  })
})
