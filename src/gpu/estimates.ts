/**
 * What the scheduler learns about each model as it runs: recent demand (requests per minute,
 * exponentially decayed, so a burst fades within minutes) and service time (how long a request
 * holds a slot, a moving average). Policies weigh evictions by demand; queue positions, expected
 * waits, retry-after hints and fair-share charges use service time.
 */

/** Demand decays with this time constant (a decayed count ≈ requests in the last minute). */
const DEMAND_TAU_MS = 60_000
/** Weight of the newest request in the service-time average. */
const SERVICE_ALPHA = 0.2

export class ModelEstimates {
  private readonly demand = new Map<string, { count: number; at: number }>()
  private readonly service = new Map<string, number>()

  /** A request for `model` arrived at `now`. */
  noteRequest(model: string, now: number): void {
    this.demand.set(model, { count: this.demandOf(model, now) + 1, at: now })
  }

  /** Recent requests per minute for `model`. */
  demandOf(model: string, now: number): number {
    const d = this.demand.get(model)
    return d === undefined ? 0 : d.count * Math.exp(-(now - d.at) / DEMAND_TAU_MS)
  }

  /** A request held a slot of `model` for `ms`. */
  noteService(model: string, ms: number): void {
    const prev = this.service.get(model)
    this.service.set(model, prev === undefined ? ms : (1 - SERVICE_ALPHA) * prev + SERVICE_ALPHA * ms)
  }

  /** How long a request holds a slot of `model`, as measured (undefined before the first). */
  serviceMs(model: string): number | undefined {
    return this.service.get(model)
  }
}
