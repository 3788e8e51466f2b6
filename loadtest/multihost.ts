/**
 * Several GPU hosts in a load test (`hosts: N` in a scenario): the per-host figures every run
 * reports (requests each host served, its loads, evictions, over-commits and peak VRAM, from the
 * simulated hosts' own accounting), and the N-host ceiling. For N identical hosts the ceiling's
 * covering LP (ceiling.ts) splits exactly: any time-sharing of co-resident sets across hosts sums
 * to Σ_S u_S ≤ N·T, and any such u splits evenly back onto the hosts, so the N-host VRAM ceiling
 * is N times one host's; it is then capped by the N-host unlimited-VRAM bound.
 */
import type { SimState } from "../src/backends/sim/engine.js"
import { type Ceiling, computeCeiling } from "./ceiling.js"
import type { HostFacts, PolicyResult } from "./recorder.js"
import { ceilingWork, type ModelRates } from "./report.js"

export interface HostFigures {
  readonly host: string
  readonly completed: number
  readonly failed: number
  readonly loads: number
  readonly evictions: number
  readonly overcommits: number
  readonly peakVramGb: number
}

export const hostFigures = (names: ReadonlyArray<string>, states: ReadonlyArray<SimState>): HostFigures[] =>
  states.map((s, i) => ({
    host: names[i] ?? `host-${i + 1}`,
    completed: s.requests.completed,
    failed: s.requests.failed,
    loads: s.loads,
    evictions: s.evictions,
    overcommits: s.overcommits,
    peakVramGb: Math.round((s.vram.peakBytes / 1e9) * 10) / 10,
  }))

/** The N-host ceiling from one host's facts and the bound run's work per model. */
export const multihostCeiling = (
  hosts: number,
  host: HostFacts | undefined,
  bound: PolicyResult | undefined,
  rates: Readonly<Record<string, ModelRates>>,
  /** Each host's slowdown per other generation running at once (the simulator's; 0: none). */
  streamSlowdown = 0,
): Ceiling | undefined => {
  if (host === undefined || bound === undefined || bound.completed === 0) return undefined
  const models = ceilingWork(host, bound, rates)
  const one = computeCeiling({
    models,
    budgetBytes: host.budgetBytes,
    maxLoaded: host.maxLoaded,
    streamSlowdown,
  })
  const vramRps = one.throughputRps * hosts
  const capped = bound.throughputRps < vramRps
  const round = (x: number) => Math.round(x * 1000) / 1000
  return {
    throughputRps: round(capped ? bound.throughputRps : vramRps),
    method:
      `${hosts} identical hosts: ${hosts} × one host's ${one.method}` +
      (capped
        ? `; capped by the ${hosts}-host unlimited-VRAM bound, ${round(bound.throughputRps)} req/s`
        : `; below the ${hosts}-host unlimited-VRAM bound, ${round(bound.throughputRps)} req/s`),
    schedule: one.schedule,
  }
}

/** The per-host table, one block per policy. */
export const hostsMarkdown = (perHost: Readonly<Record<string, ReadonlyArray<HostFigures>>>): string => {
  const lines = [
    "",
    "### Per host",
    "",
    "| policy | host | completed | failed | loads | evictions | overcommits | peak VRAM |",
    "|---|---|---|---|---|---|---|---|",
  ]
  for (const [policy, hosts] of Object.entries(perHost)) {
    for (const h of hosts) {
      lines.push(
        `| ${policy} | ${h.host} | ${h.completed} | ${h.failed} | ${h.loads} | ${h.evictions} | ${h.overcommits} | ${h.peakVramGb} GB |`,
      )
    }
  }
  return `${lines.join("\n")}\n`
}
