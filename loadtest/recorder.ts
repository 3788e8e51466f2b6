/**
 * What a load run observed, and the result it adds up to. Requests are recorded as they are sent
 * and as their events arrive (from the event bus in-process, or over the WebSocket); system
 * events give loads, evictions and GPU memory over time. Times are simulated milliseconds;
 * `overheadMs` is converted to real milliseconds (what Conductor itself adds).
 */
import type { ConductorEvent } from "../src/domain/events.js"
import { summary } from "./bench/stats.js"
import type { ChaosReport } from "./chaos.js"

export interface Quantiles {
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly max: number
}

export interface PolicyResult {
  readonly requests: number
  readonly completed: number
  readonly failed: number
  /** Failed requests by the reason of their `failed` event (`Timeout`, `Crashed`, …). */
  readonly failedByReason: Readonly<Record<string, number>>
  readonly cancelled: number
  /** Refused at submission (queue full, limits). */
  readonly rejected: number
  /** Accepted, with no terminal event: must be 0. */
  readonly lost: number
  /** Terminal events beyond the first for one request: must be 0. */
  readonly duplicateTerminals: number
  readonly throughputRps: number
  readonly tokensPerSec: number
  readonly latencyMs: Quantiles
  readonly ttftMs: Quantiles
  readonly queueWaitMs: Quantiles
  readonly loads: number
  readonly evictions: number
  readonly vramUtilization: { readonly avg: number; readonly peak: number }
  /** Moments the simulator held more memory than its GPUs (must be 0). */
  readonly overcommits: number
  readonly fallbacks: number
  readonly overheadMs: { readonly p50: number; readonly p99: number }
  /** Failed requests whose chain held a model without faults (chaos: must be 0). */
  readonly healthyChainFailures: number
  readonly perModel: Readonly<
    Record<
      string,
      {
        readonly completed: number
        /** Answer tokens, and prompt tokens, over its completed requests. */
        readonly tokens: number
        readonly promptTokens: number
        readonly latencyMs: Quantiles
        /** Mean time one request held its slot generating (the backend's own time), simulated ms. */
        readonly serviceMs: number
      }
    >
  >
  /** The host the run was on (for the ceiling): its VRAM budget, loaded-model limit and models. */
  readonly host?: HostFacts
  /** Completed requests by priority class: time to first token, queue wait, latency. */
  readonly byPriority: Readonly<
    Record<
      string,
      {
        readonly completed: number
        readonly ttftMs: Quantiles
        readonly queueWaitMs: Quantiles
        readonly latencyMs: Quantiles
      }
    >
  >
  /** Per tenant (the trace's): requests sent, completed, queue wait and latency of the completed. */
  readonly byTenant: Readonly<
    Record<
      string,
      {
        readonly sent: number
        readonly completed: number
        readonly queueWaitMs: Quantiles
        readonly latencyMs: Quantiles
      }
    >
  >
  /** Tenants that sent more than twice what the median other tenant sent (the flooders). */
  readonly noisyTenants: ReadonlyArray<string>
  readonly durationSec: number
  readonly memory?: {
    /** The lowest sample in each quarter of the run (flat floors: no growth). */
    readonly heapFloorMb: ReadonlyArray<number>
    readonly rssFloorMb: ReadonlyArray<number>
    readonly heapStartMb: number
    readonly heapEndMb: number
    readonly rssStartMb: number
    readonly rssEndMb: number
    readonly heapSlopeMbPerHour: number
    readonly rssSlopeMbPerHour: number
  }
  /**
   * CPU time (user + system) the server process spent during the run, per finished request —
   * runs over WebSockets against a server that reports it. Less sensitive than req/s to other
   * tenants of a shared machine.
   */
  readonly serverCpuMsPerRequest?: number
  /** A host killed mid-run and restarted: what the run showed (loadtest/chaos.ts). */
  readonly chaos?: ChaosReport
}

export interface HostFacts {
  readonly budgetBytes: number
  readonly maxLoaded: number
  readonly models: Readonly<Record<string, { readonly bytes: number; readonly slots: number }>>
}

