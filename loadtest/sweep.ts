/**
 * The load-cost sweep a scheduling report gives: every policy rerun on the same trace with the
 * simulated host's calibrated load times multiplied (by default 0.5×, 1×, 2×; 1× is the main
 * run), so a reader sees whether the comparison holds when loads are cheaper or dearer than the
 * calibration says (docs/simulator.md, "Load time"). The ceiling does not move with load cost —
 * it assumes free swaps — so every point is read against the same one.
 */
import type { PolicyResult } from "./recorder.js"

export interface SweepPoint {
  /** Multiple of the scenario's `loadCostScale` the point ran at. */
  readonly loadCostScale: number
  readonly policies: Readonly<
    Record<
      string,
      {
        readonly throughputRps: number
        readonly p99LatencyMs: number
        readonly loads: number
        readonly lost: number
        readonly overcommits: number
        readonly fractionOfCeiling?: number
      }
    >
  >
  /** swap-aware's throughput over ollama's, and its p99 over ollama's (when both ran). */
  readonly throughputRatio?: number
  readonly p99Ratio?: number
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits

/** One point of the sweep from the runs at that load cost. */
export const sweepPoint = (
  loadCostScale: number,
  runs: Readonly<Record<string, PolicyResult>>,
  ceilingRps: number | undefined,
): SweepPoint => {
  const ours = runs["swap-aware"]
  const base = runs.ollama
  return {
    loadCostScale,
    policies: Object.fromEntries(
      Object.entries(runs).map(([name, r]) => [
        name,
        {
          throughputRps: r.throughputRps,
          p99LatencyMs: r.latencyMs.p99,
          loads: r.loads,
          lost: r.lost,
          overcommits: r.overcommits,
          ...(ceilingRps !== undefined && ceilingRps > 0
            ? { fractionOfCeiling: round(r.throughputRps / ceilingRps) }
            : {}),
        },
      ]),
    ),
    ...(ours !== undefined && base !== undefined && base.throughputRps > 0 && base.latencyMs.p99 > 0
      ? {
          throughputRatio: round(ours.throughputRps / base.throughputRps),
          p99Ratio: round(ours.latencyMs.p99 / base.latencyMs.p99),
        }
      : {}),
  }
}

/** The sweep as Markdown lines: one row per load cost. */
export const sweepMarkdown = (sweep: ReadonlyArray<SweepPoint>): string[] => {
  if (sweep.length === 0) return []
  const names = [...new Set(sweep.flatMap((p) => Object.keys(p.policies)))]
  const header = [
    "load cost",
    ...names.flatMap((n) => [`${n} req/s`, `${n} of ceiling`, `${n} p99`, `${n} loads`]),
    "throughput ratio",
    "p99 ratio",
  ]
  const cell = (p: SweepPoint, n: string) => {
    const r = p.policies[n]
    if (r === undefined) return ["—", "—", "—", "—"]
    return [
      r.throughputRps.toFixed(3),
      r.fractionOfCeiling !== undefined ? `${Math.round(r.fractionOfCeiling * 100)}%` : "—",
      `${(r.p99LatencyMs / 1000).toFixed(1)} s`,
      String(r.loads),
    ]
  }
  return [
    "",
    "load-cost sweep (the calibrated load times × the factor; same trace, same ceiling):",
    "",
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...sweep.map(
      (p) =>
        `| ${[
          `${p.loadCostScale}×`,
          ...names.flatMap((n) => cell(p, n)),
          p.throughputRatio !== undefined ? `${p.throughputRatio}×` : "—",
          p.p99Ratio !== undefined ? `${p.p99Ratio}×` : "—",
        ].join(" | ")} |`,
    ),
  ]
}
