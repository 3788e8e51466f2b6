/**
 * A load run's report: the JSON written with `--out` (one result per policy, the unlimited-VRAM
 * bound, the machine), the Markdown table printed on stdout, the comparison of the policies and
 * the checks that decide the exit code (nothing lost, never over-committed, a chaos run's host
 * marked down and back with nothing failed while a host was up).
 */
import { cpus, totalmem } from "node:os"
import { type Ceiling, computeCeiling } from "./ceiling.js"
import { chaosMarkdown, chaosProblems } from "./chaos.js"
import { type LearningReport, learningMarkdown } from "./learning/report.js"
import type { HostFacts, PolicyResult } from "./recorder.js"
import type { Scenario } from "./scenario.js"
import { type SweepPoint, sweepMarkdown } from "./sweep.js"
import { type TargetCheck, targetsMarkdown } from "./targets.js"

export interface Report {
  readonly scenario: string
  readonly description: string
  readonly durationSec: number
  readonly timeScale: number
  readonly target: string
  /** Each policy's result, with its throughput as a fraction of the ceiling. */
  readonly policies: Readonly<Record<string, PolicyResult & { readonly fractionOfCeiling?: number }>>
  /** Conductor on the trace changed as the scenario's `variants` say (no priorities, no flooder). */
  readonly variants?: Readonly<Record<string, PolicyResult>>
  /** The same trace with every model resident (unlimited VRAM): the throughput ceiling. */
  readonly bound:
    | (PolicyResult & { readonly policy: string })
    | { readonly throughputRps: null; readonly why: string }
  /** What no scheduler could exceed on this host for this trace (see ceiling.ts). */
  readonly ceiling?: Ceiling
  readonly comparison?: Comparison
  /** What the `ollama` baseline ran: the simulated Ollama release and its context for every request. */
  readonly baseline?: { readonly ollama: string; readonly contextLength: number | "auto" }
  /** Every policy again at other load costs (sweep.ts). */
  readonly loadCostSweep?: ReadonlyArray<SweepPoint>
  /** Issue 16's scheduling targets, checked (targets.ts). */
  readonly targets?: ReadonlyArray<TargetCheck>
  readonly slo: ReadonlyArray<SloCheck>
  /** A learning scenario's regret and drift recovery (loadtest/learning/report.ts). */
  readonly learning?: LearningReport
  readonly machine: {
    readonly cpus: number
    readonly cpuModel: string
    readonly memoryGb: number
    readonly node: string
  }
  readonly at: string
}

export interface Comparison {
  readonly policy: string
  readonly baseline: string
  /** Throughput of `policy` over `baseline`'s. */
  readonly throughputRatio: number
  readonly p99Ratio: number
  readonly loadsRatio: number
  /** Throughput of `policy` as a fraction of the bound's. */
  readonly boundFraction: number | null
}

