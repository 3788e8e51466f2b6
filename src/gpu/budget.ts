/**
 * The VRAM budget of one GPU host: bytes held by permits, against a capacity (DESIGN decision 3).
 * Residency starts one load per host at a time, so at most one reservation ever waits here — the
 * load whose evictions are still finishing — and it is granted as soon as enough is released.
 * (A FIFO ticket queue with bounded bypass once stood here; with one waiter it only ran in tests.)
 * Invariants: Conductor's own grants never take `used` past the capacity (only `adopt` and
 * `resize`, which record memory already in use, can); a permit is released exactly once; a
 * request larger than the capacity fails at once; the waiter is granted or cancelled.
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
}

interface Waiter {
  readonly bytes: number
  readonly label: string
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

export class VramBudget {
  private usedBytes = 0
  private nextId = 1
  // Invariant: usedBytes = Σ bytes of the permits held.
  private readonly permits = new Map<number, MutablePermit>()
  /** The one reservation waiting for memory (one load per host at a time). */
  private waiter: Waiter | undefined

  constructor(private readonly capacityBytes: number) {}

  get capacity(): number {
    return this.capacityBytes
  }

  get used(): number {
    return this.usedBytes
  }

  get available(): number {
    return Math.max(0, this.capacityBytes - this.usedBytes)
  }

  /**
   * Reserve `bytes`: `onGrant` is called exactly once with the permit — now if they are free,
   * else when enough is released — unless the returned cancel is called first. Throws
   * BudgetExceededError when `bytes` can never fit, and an Error when another reservation is
   * already waiting (the caller serialises loads).
   */
  reserve(bytes: number, label: string, onGrant: (p: Permit) => void): () => void {
    this.check(bytes, label)
    if (bytes <= this.available) {
      onGrant(this.grant(bytes, label))
      return () => undefined
    }
    if (this.waiter !== undefined) {
      throw new Error(`budget: ${label} reserved while ${this.waiter.label} is waiting (one load per host)`)
    }
    const waiter: Waiter = { bytes, label, grant: onGrant }
    this.waiter = waiter
    return () => {
      if (this.waiter === waiter) this.waiter = undefined
    }
  }

  release(permit: Permit): void {
    const p = this.permits.get(permit.id)
    if (p === undefined) return
    this.permits.delete(permit.id)
    this.usedBytes -= p.bytes
    this.serveWaiter()
  }

  /**
   * Account for memory someone else already took (a model loaded outside Conductor): granted at
   * once, even past the capacity — the bytes are in use whatever we decide.
   */
  adopt(bytes: number, label: string): Permit {
    if (!(bytes >= 0) || !Number.isFinite(bytes))
      throw new RangeError(`${label}: invalid byte count ${bytes}`)
    return this.grant(bytes, label)
  }

  /**
   * Correct a permit to the real size (e.g. `size_vram` once loaded). Growing beyond what is free
   * is allowed — the memory is already in use — and simply leaves less for others.
   */
  resize(permit: Permit, bytes: number): void {
    const p = this.permits.get(permit.id)
    if (p === undefined) return
    this.usedBytes += bytes - p.bytes
    p.bytes = bytes
    this.serveWaiter()
  }

  private check(bytes: number, label: string): void {
    if (!(bytes >= 0) || !Number.isFinite(bytes))
      throw new RangeError(`${label}: invalid byte count ${bytes}`)
    if (bytes > this.capacityBytes) throw new BudgetExceededError(bytes, this.capacityBytes, label)
  }

  private grant(bytes: number, label: string): Permit {
    const p: MutablePermit = { id: this.nextId++, label, bytes }
    this.permits.set(p.id, p)
    this.usedBytes += bytes
    return p
  }

  private serveWaiter(): void {
    const w = this.waiter
    if (w === undefined || w.bytes > this.available) return
    this.waiter = undefined
    w.grant(this.grant(w.bytes, w.label))
  }
}