interface Record_ {
  readonly id: string
  readonly mix: string
  readonly tenant: string
  readonly priority: string
  readonly sentAt: number
  accepted: boolean
  rejected: boolean
  outcome: "completed" | "failed" | "cancelled" | undefined
  /** The `failed` event's reason. */
  reason: string | undefined
  endedAt: number | undefined
  chain: ReadonlyArray<string>
  model: string | undefined
  tokens: number
  promptTokens: number
  backendMs: number | undefined
  latencyMs: number | undefined
  ttftMs: number | undefined
  queueMs: number | undefined
  overheadMs: number | undefined
}

const DEFAULT_WHO = { tenant: "library", priority: "interactive" } as const

const q = (samples: ReadonlyArray<number>): Quantiles => {
  const s = summary(samples)
  const r = (n: number) => (Number.isFinite(n) ? Math.round(n * 10) / 10 : 0)
  return { p50: r(s.p50), p95: r(s.p95), p99: r(s.p99), max: r(s.max) }
}

export class Recorder {
  private readonly requests = new Map<string, Record_>()
  private loads = 0
  private evictions = 0
  private fallbacks = 0
  // Terminal events for a request that had already ended (must stay 0: exactly one each).
  private duplicateTerminals = 0
  // Time-weighted GPU memory: the area under used/capacity, and when it last changed.
  private vramArea = 0
  private vramLast = { at: 0, fraction: 0 }
  private vramPeak = 0
  private readonly memory: Array<{ at: number; heap: number; rss: number }> = []

  constructor(
    /** Simulated milliseconds now. */
    private readonly now: () => number,
    private readonly timeScale: number,
    /** Models without faults: a request whose chain holds one should complete. */
    private readonly healthy: ReadonlySet<string> = new Set(),
  ) {
    this.vramLast = { at: now(), fraction: 0 }
  }

  get inFlight(): number {
    let n = 0
    for (const r of this.requests.values()) if (r.accepted && r.outcome === undefined) n++
    return n
  }

  get ended(): number {
    let n = 0
    for (const r of this.requests.values()) if (r.outcome !== undefined || r.rejected) n++
    return n
  }

  get sentCount(): number {
    return this.requests.size
  }

  sent(
    id: string,
    mix: string,
    who: { readonly tenant: string; readonly priority: string } = DEFAULT_WHO,
  ): void {
    this.requests.set(id, {
      id,
      mix,
      tenant: who.tenant,
      priority: who.priority,
      sentAt: this.now(),
      accepted: false,
      rejected: false,
      outcome: undefined,
      reason: undefined,
      endedAt: undefined,
      chain: [],
      model: undefined,
      tokens: 0,
      promptTokens: 0,
      backendMs: undefined,
      latencyMs: undefined,
      ttftMs: undefined,
      queueMs: undefined,
      overheadMs: undefined,
    })
  }

  rejected(id: string): void {
    const r = this.requests.get(id)
    if (r !== undefined) r.rejected = true
  }

  sampleMemory(): void {
    const m = process.memoryUsage()
    this.sampleMemoryFrom(m.heapUsed, m.rss)
  }

  /** A memory sample taken elsewhere (the server process, over `/v1/status`), now. */
  sampleMemoryFrom(heapBytes: number, rssBytes: number): void {
    this.memory.push({ at: performance.now(), heap: heapBytes / 1e6, rss: rssBytes / 1e6 })
  }

