/**
 * A request's timings, as pure arithmetic: the instants the request machine stamps as it goes
 * (`RequestTimes`) and the server's own durations from the serving attempt's last chunk, turned
 * into the `Timings` a completed request reports.
 */
import type { Timings } from "../src/domain/events.js"
import type { DoneChunk } from "../src/requests/attempt.js"

/** When things happened (Conductor's clock, ms) and time spent waiting, summed over attempts. */
export interface RequestTimes {
  readonly acceptedAt: number
  readonly attemptStartedAt: number
  readonly generationStartedAt: number | undefined
  readonly firstTokenAt: number | undefined
  readonly lastTokenAt: number | undefined
  /** The token time the stall timer was last armed from. */
  readonly stallFrom: number | undefined
  readonly queueMs: number
  readonly loadMs: number
}

/** Milliseconds to the microsecond: whole milliseconds would hide Conductor's own sub-ms costs. */
export const ms = (x: number): number => Math.round(x * 1000) / 1000

/** The timings at `now`, with the backend's durations from `done` (zero without one). */
export const timingsOf = (t: RequestTimes, done: DoneChunk | undefined, now: number): Timings => ({
  queueMs: Math.max(0, ms(t.queueMs)),
  loadMs: ms(t.loadMs),
  firstTokenMs: t.firstTokenAt === undefined ? undefined : ms(t.firstTokenAt - t.acceptedAt),
  totalMs: ms(now - t.acceptedAt),
  backendMs: ms(done?.totalMs ?? 0),
  promptEvalMs: ms(done?.promptEvalMs ?? 0),
  evalMs: ms(done?.evalMs ?? 0),
})
