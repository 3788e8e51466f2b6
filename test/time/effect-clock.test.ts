import { Clock, Effect, Fiber } from "effect"
import { describe, expect, it } from "vitest"
import { ManualClock } from "../../src/time/clock.js"
import { Time } from "../../src/time/effect-clock.js"

describe("Time.layer", () => {
  it("runs Effect.sleep and Clock on the time source", async () => {
    const clock = new ManualClock()
    const slept = Effect.gen(function* () {
      const t0 = yield* Clock.currentTimeMillis
      yield* Effect.sleep("5 seconds")
      return (yield* Clock.currentTimeMillis) - t0
    }).pipe(Effect.provide(Time.layer(clock)))
    let done = false
    const result = Effect.runPromise(slept).finally(() => {
      done = true
    })
    await clock.advance(4999)
    expect(done).toBe(false)
    await clock.advance(1)
    expect(await result).toBe(5000)
  })

  it("an interrupted sleep leaves nothing to fire", async () => {
    const clock = new ManualClock()
    let woke = false
    const fiber = Effect.runFork(
      Effect.sleep("1 second").pipe(
        Effect.tap(() =>
          Effect.sync(() => {
            woke = true
          }),
        ),
        Effect.provide(Time.layer(clock)),
      ),
    )
    await clock.advance(0)
    await Effect.runPromise(Fiber.interrupt(fiber))
    await clock.advance(2000)
    expect(woke).toBe(false)
  })
})