  event(e: ConductorEvent): void {
    switch (e.type) {
      case "accepted": {
        const r = this.requests.get(e.id)
        if (r !== undefined) r.accepted = true
        return
      }
      case "routed": {
        const r = this.requests.get(e.id)
        if (r !== undefined) r.chain = [e.decision.model, ...e.decision.fallbacks]
        return
      }
      case "completed":
      case "failed":
      case "cancelled": {
        const r = this.requests.get(e.id)
        if (r === undefined) return
        if (r.outcome !== undefined) {
          this.duplicateTerminals++
          return
        }
        r.outcome = e.type
        r.endedAt = this.now()
        r.latencyMs = r.endedAt - r.sentAt
        if (e.type === "failed") r.reason = e.reason
        if (e.type === "completed") {
          r.model = e.model
          r.tokens = e.usage.evalTokens
          r.promptTokens = e.usage.promptTokens
          r.backendMs = e.timings.backendMs
          r.ttftMs = e.timings.firstTokenMs
          r.queueMs = e.timings.queueMs
          const added = r.latencyMs - e.timings.queueMs - e.timings.loadMs - e.timings.backendMs
          r.overheadMs = Math.max(0, added) / this.timeScale
        }
        return
      }
      case "fallback":
        this.fallbacks++
        return
      case "model_loaded":
        this.loads++
        return
      case "model_evicted":
        this.evictions++
        return
      case "vram": {
        const now = this.now()
        const fraction = e.capacityBytes > 0 ? e.usedBytes / e.capacityBytes : 0
        this.vramArea += this.vramLast.fraction * (now - this.vramLast.at)
        this.vramLast = { at: now, fraction }
        this.vramPeak = Math.max(this.vramPeak, fraction)
        return
      }
      default:
        return
    }
  }

  /** The result over [start, end] (simulated ms); `overcommits` from the simulator's accounting. */
  result(startMs: number, endMs: number, overcommits: number, host?: HostFacts): PolicyResult {
    const all = [...this.requests.values()]
    const completed = all.filter((r) => r.outcome === "completed")
    const inWindow = completed.filter((r) => (r.endedAt ?? Number.POSITIVE_INFINITY) <= endMs)
    const seconds = Math.max(1e-9, (endMs - startMs) / 1000)
    // GPU memory is averaged over the whole run, the drain after the last request included (the
    // area runs up to the last event, which may come after `endMs`).
    const vramEnd = Math.max(endMs, this.vramLast.at)
    this.vramArea += this.vramLast.fraction * (vramEnd - this.vramLast.at)
    this.vramLast = { at: vramEnd, fraction: this.vramLast.fraction }
    const perModel: Record<
      string,
      { completed: number; tokens: number; promptTokens: number; latencyMs: Quantiles; serviceMs: number }
    > = {}
    for (const model of new Set(completed.map((r) => r.model as string))) {
      const mine = completed.filter((r) => r.model === model)
      const served = mine.flatMap((r) => (r.backendMs !== undefined ? [r.backendMs] : []))
      perModel[model] = {
        completed: mine.length,
        tokens: mine.reduce((s, r) => s + r.tokens, 0),
        promptTokens: mine.reduce((s, r) => s + r.promptTokens, 0),
        latencyMs: q(mine.map((r) => r.latencyMs as number)),
        serviceMs: served.length > 0 ? Math.round(served.reduce((s, x) => s + x, 0) / served.length) : 0,
      }
    }
    const overhead = summary(completed.flatMap((r) => (r.overheadMs !== undefined ? [r.overheadMs] : [])))
    const round = (n: number, digits = 3) =>
      Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : 0
    return {
      requests: all.length,
      completed: completed.length,
      failed: all.filter((r) => r.outcome === "failed").length,
      failedByReason: countBy(all.flatMap((r) => (r.outcome === "failed" ? [r.reason ?? "unknown"] : []))),
      cancelled: all.filter((r) => r.outcome === "cancelled").length,
      rejected: all.filter((r) => r.rejected).length,
      lost: all.filter((r) => r.accepted && r.outcome === undefined).length,
      duplicateTerminals: this.duplicateTerminals,
      throughputRps: round(inWindow.length / seconds),
      tokensPerSec: round(inWindow.reduce((s, r) => s + r.tokens, 0) / seconds, 1),
      latencyMs: q(completed.map((r) => r.latencyMs as number)),
      ttftMs: q(completed.flatMap((r) => (r.ttftMs !== undefined ? [r.ttftMs] : []))),
      queueWaitMs: q(completed.flatMap((r) => (r.queueMs !== undefined ? [r.queueMs] : []))),
      loads: this.loads,
      evictions: this.evictions,
      vramUtilization: {
        avg: round(this.vramArea / Math.max(1, vramEnd - startMs)),
        peak: round(this.vramPeak),
      },
      overcommits,
      fallbacks: this.fallbacks,
      overheadMs: { p50: round(overhead.p50), p99: round(overhead.p99) },
      healthyChainFailures: all.filter(
        (r) => r.outcome === "failed" && r.chain.some((m) => this.healthy.has(m)),
      ).length,
      perModel,
      ...(host !== undefined ? { host } : {}),
      ...groups(all, completed),
      durationSec: round(seconds, 1),
      ...(this.memory.length >= 4 ? { memory: memoryTrend(this.memory) } : {}),
    }
  }
}

