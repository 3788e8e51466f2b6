/**
 * A Conductor on the in-process simulator, on a ManualClock the test advances: deterministic
 * loads, generations, deadlines and breaker timers.
 */
import { type Conductor, type ConductorOptions, createConductor } from "../../src/conductor.js"
import type { ConductorEvent } from "../../src/domain/events.js"
import { ManualClock } from "../../src/time/clock.js"

export interface ConductorEnv {
  readonly conductor: Conductor
  readonly clock: ManualClock
  /** Every event, in order. */
  readonly events: ConductorEvent[]
  /** Advance virtual time in steps until `done()` holds (or `maxMs` passes). */
  readonly until: (done: () => boolean, maxMs?: number, stepMs?: number) => Promise<void>
  /** Advance virtual time until the promise settles; returns its outcome. */
  readonly settle: <T>(p: Promise<T>, maxMs?: number) => Promise<{ value?: T; error?: unknown }>
  readonly of: (id: string) => ConductorEvent[]
}

export const conductorEnv = async (options: Partial<ConductorOptions> = {}): Promise<ConductorEnv> => {
  const clock = new ManualClock()
  const conductor = await createConductor({
    backend: "sim",
    simProfile: "tiny-ci",
    clock,
    seed: 11,
    env: {},
    ...options,
  })
  const events: ConductorEvent[] = []
  void (async () => {
    for await (const e of conductor.events()) events.push(e)
  })()
  const until = async (done: () => boolean, maxMs = 600_000, stepMs = 50) => {
    for (let t = 0; t <= maxMs && !done(); t += stepMs) await clock.advance(stepMs)
    if (!done()) throw new Error(`not done after ${maxMs} ms of virtual time`)
  }
  const settle = async <T>(p: Promise<T>, maxMs = 600_000) => {
    const out: { value?: T; error?: unknown; settled?: boolean } = {}
    p.then(
      (value) => {
        out.value = value
        out.settled = true
      },
      (error: unknown) => {
        out.error = error
        out.settled = true
      },
    )
    await until(() => out.settled === true, maxMs)
    return out
  }
  const of = (id: string) => events.filter((e) => "id" in e && e.id === id)
  return { conductor, clock, events, until, settle, of }
}
