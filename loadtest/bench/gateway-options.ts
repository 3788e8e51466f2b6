/**
 * The gateway benchmark's options: how many rounds, how long each block, which client, whether
 * streams and Portkey are measured, how long the warm-up — and the `--key=value` flags that set
 * them from `npm run bench -- gateway …` (an unknown flag is an error, so a typo does not pass).
 */
import type { ClientKind } from "./gateway-clients.js"

export interface GatewayBenchOptions {
  readonly rounds: number
  /** Length of one latency block (1 or 10 clients), s. */
  readonly seconds: number
  /** Length of one saturation block (64 clients), s. */
  readonly saturationSeconds: number
  readonly client: ClientKind
  readonly stream: boolean
  readonly portkey: boolean
  /** Also run the direct path through the other client kind, to show what the client costs. */
  readonly compareClients: boolean
  /** Warm each server until it answered this many requests (or for `warmMaxSeconds`). */
  readonly warmRequests: number
  readonly warmMaxSeconds: number
  /** Length of one warm-up block, s. */
  readonly warmBlockSeconds: number
  /** Write a `--cpu-prof` profile of the Conductor server here. */
  readonly conductorCpuProf?: string
  /** Progress lines (stderr by default). */
  readonly log?: (line: string) => void
}

export const DEFAULT_OPTIONS: GatewayBenchOptions = {
  rounds: 5,
  seconds: 1.5,
  saturationSeconds: 3,
  client: "fetch",
  stream: true,
  portkey: true,
  compareClients: true,
  warmRequests: 15_000,
  warmMaxSeconds: 150,
  warmBlockSeconds: 3,
}

/** `--key=value` flags over the defaults. */
export const parseGatewayFlags = (argv: ReadonlyArray<string>): GatewayBenchOptions => {
  let o: GatewayBenchOptions = { ...DEFAULT_OPTIONS }
  for (const a of argv) {
    if (!a.startsWith("--")) continue
    const [k, v] = a.slice(2).split("=", 2) as [string, string | undefined]
    const n = () => {
      const x = Number(v)
      if (!Number.isFinite(x) || x <= 0) throw new Error(`--${k}: expected a number > 0, got '${v}'`)
      return x
    }
    if (k === "rounds") o = { ...o, rounds: Math.round(n()) }
    else if (k === "seconds") o = { ...o, seconds: n() }
    else if (k === "saturation-seconds") o = { ...o, saturationSeconds: n() }
    else if (k === "client") {
      if (v !== "fetch" && v !== "sdk") throw new Error(`--client: expected fetch or sdk, got '${v}'`)
      o = { ...o, client: v }
    } else if (k === "no-stream") o = { ...o, stream: false }
    else if (k === "no-portkey") o = { ...o, portkey: false }
    else if (k === "compare-clients") o = { ...o, compareClients: true }
    else if (k === "no-compare-clients") o = { ...o, compareClients: false }
    else if (k === "warm-requests") o = { ...o, warmRequests: Math.round(n()) }
    else if (k === "warm-max-seconds") o = { ...o, warmMaxSeconds: n() }
    else if (k === "conductor-cpu-prof" && v !== undefined) o = { ...o, conductorCpuProf: v }
    else throw new Error(`unknown flag --${k} (see loadtest/bench/gateway.bench.ts)`)
  }
  return o
}
