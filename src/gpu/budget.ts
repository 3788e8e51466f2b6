/**
 * The VRAM budget: a weighted semaphore in bytes with FIFO tickets and bounded bypass (DESIGN
 * decision 3). Waiters are served in arrival order; a later, smaller request may pass a blocked
 * earlier one only while that one has waited less than `maxBypassMs` — after that, everyone
 * waits behind it, so a large model is never starved by a stream of small ones.
 * Invariants: Conductor's own grants never take `used` past the capacity (only `adopt` and
 * `resize`, which record memory already in use, can); a permit is released exactly once; a
 * request larger than the capacity fails at once (never waits forever); every waiter is granted
 * or cancelled.
 */

export interface Permit {
  readonly id: number
  readonly label: string
  /** Bytes held; `resize` changes it. */
  readonly bytes: number
}

interface MutablePermit {
  readonly id: number
  readonly label: string
  bytes: number
  released: boolean
}

interface Waiter {
  readonly id: number
  readonly label: string
  readonly bytes: number
  readonly since: number
  readonly grant: (p: Permit) => void
}

export class BudgetExceededError extends Error {
  constructor(
    readonly bytes: number,
    readonly capacity: number,
    readonly label: string,
  ) {
    super(`${label} needs ${bytes} bytes but the budget is ${capacity}`)
  }
}

export interface BudgetSnapshot {
  readonly capacity: number
  readonly used: number
  readonly waiting: ReadonlyArray<{
    readonly label: string
    readonly bytes: number
    readonly waitedMs: number
  }>
  readonly permits: ReadonlyArray<{ readonly label: string; readonly bytes: number }>
}

export class VramBudget {
  private usedBytes = 0
  private nextId = 1
  // Invariant: usedBytes = Σ bytes of unreleased permits.
  private readonly permits = new Map<number, MutablePermit>()
  // Arrival order.
  private readonly waiters: Waiter[] = []

  constructor(
    private capacityBytes: number,
    private readonly options: { readonly maxBypassMs: number; readonly now: () => number },
  ) {}

  get capacity(): number {
    return this.capacityBytes
  }

  get used(): number {
    return this.usedBytes
  }

  get available(): number {
    return Math.max(0, this.capacityBytes - this.usedBytes)
  }

  get waiting(): number {
    return this.waiters.length
  }

  /** Grant now if the FIFO rules allow it, else undefined (nothing is queued). */
  tryAcquire(bytes: number, label: string): Permit | undefined {
    this.check(bytes, label)
    if (!this.mayPassQueue(bytes)) return undefined
    return this.grant(bytes, label)
  }

  /**
   * Wait for `bytes`. `onGrant` is called exactly once with the permit, unless the returned
   * cancel function is called first (then never). Throws BudgetExceededError when `bytes` can
   * never fit.
   */
  acquire(bytes: number, label: string, onGrant: (p: Permit) => void): () => void {
    this.check(bytes, label)
    if (this.waiters.length === 0 && bytes <= this.available) {
      onGrant(this.grant(bytes, label))
      return () => undefined
    }
    const id = this.nextId++
    let active = true
    this.waiters.push({
      id,
      label,
      bytes,
      since: this.options.now(),
      grant: (p) => {
        active = false
        onGrant(p)
      },
    })
    this.drain()
    return () => {
      if (!active) return
      active = false
      const i = this.waiters.findIndex((w) => w.id === id)
      if (i >= 0) this.waiters.splice(i, 1)
      // The head leaving may let others in.
      this.drain()
    }
  }

  release(permit: Permit): void {
    const p = this.permits.get(permit.id)
    if (p === undefined || p.released) return
    p.released = true
    this.permits.delete(permit.id)
    this.usedBytes -= p.bytes
    this.drain()
  }

  /**
   * Account for memory someone else already took (a model loaded outside Conductor): granted at
   * once, even past the capacity — the bytes are in use whatever we decide. Conductor's own
   * requests then wait until enough is released.
   */
  adopt(bytes: number, label: string): Permit {
    if (!(bytes >= 0) || !Number.isFinite(bytes))
      throw new RangeError(`${label}: invalid byte count ${bytes}`)
    return this.grant(bytes, label)
  }

  /**
   * Correct a permit to the real size (e.g. `size_vram` once loaded). Growing beyond what is
   * free is allowed — the memory is already in use — and simply leaves less for others.
   */
  resize(permit: Permit, bytes: number): void {
    const p = this.permits.get(permit.id)
    if (p === undefined || p.released) return
    this.usedBytes += bytes - p.bytes
    p.bytes = bytes
    this.drain()
  }

  /** Change the capacity (hardware re-detected, configuration reloaded). */
  setCapacity(bytes: number): void {
    this.capacityBytes = bytes
    // Waiters that can no longer ever fit are not kept waiting forever by the caller's logic:
    // they remain queued and are served when capacity allows; callers cancel on their deadlines.
    this.drain()
  }

  snapshot(): BudgetSnapshot {
    const now = this.options.now()
    return {
      capacity: this.capacityBytes,
      used: this.usedBytes,
      waiting: this.waiters.map((w) => ({ label: w.label, bytes: w.bytes, waitedMs: now - w.since })),
      permits: [...this.permits.values()].map((p) => ({ label: p.label, bytes: p.bytes })),
    }
  }

  private check(bytes: number, label: string): void {
    if (!(bytes >= 0) || !Number.isFinite(bytes))
      throw new RangeError(`${label}: invalid byte count ${bytes}`)
    if (bytes > this.capacityBytes) throw new BudgetExceededError(bytes, this.capacityBytes, label)
  }

  /** May a new request be granted ahead of the queue? Only while nobody has waited too long. */
  private mayPassQueue(bytes: number): boolean {
    if (bytes > this.available) return false
    const head = this.waiters[0]
    return head === undefined || this.options.now() - head.since < this.options.maxBypassMs
  }

  private grant(bytes: number, label: string): Permit {
    const p: MutablePermit = { id: this.nextId++, label, bytes, released: false }
    this.permits.set(p.id, p)
    this.usedBytes += bytes
    return p
  }

  /** Serve waiters: the head when it fits; others behind it only within the bypass bound. */
  private drain(): void {
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i] as Waiter
      const head = this.waiters[0] as Waiter
      const headStarving = this.options.now() - head.since >= this.options.maxBypassMs
      if (i > 0 && headStarving) return
      if (w.bytes <= this.available) {
        this.waiters.splice(i, 1)
        w.grant(this.grant(w.bytes, w.label))
        continue
      }
      i++
    }
  }
}
