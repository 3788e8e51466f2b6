/**
 * The gateway benchmark's numbers, as pure functions of its blocks: each block (one path, one
 * phase, one round) is reduced to percentiles, req/s and CPU per request; across rounds the
 * report takes medians, and the added latency of a path is its percentile minus the direct
 * path's in the same round and phase (then the median over rounds) — so a noisy minute moves
 * both terms alike. Rendered as the Markdown tables docs/benchmarks.md quotes.
 */
import type { BlockResult, ClientKind, PathName } from "./gateway-clients.js"
import { percentile } from "./stats.js"

export type Phase = "c1" | "c10" | "stream-c1" | "stream-c10" | "saturation"

export const PHASES: Record<
  Phase,
  { readonly clients: number; readonly stream: boolean; readonly title: string }
> = {
  c1: { clients: 1, stream: false, title: "1 client" },
  c10: { clients: 10, stream: false, title: "10 clients" },
  "stream-c1": { clients: 1, stream: true, title: "1 client, streamed" },
  "stream-c10": { clients: 10, stream: true, title: "10 clients, streamed" },
  saturation: { clients: 64, stream: false, title: "64 clients" },
}

/** CPU time spent during a block, ms, per process (undefined: not measurable here). */
export interface CpuSpent {
  /** The benchmark process: the load generator and its client. */
  readonly client?: number | undefined
  /** The simulated host. */
  readonly sim?: number | undefined
  /** The gateway on the path (none on the direct path). */
  readonly gateway?: number | undefined
}

export interface Sample {
  readonly phase: Phase
  readonly round: number
  readonly path: PathName
  readonly client: ClientKind
  readonly n: number
  readonly errors: number
  readonly p50: number
  readonly p99: number
  readonly ttftP50?: number
  readonly ttftP99?: number
  readonly reqPerSec: number
  readonly cpu: CpuSpent
}

/** One block reduced to its numbers. */
export const sampleOf = (
  at: { phase: Phase; round: number; path: PathName; client: ClientKind },
  r: BlockResult,
  cpu: CpuSpent,
): Sample => {
  const lat = [...r.latencies].sort((a, b) => a - b)
  const ft = [...r.firstTokens].sort((a, b) => a - b)
  return {
    ...at,
    n: lat.length,
    errors: r.errors,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    ...(ft.length > 0 ? { ttftP50: percentile(ft, 50), ttftP99: percentile(ft, 99) } : {}),
    reqPerSec: r.elapsedMs > 0 ? (lat.length * 1000) / r.elapsedMs : 0,
    cpu,
  }
}

export const median = (xs: ReadonlyArray<number>): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return Number.NaN
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

type Metric = "p50" | "p99" | "ttftP50" | "ttftP99"

export interface PathSummary {
  readonly n: number
  readonly errors: number
  /** Medians over rounds. */
  readonly p50: number
  readonly p99: number
  readonly ttftP50: number
  readonly ttftP99: number
  /** Median over rounds of (this path − direct, same round), ms; 0 for direct. */
  readonly addedP50: number
  readonly addedP99: number
  readonly addedTtftP50: number
  readonly addedTtftP99: number
  readonly reqPerSec: number
  readonly reqPerSecByRound: ReadonlyArray<number>
  /** Total CPU over total requests, ms per request, per process. */
  readonly cpuPerRequest: {
    readonly client: number
    readonly sim: number
    readonly gateway: number
  }
}

const cpuPer = (samples: ReadonlyArray<Sample>, key: keyof CpuSpent): number => {
  const withIt = samples.filter((s) => s.cpu[key] !== undefined)
  const n = withIt.reduce((a, s) => a + s.n + s.errors, 0)
  if (withIt.length === 0 || n === 0) return Number.NaN
  return withIt.reduce((a, s) => a + (s.cpu[key] as number), 0) / n
}