export interface SloCheck {
  readonly policy: string
  readonly slo: string
  readonly ok: boolean
  readonly detail: string
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits

export const machine = () => ({
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model.trim() ?? "unknown",
  memoryGb: round(totalmem() / 2 ** 30, 1),
  node: process.version,
})

/** A simulated model's speeds (its profile entry). */
export interface ModelRates {
  readonly tokensPerSec: number
  readonly promptTokensPerSec: number
}

/**
 * The ceiling for the host the policies ran on and the trace's work: each model's share of the
 * bound run's completed requests, and their mean service time on one slot without contention
 * (prompt and answer tokens at the model's speeds — the fastest any schedule can serve them, so
 * the result stays an upper bound). Undefined without a bound run and the host's facts.
 */
export const ceilingOf = (
  policies: Readonly<Record<string, PolicyResult>>,
  bound: PolicyResult | undefined,
  rates: Readonly<Record<string, ModelRates>>,
  /** The host's slowdown per other generation running at once (the simulator's; 0: none). */
  streamSlowdown = 0,
): Ceiling | undefined => {
  // The largest budget any run saw is the host's (the baseline plans with all of its VRAM).
  const host = Object.values(policies)
    .flatMap((r) => (r.host !== undefined ? [r.host] : []))
    .sort((a, b) => b.budgetBytes - a.budgetBytes)[0]
  if (host === undefined || bound === undefined || bound.completed === 0) return undefined
  const models = ceilingWork(host, bound, rates)
  return computeCeiling({
    models,
    budgetBytes: host.budgetBytes,
    maxLoaded: host.maxLoaded,
    boundRps: bound.throughputRps,
    streamSlowdown,
  })
}

/**
 * The work the ceiling packs, per model: its share of the bound run's completed requests, its
 * footprint and slots on the host, and its mean service time on one slot without contention.
 */
export const ceilingWork = (
  host: HostFacts,
  bound: PolicyResult,
  rates: Readonly<Record<string, ModelRates>>,
) =>
  Object.entries(bound.perModel).map(([name, m]) => {
    const r = rates[name]
    const serviceMs =
      r === undefined || m.completed === 0
        ? m.serviceMs
        : ((m.promptTokens / r.promptTokensPerSec + m.tokens / r.tokensPerSec) / m.completed) * 1000
    return {
      name,
      bytes: host.models[name]?.bytes ?? 0,
      slots: host.models[name]?.slots ?? 1,
      share: m.completed / bound.completed,
      serviceMs,
    }
  })

/** Each policy's throughput as a fraction of the ceiling. */
export const withCeilingFractions = (
  policies: Readonly<Record<string, PolicyResult>>,
  ceiling: Ceiling | undefined,
): Record<string, PolicyResult & { fractionOfCeiling?: number }> =>
  Object.fromEntries(
    Object.entries(policies).map(([name, r]) => [
      name,
      ceiling !== undefined && ceiling.throughputRps > 0
        ? { ...r, fractionOfCeiling: round(r.throughputRps / ceiling.throughputRps) }
        : r,
    ]),
  )

/** `swap-aware` against `ollama` when both ran. */
export const compare = (
  policies: Readonly<Record<string, PolicyResult>>,
  boundRps: number | null,
): Comparison | undefined => {
  const ours = policies["swap-aware"]
  const base = policies.ollama
  if (ours === undefined || base === undefined) return undefined
  const ratio = (a: number, b: number) => (b > 0 ? round(a / b) : Number.NaN)
  return {
    policy: "swap-aware",
    baseline: "ollama",
    throughputRatio: ratio(ours.throughputRps, base.throughputRps),
    p99Ratio: ratio(ours.latencyMs.p99, base.latencyMs.p99),
    loadsRatio: ratio(ours.loads, base.loads),
    boundFraction: boundRps !== null && boundRps > 0 ? round(ours.throughputRps / boundRps) : null,
  }
}

/** The scenario's SLOs, checked for every policy. */
export const checkSlos = (
  scenario: Scenario,
  policies: Readonly<Record<string, PolicyResult>>,
): SloCheck[] => {
  const checks: SloCheck[] = []
  for (const [policy, r] of Object.entries(policies)) {
    const p99 = scenario.slo.p99LatencyMs
    if (p99 !== undefined) {
      checks.push({
        policy,
        slo: `p99 latency ≤ ${p99} ms`,
        ok: r.latencyMs.p99 <= p99,
        detail: `p99 ${r.latencyMs.p99} ms`,
      })
    }
    if (scenario.slo.healthyChainsComplete === true) {
      checks.push({
        policy,
        slo: "every request with a healthy model in its chain completes",
        ok: r.healthyChainFailures === 0,
        detail: `${r.healthyChainFailures} such requests failed`,
      })
    }
  }
  return checks
}

/** Why the run must exit 1: requests lost, or the simulator over-committed (any run). */
export const violations = (report: Report): string[] => {
  const out: string[] = []
  const runs: Array<[string, PolicyResult]> = Object.entries(report.policies)
  if ("requests" in report.bound) runs.push([`bound (${report.bound.policy})`, report.bound])
  for (const [name, r] of runs) {
    if (r.lost > 0) out.push(`${name}: ${r.lost} accepted request(s) never ended`)
    if (r.duplicateTerminals > 0) out.push(`${name}: ${r.duplicateTerminals} request(s) ended more than once`)
    if (r.overcommits > 0) out.push(`${name}: the simulator held more than its VRAM ${r.overcommits} time(s)`)
    if (r.chaos !== undefined) out.push(...chaosProblems(name, r.chaos))
  }
  return out
}

const ms = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`)
const pct = (n: number) => `${Math.round(n * 100)}%`

/** The Markdown table (one row per run) and the comparison under it. */
export const markdown = (report: Report): string => {
  const header = [
    "run",
    "requests",
    "completed",
    "failed",
    "cancelled",
    "lost",
    "req/s",
    "tok/s",
    "latency p50",
    "p95",
    "p99",
    "TTFT p50",
    "queue p99",
    "loads",
    "evictions",
    "VRAM avg/peak",
    "overcommits",
    "fallbacks",
    "overhead p50/p99",
  ]
  const row = (name: string, r: PolicyResult) => [
    name,
    r.requests,
    r.completed,
    r.failed,
    r.cancelled,
    r.lost,
    r.throughputRps.toFixed(3),
    r.tokensPerSec.toFixed(1),
    ms(r.latencyMs.p50),
    ms(r.latencyMs.p95),
    ms(r.latencyMs.p99),
    ms(r.ttftMs.p50),
    ms(r.queueWaitMs.p99),
    r.loads,
    r.evictions,
    `${pct(r.vramUtilization.avg)} / ${pct(r.vramUtilization.peak)}`,
    r.overcommits,
    r.fallbacks,
    `${r.overheadMs.p50.toFixed(2)} / ${r.overheadMs.p99.toFixed(2)} ms`,
  ]
  const rows = Object.entries(report.policies).map(([name, r]) => row(name, r))
  if ("requests" in report.bound) rows.push(row("bound (unlimited VRAM)", report.bound))
  const lines = [
    `## ${report.scenario}: ${report.durationSec} simulated s at ${report.timeScale}× (${report.target})`,
    "",
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
  ]
  for (const [name, r] of Object.entries(report.policies).concat(
    "requests" in report.bound ? [["bound", report.bound]] : [],
  )) {
    const reasons = Object.entries(r.failedByReason)
    if (reasons.length > 0)
      lines.push(`failed, ${name}: ${reasons.map(([reason, n]) => `${reason} ${n}`).join(", ")}`)
  }
  const c = report.comparison
  if (c !== undefined) {
    lines.push(
      `${c.policy} vs ${c.baseline}: ${c.throughputRatio}× throughput, p99 latency ${c.p99Ratio}×, loads ${c.loadsRatio}×` +
        (c.boundFraction !== null ? `; ${pct(c.boundFraction)} of the bound's throughput` : ""),
    )
  }
  if (!("requests" in report.bound)) lines.push(`bound: not measured (${report.bound.why})`)
  if (report.ceiling !== undefined) {
    const fractions = Object.entries(report.policies)
      .filter(([, r]) => r.fractionOfCeiling !== undefined)
      .map(([name, r]) => `${name} ${pct(r.fractionOfCeiling as number)}`)
    lines.push(
      `ceiling: ${report.ceiling.throughputRps.toFixed(3)} req/s — ${report.ceiling.method}` +
        (fractions.length > 0 ? `; of it: ${fractions.join(", ")}` : ""),
    )
  }
  for (const [name, r] of Object.entries(report.policies)) {
    if (r.chaos !== undefined) lines.push(chaosMarkdown(name, r.chaos))
    if (r.serverCpuMsPerRequest !== undefined)
      lines.push(`server CPU, ${name}: ${r.serverCpuMsPerRequest.toFixed(3)} ms per request`)
    const m = r.memory
    if (m === undefined) continue
    lines.push(
      `memory, ${name}: heap ${m.heapStartMb} → ${m.heapEndMb} MB, lowest per quarter ${m.heapFloorMb.join(" / ")} MB ` +
        `(second-half slope ${m.heapSlopeMbPerHour} MB/h); RSS ${m.rssStartMb} → ${m.rssEndMb} MB, lowest per quarter ` +
        `${m.rssFloorMb.join(" / ")} MB (${m.rssSlopeMbPerHour} MB/h)`,
    )
  }
  if (report.learning !== undefined) lines.push(...learningMarkdown(report.learning), "")
  if (report.baseline !== undefined)
    lines.push(
      `ollama baseline: the clients straight to the simulated Ollama ${report.baseline.ollama}, no Conductor, ` +
        `OLLAMA_CONTEXT_LENGTH ${report.baseline.contextLength === "auto" ? "unset (VRAM-based default)" : report.baseline.contextLength}`,
    )
  for (const s of report.slo)
    lines.push(`SLO ${s.ok ? "met" : "MISSED"} — ${s.policy}: ${s.slo} (${s.detail})`)
  lines.push(...targetsMarkdown(report.targets ?? []), ...sweepMarkdown(report.loadCostSweep ?? []))
  return `${lines.join("\n")}\n`
}
