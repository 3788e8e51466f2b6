/**
 * Events as async iterables. A `Subscription` queues what a subscriber has not read yet, up to a
 * bound beyond which the oldest are dropped (counted in `dropped`) so that a reader who stops
 * reading cannot grow memory without end. A `Replay` keeps every event of one request so that
 * any number of readers, however late, see all of them from `accepted` to the terminal event.
 */

export class Subscription<T> implements AsyncIterable<T> {
  // Invariant: items and waiters are never both non-empty.
  private readonly items: T[] = []
  private readonly waiters: Array<(r: IteratorResult<T>) => void> = []
  private ended = false
  /** Events dropped because the reader fell `capacity` behind. */
  dropped = 0

  constructor(
    private readonly capacity: number,
    private readonly onClose: () => void = () => undefined,
  ) {}

  push(item: T): void {
    if (this.ended) return
    const waiter = this.waiters.shift()
    if (waiter !== undefined) {
      waiter({ value: item, done: false })
      return
    }
    this.items.push(item)
    if (this.items.length > this.capacity) {
      this.items.shift()
      this.dropped++
    }
  }

  /** No more events: readers finish what is queued, then stop. */
  end(): void {
    if (this.ended) return
    this.ended = true
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true })
    this.onClose()
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.items.shift()
        if (item !== undefined) return Promise.resolve({ value: item, done: false })
        if (this.ended) return Promise.resolve({ value: undefined, done: true })
        return new Promise((resolve) => this.waiters.push(resolve))
      },
      return: () => {
        this.end()
        this.items.length = 0
        return Promise.resolve({ value: undefined, done: true })
      },
    }
  }
}

export class Replay<T> implements AsyncIterable<T> {
  private readonly log: T[] = []
  private readonly wake = new Set<() => void>()
  private readonly observers = new Set<(item: T) => void>()
  private ended = false

  push(item: T): void {
    if (this.ended) return
    this.log.push(item)
    for (const o of this.observers) o(item)
    for (const w of this.wake) w()
  }

  /** Call `observer` with every item so far, then with each new one, synchronously; returns the stop. */
  observe(observer: (item: T) => void): () => void {
    for (const item of this.log) observer(item)
    if (this.ended) return () => undefined
    this.observers.add(observer)
    return () => this.observers.delete(observer)
  }

  end(): void {
    this.ended = true
    this.observers.clear()
    for (const w of this.wake) w()
  }

  get events(): ReadonlyArray<T> {
    return this.log
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    let i = 0
    let closed = false
    return {
      next: async () => {
        for (;;) {
          if (closed) return { value: undefined, done: true }
          if (i < this.log.length) return { value: this.log[i++] as T, done: false }
          if (this.ended) return { value: undefined, done: true }
          await new Promise<void>((resolve) => {
            const w = () => {
              this.wake.delete(w)
              resolve()
            }
            this.wake.add(w)
          })
        }
      },
      return: async () => {
        closed = true
        return { value: undefined, done: true }
      },
    }
  }
}
