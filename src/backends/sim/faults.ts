/**
 * Fault injection: per-request decisions drawn from seeded per-model random streams (so a seed
 * replays the same faults for the same sequence of requests), plus one-shot faults queued at run
 * time ("the next 2 requests to qwen2.5:14b are cut mid-stream") for exact tests.
 */
import type { FaultSettings } from "./profile.js"
import { seededRandom } from "./text/random.js"

export const FAULT_KINDS = [
  "error",
  "cut",
  "stall",
  "slow",
  "degenerate",
  "load_oom",
  "load_terminated",
] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

/** What happens to one generation. */
export interface GenerationFault {
  readonly kind: "none" | "error" | "cut" | "stall" | "slow" | "degenerate"
  /** For cut, stall and degenerate: after this fraction of the answer's tokens. */
  readonly atFraction: number
  readonly stallMs: number
  readonly slowFactor: number
}

export type LoadFault = "none" | "oom" | "terminated"

interface Queued {
  readonly kind: FaultKind
  remaining: number
  readonly stallSec?: number
  readonly slowFactor?: number
}

export const NO_FAULTS: FaultSettings = {
  errorBeforeFirstToken: 0,
  cutMidStream: 0,
  stall: 0,
  stallSec: 30,
  slow: 0,
  slowFactor: 4,
  degenerate: 0,
  loadFailure: 0,
  loadFailureKind: "oom",
}

export interface FaultState {
  readonly defaults: FaultSettings
  readonly perModel: Readonly<Record<string, FaultSettings>>
  readonly queued: ReadonlyArray<{
    readonly model: string
    readonly kind: FaultKind
    readonly remaining: number
  }>
}

export class Faults {
  private defaults: FaultSettings
  private readonly perModel = new Map<string, FaultSettings>()
  // One-shot faults, consumed in order per model; kept in insertion order for introspection.
  private readonly queued = new Map<string, Queued[]>()
  private readonly random = new Map<string, () => number>()

  constructor(
    defaults: FaultSettings,
    modelDefaults: ReadonlyArray<{ readonly name: string; readonly faults?: FaultSettings | undefined }>,
    private readonly seed: number,
  ) {
    this.defaults = defaults
    for (const m of modelDefaults) if (m.faults !== undefined) this.perModel.set(m.name, m.faults)
  }

  /** Replace the probabilities for one model, or the defaults when `model` is undefined. */
  set(model: string | undefined, settings: Partial<FaultSettings>): void {
    if (model === undefined) this.defaults = { ...this.defaults, ...settings }
    else this.perModel.set(model, { ...(this.perModel.get(model) ?? this.defaults), ...settings })
  }

  /** Queue a one-shot fault for the next `count` requests (or loads, for load_*) of `model`. */
  inject(
    model: string,
    kind: FaultKind,
    count = 1,
    options: { stallSec?: number; slowFactor?: number } = {},
  ): void {
    const list = this.queued.get(model) ?? []
    list.push({ kind, remaining: count, ...options })
    this.queued.set(model, list)
  }

  clear(): void {
    this.defaults = NO_FAULTS
    this.perModel.clear()
    this.queued.clear()
  }

  state(): FaultState {
    return {
      defaults: this.defaults,
      perModel: Object.fromEntries(this.perModel),
      queued: [...this.queued].flatMap(([model, qs]) =>
        qs.map((q) => ({ model, kind: q.kind, remaining: q.remaining })),
      ),
    }
  }

  private settings(model: string): FaultSettings {
    return this.perModel.get(model) ?? this.defaults
  }

  private rng(model: string): () => number {
    let r = this.random.get(model)
    if (r === undefined) {
      r = seededRandom(`${this.seed}|faults|${model}`)
      this.random.set(model, r)
    }
    return r
  }

  private take(model: string, match: (k: FaultKind) => boolean): Queued | undefined {
    const list = this.queued.get(model)
    const q = list?.find((x) => match(x.kind))
    if (q === undefined || list === undefined) return undefined
    q.remaining--
    if (q.remaining <= 0) list.splice(list.indexOf(q), 1)
    return q
  }

  /** The fault (if any) for the next generation on `model`. */
  forGeneration(model: string): GenerationFault {
    const s = this.settings(model)
    const rng = this.rng(model)
    // Draw the same number of values whatever happens, so one fault does not shift the next.
    const roll = rng()
    const at = 0.2 + 0.6 * rng()
    const queued = this.take(model, (k) => !k.startsWith("load_"))
    const stallMs = (queued?.stallSec ?? s.stallSec) * 1000
    const slowFactor = queued?.slowFactor ?? s.slowFactor
    if (queued !== undefined) {
      return { kind: queued.kind as GenerationFault["kind"], atFraction: at, stallMs, slowFactor }
    }
    let edge = s.errorBeforeFirstToken
    if (roll < edge) return { kind: "error", atFraction: at, stallMs, slowFactor }
    edge += s.cutMidStream
    if (roll < edge) return { kind: "cut", atFraction: at, stallMs, slowFactor }
    edge += s.stall
    if (roll < edge) return { kind: "stall", atFraction: at, stallMs, slowFactor }
    edge += s.slow
    if (roll < edge) return { kind: "slow", atFraction: at, stallMs, slowFactor }
    edge += s.degenerate
    if (roll < edge) return { kind: "degenerate", atFraction: at, stallMs, slowFactor }
    return { kind: "none", atFraction: at, stallMs, slowFactor }
  }

  /** Whether the next load of `model` fails, and how. */
  forLoad(model: string): LoadFault {
    const s = this.settings(model)
    const roll = this.rng(`${model}|load`)()
    const queued = this.take(model, (k) => k.startsWith("load_"))
    if (queued !== undefined) return queued.kind === "load_oom" ? "oom" : "terminated"
    return roll < s.loadFailure ? s.loadFailureKind : "none"
  }
}
