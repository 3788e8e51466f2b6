/**
 * Effect's Clock derived from a TimeSource, and the `Time` service that carries the source.
 * Providing `Time.layer(source)` makes `Effect.sleep`, `Clock.currentTimeMillis` and every
 * Effect program Conductor runs use that source: real time, a sped-up clock for load tests, or a
 * ManualClock that a test advances (which then also drives the simulator).
 */
import { Clock, Context, Duration, Effect, Layer } from "effect"
import { ScaledClock, type TimeSource } from "./clock.js"

const nanos = (ms: number): bigint => BigInt(Math.round(ms * 1e6))

export const effectClockOf = (source: TimeSource): Clock.Clock => ({
  currentTimeMillisUnsafe: () => source.epochMs(),
  currentTimeMillis: Effect.sync(() => source.epochMs()),
  currentTimeNanosUnsafe: () => nanos(source.epochMs()),
  currentTimeNanos: Effect.sync(() => nanos(source.epochMs())),
  monotonicTimeNanosUnsafe: () => nanos(source.now()),
  monotonicTimeNanos: Effect.sync(() => nanos(source.now())),
  sleep: (duration) =>
    Effect.callback<void>((resume, signal) => {
      source.sleep(Duration.toMillis(duration), signal).then(
        () => resume(Effect.void),
        // Aborted: the fiber was interrupted and no longer waits for us.
        () => undefined,
      )
    }),
})

export class Time extends Context.Service<Time, TimeSource>()("conductor/Time") {
  /** The source as a service plus Effect's Clock backed by it. */
  static readonly layer = (source: TimeSource): Layer.Layer<Time> =>
    Layer.merge(Layer.succeed(Time, source), Layer.succeed(Clock.Clock, effectClockOf(source)))

  /** Real time. */
  static readonly live: Layer.Layer<Time> = Time.layer(new ScaledClock(1))
}
