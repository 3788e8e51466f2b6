/**
 * XState's clock on Conductor's TimeSource: delayed transitions (deadlines) run on the same time
 * as Effect, the scheduler and the simulator — real, sped up, or a test's ManualClock.
 */
import type { TimeSource } from "../src/time/clock.js"

export interface MachineClock {
  setTimeout(fn: (...args: unknown[]) => void, ms: number): number
  clearTimeout(id: unknown): void
}

export const machineClock = (time: TimeSource): MachineClock => {
  // Invariant: a timer is in this map from setTimeout until it fires or is cleared.
  const timers = new Map<number, () => void>()
  let next = 1
  return {
    setTimeout(fn, ms) {
      const id = next++
      timers.set(
        id,
        time.schedule(ms, () => {
          timers.delete(id)
          fn()
        }),
      )
      return id
    },
    clearTimeout(id) {
      const cancel = timers.get(id as number)
      if (cancel === undefined) return
      timers.delete(id as number)
      cancel()
    },
  }
}