/** Every path of one phase (and client kind), summarised over the rounds. */
export const summarisePhase = (
  samples: ReadonlyArray<Sample>,
  phase: Phase,
  client: ClientKind,
): Partial<Record<PathName, PathSummary>> => {
  const mine = samples.filter((s) => s.phase === phase && s.client === client)
  const direct = new Map(mine.filter((s) => s.path === "direct").map((s) => [s.round, s]))
  const added = (s: Sample, m: Metric): number => {
    const d = direct.get(s.round)
    const a = s[m]
    const b = d?.[m]
    return a !== undefined && b !== undefined ? a - b : Number.NaN
  }
  const out: Partial<Record<PathName, PathSummary>> = {}
  for (const path of [...new Set(mine.map((s) => s.path))]) {
    const ps = mine.filter((s) => s.path === path).sort((a, b) => a.round - b.round)
    const med = (m: Metric) => median(ps.map((s) => s[m] ?? Number.NaN))
    const medAdded = (m: Metric) => median(ps.map((s) => added(s, m)))
    out[path] = {
      n: ps.reduce((a, s) => a + s.n, 0),
      errors: ps.reduce((a, s) => a + s.errors, 0),
      p50: med("p50"),
      p99: med("p99"),
      ttftP50: med("ttftP50"),
      ttftP99: med("ttftP99"),
      addedP50: medAdded("p50"),
      addedP99: medAdded("p99"),
      addedTtftP50: medAdded("ttftP50"),
      addedTtftP99: medAdded("ttftP99"),
      reqPerSec: median(ps.map((s) => s.reqPerSec)),
      reqPerSecByRound: ps.map((s) => s.reqPerSec),
      cpuPerRequest: {
        client: cpuPer(ps, "client"),
        sim: cpuPer(ps, "sim"),
        gateway: cpuPer(ps, "gateway"),
      },
    }
  }
  return out
}

export const PATH_TITLES: Record<PathName, string> = {
  direct: "direct to the host's /v1 (floor)",
  relay: "relay (an extra hop, no work)",
  portkey: "Portkey",
  "conductor-auto": 'Conductor, `model: "auto"`',
  "conductor-model": "Conductor, `model: llama3.1:8b`",
}
const PATH_ORDER: ReadonlyArray<PathName> = [
  "direct",
  "relay",
  "portkey",
  "conductor-auto",
  "conductor-model",
]

