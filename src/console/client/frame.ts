/**
 * Batches rendering: any number of changes between two frames cost one redraw, in one
 * `requestAnimationFrame`. A renderer may ask to run at most every `minIntervalMs` (the request
 * list, whose cells change with every token); a change inside that interval is drawn when it
 * ends. A ticker redraws time-based text (elapsed, waits) while something is in progress — it
 * reads no network.
 */

export interface Renderer {
  readonly name: string
  /** Whether it has something to draw. */
  readonly due: () => boolean
  readonly draw: (now: number) => void
  readonly minIntervalMs?: number
}

export class Frame {
  private scheduled = false
  private readonly last = new Map<string, number>()
  private delayed: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly renderers: ReadonlyArray<Renderer>) {}

  /** Something changed: draw on the next frame. */
  request(): void {
    if (this.scheduled) return
    this.scheduled = true
    requestAnimationFrame((t) => this.run(t))
  }

  private run(now: number): void {
    this.scheduled = false
    let later = Number.POSITIVE_INFINITY
    for (const r of this.renderers) {
      if (!r.due()) continue
      const wait = (this.last.get(r.name) ?? Number.NEGATIVE_INFINITY) + (r.minIntervalMs ?? 0) - now
      if (wait > 0) {
        later = Math.min(later, wait)
        continue
      }
      this.last.set(r.name, now)
      r.draw(now)
    }
    if (Number.isFinite(later) && this.delayed === undefined) {
      this.delayed = setTimeout(() => {
        this.delayed = undefined
        this.request()
      }, later)
    }
  }
}