/** The results by priority and by tenant, and the tenants that flooded the run. */
/** How many times each value occurs, in order of first occurrence. */
const countBy = (values: ReadonlyArray<string>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const v of values) out[v] = (out[v] ?? 0) + 1
  return out
}

const groups = (all: ReadonlyArray<Record_>, completed: ReadonlyArray<Record_>) => {
  const byPriority: Record<
    string,
    { completed: number; ttftMs: Quantiles; queueWaitMs: Quantiles; latencyMs: Quantiles }
  > = {}
  for (const priority of new Set(all.map((r) => r.priority))) {
    const mine = completed.filter((r) => r.priority === priority)
    byPriority[priority] = {
      completed: mine.length,
      ttftMs: q(mine.flatMap((r) => (r.ttftMs !== undefined ? [r.ttftMs] : []))),
      queueWaitMs: q(mine.flatMap((r) => (r.queueMs !== undefined ? [r.queueMs] : []))),
      latencyMs: q(mine.map((r) => r.latencyMs as number)),
    }
  }
  const byTenant: Record<
    string,
    { sent: number; completed: number; queueWaitMs: Quantiles; latencyMs: Quantiles }
  > = {}
  const tenants = new Set(all.map((r) => r.tenant))
  for (const tenant of tenants) {
    const mine = completed.filter((r) => r.tenant === tenant)
    byTenant[tenant] = {
      sent: all.filter((r) => r.tenant === tenant).length,
      completed: mine.length,
      queueWaitMs: q(mine.flatMap((r) => (r.queueMs !== undefined ? [r.queueMs] : []))),
      latencyMs: q(mine.map((r) => r.latencyMs as number)),
    }
  }
  const sent = (t: string) => byTenant[t]?.sent ?? 0
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b)
    const m = Math.floor(s.length / 2)
    return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
  }
  const noisyTenants =
    tenants.size < 2
      ? []
      : [...tenants].filter((t) => sent(t) > 2 * median([...tenants].filter((o) => o !== t).map(sent))).sort()
  return { byPriority, byTenant, noisyTenants }
}

/** First and last samples, and the least-squares slope per hour (second half, after warm-up). */
const memoryTrend = (samples: ReadonlyArray<{ at: number; heap: number; rss: number }>) => {
  const tail = samples.slice(Math.floor(samples.length / 2))
  const slope = (key: "heap" | "rss") => {
    const n = tail.length
    if (n < 2) return 0
    const mx = tail.reduce((s, p) => s + p.at, 0) / n
    const my = tail.reduce((s, p) => s + p[key], 0) / n
    let num = 0
    let den = 0
    for (const p of tail) {
      num += (p.at - mx) * (p[key] - my)
      den += (p.at - mx) ** 2
    }
    return den === 0 ? 0 : (num / den) * 3_600_000
  }
  const first = samples[0] as { heap: number; rss: number }
  const last = samples[samples.length - 1] as { heap: number; rss: number }
  const r1 = (n: number) => Math.round(n * 10) / 10
  // The lowest sample in each quarter of the run: the heap just after a collection, so growth
  // shows as a rising floor while the sawtooth between collections does not.
  const floors = (key: "heap" | "rss") =>
    [0, 1, 2, 3].map((q) => {
      const part = samples.slice(
        Math.floor((q * samples.length) / 4),
        Math.floor(((q + 1) * samples.length) / 4),
      )
      return r1(Math.min(...part.map((p) => p[key])))
    })
  return {
    heapFloorMb: floors("heap"),
    rssFloorMb: floors("rss"),
    heapStartMb: r1(first.heap),
    heapEndMb: r1(last.heap),
    rssStartMb: r1(first.rss),
    rssEndMb: r1(last.rss),
    heapSlopeMbPerHour: r1(slope("heap")),
    rssSlopeMbPerHour: r1(slope("rss")),
  }
}
