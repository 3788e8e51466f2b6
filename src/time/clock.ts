/**
 * Time sources. Everything timed in Conductor and in the simulator reads `now()` and waits with
 * `sleep()` on one TimeSource: `ScaledClock` maps it onto real time at a time scale (1 = real
 * time, 100 = a hundred times faster, for load tests and demos), and `ManualClock` only moves
 * when a test advances it. Effect's Clock is derived from the same source (`effect-clock.ts`),
 * so services, machines and the simulator share one notion of time.
 */

export interface TimeSource {
  /** Milliseconds since the clock started (monotonic). */
  now(): number
  /** Epoch milliseconds of the present on this clock (for timestamps). */
  epochMs(): number
  /** Resolves after `ms` milliseconds of this clock; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  /**
   * Call `fn` after `ms` milliseconds of this clock; the returned function cancels it. Lighter
   * than `sleep` with an AbortSignal for timers that are mostly cancelled (deadlines, expiries).
   */
  schedule(ms: number, fn: () => void): () => void
}

const abortError = (signal: AbortSignal): unknown =>
  signal.reason ?? Object.assign(new Error("aborted"), { name: "AbortError" })

/** Real time, sped up `scale` times. */
export class ScaledClock implements TimeSource {
  private readonly startReal = performance.now()
  private readonly startEpoch = Date.now()

  constructor(readonly scale = 1) {
    if (!(scale > 0)) throw new Error(`time scale must be > 0, got ${scale}`)
  }

  now(): number {
    return (performance.now() - this.startReal) * this.scale
  }

  epochMs(): number {
    return this.startEpoch + this.now()
  }

  schedule(ms: number, fn: () => void): () => void {
    const until = this.now() + Math.max(0, ms)
    let timer: ReturnType<typeof setTimeout>
    const arm = (wait: number) => {
      timer = setTimeout(() => {
        const left = until - this.now()
        if (left > 0) arm(left / this.scale)
        else fn()
      }, wait)
    }
    arm(Math.max(0, ms) / this.scale)
    return () => clearTimeout(timer)
  }

  /** Never resolves early on this clock (timers may fire a little before their real deadline). */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal))
    const until = this.now() + Math.max(0, ms)
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout>
      const onAbort = () => {
        clearTimeout(timer)
        reject(abortError(signal as AbortSignal))
      }
      const arm = () => {
        const left = until - this.now()
        if (left <= 0) {
          signal?.removeEventListener("abort", onAbort)
          resolve()
          return
        }
        timer = setTimeout(arm, left / this.scale)
      }
      signal?.addEventListener("abort", onAbort, { once: true })
      // Always a macrotask, even for 0 ms, as setTimeout would.
      timer = setTimeout(arm, Math.max(0, ms) / this.scale)
    })
  }
}

interface Timer {
  readonly at: number
  readonly seq: number
  readonly fire: () => void
}

/**
 * Virtual time for tests: nothing happens until `advance()`. Timers fire in time order (ties in
 * creation order) and the microtasks they release run before the next timer fires, so chains of
 * sleeps behave as they would in real time.
 */
export class ManualClock implements TimeSource {
  private current = 0
  private seq = 0
  // Min-heap ordered by (at, seq); invariant: every pending timer is in it exactly once.
  private readonly heap: Timer[] = []

  constructor(private readonly startEpoch = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current
  }

  epochMs(): number {
    return this.startEpoch + this.current
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal))
    return new Promise((resolve, reject) => {
      let done = false
      const onAbort = () => {
        if (done) return
        done = true
        reject(abortError(signal as AbortSignal))
      }
      this.push({
        at: this.current + Math.max(0, ms),
        seq: this.seq++,
        fire: () => {
          if (done) return
          done = true
          signal?.removeEventListener("abort", onAbort)
          resolve()
        },
      })
      signal?.addEventListener("abort", onAbort, { once: true })
    })
  }

  schedule(ms: number, fn: () => void): () => void {
    let cancelled = false
    this.push({
      at: this.current + Math.max(0, ms),
      seq: this.seq++,
      fire: () => {
        if (!cancelled) fn()
      },
    })
    return () => {
      cancelled = true
    }
  }

  /** Pending timers (including those of aborted sleeps not yet reached). */
  get pending(): number {
    return this.heap.length
  }

  /** Move time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms
    await settle()
    for (;;) {
      const next = this.heap[0]
      if (next === undefined || next.at > target) break
      this.pop()
      this.current = Math.max(this.current, next.at)
      next.fire()
      await settle()
    }
    this.current = target
    await settle()
  }

  /** Advance until no timer is pending (bounded, to catch runaway loops). */
  async runUntilIdle(maxMs = 24 * 3600 * 1000): Promise<void> {
    const limit = this.current + maxMs
    await settle()
    while (this.heap.length > 0) {
      const next = this.heap[0] as Timer
      if (next.at > limit) throw new Error(`ManualClock.runUntilIdle: still busy after ${maxMs} ms`)
      await this.advance(next.at - this.current)
    }
  }

  private push(t: Timer): void {
    const h = this.heap
    h.push(t)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(h[i] as Timer, h[p] as Timer)) break
      ;[h[i], h[p]] = [h[p] as Timer, h[i] as Timer]
      i = p
    }
  }

  private pop(): Timer | undefined {
    const h = this.heap
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last !== undefined) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && before(h[l] as Timer, h[m] as Timer)) m = l
        if (r < h.length && before(h[r] as Timer, h[m] as Timer)) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m] as Timer, h[i] as Timer]
        i = m
      }
    }
    return top
  }
}

const before = (a: Timer, b: Timer): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/**
 * Rounds of the event loop let run before time moves on: enough for a chain of promises and
 * Effect fibers (Effect schedules on setImmediate) started by one timer to reach its next sleep.
 */
const SETTLE_ROUNDS = 12

const settle = async (): Promise<void> => {
  for (let i = 0; i < SETTLE_ROUNDS; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}
