/**
 * The scheduling targets of issue 16, checked on a report (they inform; they never set the exit
 * code — a benchmark reports, and only lost requests and over-commits fail a run):
 * - every scenario: swap-aware ≥ 85% of the ceiling, at least the `ollama` baseline's throughput,
 *   a p99 no worse than its; no request lost and no over-commit in any run (sweep included);
 * - with interactive and batch work and a variant without priorities: interactive p95 time to
 *   first token ≤ 1/5 of the baseline's, and the batch tenants' completed work within 10% of what
 *   swap-aware completes for them without priorities;
 * - with noisy tenants and a variant without them: each polite tenant's p95 queue wait ≤ 1/3 of
 *   its own under the baseline and within 1.5× of its own with the flooders removed.
 * Each check carries the numbers it compared, so a miss shows its arithmetic.
 */
import type { PolicyResult } from "./recorder.js"
import type { Scenario } from "./scenario.js"
import type { SweepPoint } from "./sweep.js"

export interface TargetCheck {
  readonly target: string
  readonly ok: boolean
  readonly detail: string
}

export interface TargetInputs {
  readonly scenario: Scenario
  readonly policies: Readonly<Record<string, PolicyResult & { readonly fractionOfCeiling?: number }>>
  readonly variants: Readonly<Record<string, PolicyResult>>
  readonly sweep: ReadonlyArray<SweepPoint>
}

export const FRACTION_OF_CEILING = 0.85
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const r3 = (n: number) => Math.round(n * 1000) / 1000

export const checkTargets = ({ scenario, policies, variants, sweep }: TargetInputs): TargetCheck[] => {
  const ours = policies["swap-aware"]
  const base = policies.ollama
  const out: TargetCheck[] = []
  const lost = [
    ...Object.entries(policies),
    ...Object.entries(variants),
    ...sweep.flatMap((p) =>
      Object.entries(p.policies).map(([n, r]) => [`${n} at ${p.loadCostScale}×`, r] as const),
    ),
  ]
  const bad = lost.filter(([, r]) => r.lost > 0 || r.overcommits > 0).map(([n]) => n)
  out.push({
    target: "0 lost, 0 overcommits in every run",
    ok: bad.length === 0,
    detail: bad.length === 0 ? `${lost.length} runs` : `violated by ${bad.join(", ")}`,
  })
  if (ours === undefined || base === undefined) return out
  if (ours.fractionOfCeiling !== undefined) {
    out.push({
      target: `swap-aware ≥ ${FRACTION_OF_CEILING * 100}% of the ceiling`,
      ok: ours.fractionOfCeiling >= FRACTION_OF_CEILING,
      detail: `${Math.round(ours.fractionOfCeiling * 1000) / 10}%`,
    })
  }
  out.push({
    target: "swap-aware throughput ≥ ollama's",
    ok: ours.throughputRps >= base.throughputRps,
    detail: `${ours.throughputRps} vs ${base.throughputRps} req/s (${r3(ours.throughputRps / Math.max(1e-9, base.throughputRps))}×)`,
  })
  out.push({
    target: "swap-aware p99 latency ≤ ollama's",
    ok: ours.latencyMs.p99 <= base.latencyMs.p99,
    detail: `${s(ours.latencyMs.p99)} vs ${s(base.latencyMs.p99)}`,
  })
  out.push(...priorityTargets(scenario, ours, base, variants))
  out.push(...neighbourTargets(scenario, policies, variants))
  return out
}

/** Tenants whose every request is batch work (their population's priority, no entry overriding it). */
const batchTenants = (scenario: Scenario): string[] =>
  scenario.populations
    .filter((p) => p.priority === "batch" && p.mix.every((m) => (m.priority ?? "batch") === "batch"))
    .map((p) => p.tenant ?? "library")

const priorityTargets = (
  scenario: Scenario,
  ours: PolicyResult,
  base: PolicyResult,
  variants: Readonly<Record<string, PolicyResult>>,
): TargetCheck[] => {
  const mine = ours.byPriority.interactive
  const theirs = base.byPriority.interactive
  if (mine === undefined || theirs === undefined || ours.byPriority.batch === undefined) return []
  const out: TargetCheck[] = [
    {
      target: "interactive p95 TTFT ≤ 1/5 of ollama's",
      ok: mine.ttftMs.p95 * 5 <= theirs.ttftMs.p95,
      detail: `${s(mine.ttftMs.p95)} vs ${s(theirs.ttftMs.p95)} (${r3(mine.ttftMs.p95 / Math.max(1e-9, theirs.ttftMs.p95))}×)`,
    },
  ]
  const v = scenario.variants.find((x) => x.dropPriorities && x.dropPopulations.length === 0)
  const without = v !== undefined ? variants[v.name] : undefined
  const tenants = batchTenants(scenario)
  if (without !== undefined && tenants.length > 0) {
    const done = (r: PolicyResult) => tenants.reduce((n, t) => n + (r.byTenant[t]?.completed ?? 0), 0)
    const a = done(ours)
    const b = done(without)
    out.push({
      target: `batch throughput within 10% of swap-aware without priorities (${v?.name})`,
      ok: a >= 0.9 * b,
      detail: `${a} vs ${b} batch requests completed (${r3(a / Math.max(1, b))}×)`,
    })
  }
  return out
}

const neighbourTargets = (
  scenario: Scenario,
  policies: TargetInputs["policies"],
  variants: Readonly<Record<string, PolicyResult>>,
): TargetCheck[] => {
  const ours = policies["swap-aware"] as PolicyResult
  const base = policies.ollama as PolicyResult
  // A flooder held to its fair share sends less under Conductor (its clients wait): the noisy
  // tenants are those any run found noisy, the baseline's above all.
  const noisy = [...new Set(Object.values(policies).flatMap((r) => r.noisyTenants))].sort()
  if (noisy.length === 0) return []
  const noisyPopulations = scenario.populations
    .filter((p) => noisy.includes(p.tenant ?? "library"))
    .map((p) => p.name)
  const v = scenario.variants.find(
    (x) => !x.dropPriorities && noisyPopulations.every((n) => x.dropPopulations.includes(n)),
  )
  const without = v !== undefined ? variants[v.name] : undefined
  // Without a run lacking them, a tenant that merely sends more (a batch fan-out) is not judged.
  if (without === undefined) return []
  const out: TargetCheck[] = []
  for (const t of Object.keys(ours.byTenant)
    .filter((t) => !noisy.includes(t))
    .sort()) {
    const mine = ours.byTenant[t]?.queueWaitMs.p95 ?? 0
    const theirs = base.byTenant[t]?.queueWaitMs.p95
    if (theirs !== undefined) {
      out.push({
        target: `${t}: p95 queue wait ≤ 1/3 of ollama's`,
        ok: mine * 3 <= theirs,
        detail: `${s(mine)} vs ${s(theirs)}`,
      })
    }
    const alone = without.byTenant[t]?.queueWaitMs.p95
    if (alone !== undefined) {
      out.push({
        target: `${t}: p95 queue wait ≤ 1.5× its own without ${noisy.join(", ")} (${v?.name})`,
        ok: mine <= 1.5 * alone,
        detail: `${s(mine)} vs ${s(alone)}`,
      })
    }
  }
  return out
}

export const targetsMarkdown = (checks: ReadonlyArray<TargetCheck>): string[] =>
  checks.map((c) => `target ${c.ok ? "met" : "MISSED"} — ${c.target} (${c.detail})`)
