import { describe, expect, it } from "vitest"
import { ms, type RequestTimes, timingsOf } from "../../machines/timings.js"
import type { DoneChunk } from "../../src/requests/attempt.js"

const times: RequestTimes = {
  acceptedAt: 1_000,
  attemptStartedAt: 1_200,
  generationStartedAt: 1_500,
  firstTokenAt: 1_750.123_456,
  lastTokenAt: 2_900,
  stallFrom: 2_900,
  queueMs: 200.000_4,
  loadMs: 300,
}

const done: DoneChunk = {
  kind: "done",
  reason: "stop",
  promptTokens: 12,
  evalTokens: 40,
  loadMs: 0,
  totalMs: 1_400,
  promptEvalMs: 100.5,
  evalMs: 1_250.25,
}

describe("machines/timings", () => {
  it("ms rounds to the microsecond", () => {
    expect(ms(1.234_567)).toBe(1.235)
    expect(ms(2)).toBe(2)
  })

  it("timingsOf measures from acceptance and takes the backend's durations from the last chunk", () => {
    expect(timingsOf(times, done, 3_000)).toEqual({
      queueMs: 200,
      loadMs: 300,
      firstTokenMs: 750.123,
      totalMs: 2_000,
      backendMs: 1_400,
      promptEvalMs: 100.5,
      evalMs: 1_250.25,
    })
  })

  it("timingsOf without a first token or a last chunk; queue time never negative", () => {
    const t = timingsOf({ ...times, firstTokenAt: undefined, queueMs: -0.5 }, undefined, 1_000)
    expect(t).toEqual({
      queueMs: 0,
      loadMs: 300,
      firstTokenMs: undefined,
      totalMs: 0,
      backendMs: 0,
      promptEvalMs: 0,
      evalMs: 0,
    })
  })
})