const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)} ms` : "—")
const num = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : "—")
const ratio = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : "—"

/** The latency table of two phases (1 and 10 clients), end-to-end or first-token. */
export const latencyTable = (
  samples: ReadonlyArray<Sample>,
  client: ClientKind,
  phases: readonly [Phase, Phase],
  firstToken: boolean,
): string => {
  const [a, b] = phases.map((p) => summarisePhase(samples, p, client))
  const cells = (s: PathSummary | undefined) =>
    s === undefined
      ? ["—", "—", "—"]
      : firstToken
        ? [
            `${ms(s.ttftP50)} / ${ms(s.ttftP99)}`,
            `${ms(s.addedTtftP50)} / ${ms(s.addedTtftP99)}`,
            `${s.errors}`,
          ]
        : [`${ms(s.p50)} / ${ms(s.p99)}`, `${ms(s.addedP50)} / ${ms(s.addedP99)}`, `${s.errors}`]
  const what = firstToken ? "first token" : "latency"
  const head = `| path | ${what} p50 / p99, ${PHASES[phases[0]].title} | added p50 / p99 | errors | ${what} p50 / p99, ${PHASES[phases[1]].title} | added p50 / p99 | errors |`
  const rows = PATH_ORDER.filter((p) => a?.[p] !== undefined || b?.[p] !== undefined).map(
    (p) => `| ${PATH_TITLES[p]} | ${[...cells(a?.[p]), ...cells(b?.[p])].join(" | ")} |`,
  )
  return [head, "| --- | --- | --- | --- | --- | --- | --- |", ...rows].join("\n")
}

/** Finite or 0 (a process whose CPU could not be read adds nothing). */
const orZero = (x: number) => (Number.isFinite(x) ? x : 0)

/**
 * Req/s at saturation, CPU per request per process, the bound that CPU sets on `cores` (all of
 * them for this path's processes) and the cores the run actually got (req/s × CPU per request).
 */
export const saturationTable = (
  samples: ReadonlyArray<Sample>,
  client: ClientKind,
  cores: number,
): string => {
  const s = summarisePhase(samples, "saturation", client)
  const rows = PATH_ORDER.filter((p) => s[p] !== undefined).map((p) => {
    const x = s[p] as PathSummary
    const c = x.cpuPerRequest
    const total = orZero(c.client) + orZero(c.sim) + orZero(c.gateway)
    return `| ${PATH_TITLES[p]} | **${num(x.reqPerSec)}** | ${x.reqPerSecByRound.map((r) => num(r)).join(", ")} | ${ms(c.client)} | ${ms(c.sim)} | ${p === "direct" ? "—" : ms(c.gateway)} | ${ms(total)} | ${num((cores * 1000) / total)} | ${num((x.reqPerSec * total) / 1000, 2)} | ${x.errors} |`
  })
  return [
    `| path | req/s (median) | each round | CPU/request: client | sim | gateway | total | bound on ${cores} cores, req/s | cores used | errors |`,
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n")
}

/** Whether the target holds, path by path: less added latency than Portkey, at least its req/s. */
export const verdict = (samples: ReadonlyArray<Sample>, client: ClientKind): string[] => {
  const lines: string[] = []
  for (const phase of ["c1", "c10", "stream-c1", "stream-c10"] as const) {
    const s = summarisePhase(samples, phase, client)
    const pk = s.portkey
    if (pk === undefined) continue
    // Streamed phases compare the first token; the others the whole answer.
    const stream = PHASES[phase].stream
    const p50 = (x: PathSummary) => (stream ? x.addedTtftP50 : x.addedP50)
    const p99 = (x: PathSummary) => (stream ? x.addedTtftP99 : x.addedP99)
    for (const p of ["conductor-auto", "conductor-model"] as const) {
      const c = s[p]
      if (c === undefined) continue
      const ok50 = p50(c) < p50(pk)
      const ok99 = p99(c) < p99(pk)
      lines.push(
        `${PHASES[phase].title}, ${PATH_TITLES[p]}: added ${stream ? "first-token " : ""}p50 ${ms(p50(c))} vs Portkey ${ms(p50(pk))} (${ratio(p50(c), p50(pk))}) ${ok50 ? "met" : "NOT met"}; p99 ${ms(p99(c))} vs ${ms(p99(pk))} (${ratio(p99(c), p99(pk))}) ${ok99 ? "met" : "NOT met"}`,
      )
    }
  }
  // The floor: what the extra hop alone adds (the relay), and each gateway's latency above it.
  for (const phase of ["c1", "c10"] as const) {
    const s = summarisePhase(samples, phase, client)
    const floor = s.relay
    if (floor === undefined) continue
    const above = (["portkey", "conductor-auto", "conductor-model"] as const)
      .filter((p) => s[p] !== undefined)
      .map((p) => `${PATH_TITLES[p]} +${ms((s[p] as PathSummary).addedP50 - floor.addedP50)}`)
    lines.push(
      `${PHASES[phase].title}, the floor: an extra hop alone (the relay) adds p50 ${ms(floor.addedP50)}, p99 ${ms(floor.addedP99)}; p50 above it: ${above.join(", ")}`,
    )
  }
  const sat = summarisePhase(samples, "saturation", client)
  if (sat.portkey !== undefined) {
    for (const p of ["conductor-auto", "conductor-model"] as const) {
      const c = sat[p]
      if (c === undefined) continue
      lines.push(
        `saturation, ${PATH_TITLES[p]}: ${num(c.reqPerSec)} req/s vs Portkey ${num(sat.portkey.reqPerSec)} (${ratio(c.reqPerSec, sat.portkey.reqPerSec)}) ${c.reqPerSec >= sat.portkey.reqPerSec ? "met" : "NOT met"}`,
      )
    }
  }
  return lines
}

/** The direct path through each client kind: what the client itself costs. */
export const clientTable = (samples: ReadonlyArray<Sample>): string => {
  const rows: string[] = []
  for (const client of ["fetch", "sdk"] as const) {
    const c1 = summarisePhase(samples, "c1", client).direct
    const c10 = summarisePhase(samples, "c10", client).direct
    const sat = summarisePhase(samples, "saturation", client).direct
    if (c1 === undefined && c10 === undefined && sat === undefined) continue
    rows.push(
      `| ${client === "sdk" ? "`openai` SDK" : "fetch (keep-alive)"} | ${ms(c1?.p50 ?? Number.NaN)} / ${ms(c1?.p99 ?? Number.NaN)} | ${ms(c10?.p50 ?? Number.NaN)} / ${ms(c10?.p99 ?? Number.NaN)} | ${num(sat?.reqPerSec ?? Number.NaN)} | ${ms(sat?.cpuPerRequest.client ?? c10?.cpuPerRequest.client ?? Number.NaN)} |`,
    )
  }
  return [
    "| client, direct path | 1 client p50 / p99 | 10 clients p50 / p99 | req/s, 64 clients | client CPU/request |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n")
}
