/**
 * `npm run bench -- gateway`: what an OpenAI-compatible gateway adds in front of one zero-latency
 * simulated Ollama host (`loadtest/profiles/zero-latency.yaml`, served by `conductor sim`), in one
 * run, interleaved: straight to the host's `/v1/chat/completions` (the floor), through a relay
 * that only forwards (relay.ts: what an extra hop alone costs), through the Portkey
 * gateway (`@portkey-ai/gateway`, installed into a cache under the OS temp dir), and through
 * `conductor serve --backend ollama` with `model: "auto"` (routed) and with a named model. Each
 * server is its own process; the load comes from this one. Per round and phase (1 and 10 clients,
 * non-streamed and streamed, then 64 clients for req/s at saturation) every path gets one block,
 * in an order rotated each round; the report quotes medians over rounds, added latency as the
 * path's percentile minus the direct path's in the same round, and CPU per request per process.
 * Flags: `gateway-options.ts`. Results and method: docs/benchmarks.md.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import { join } from "node:path"
import { parse, stringify } from "yaml"
import { mergeDeep } from "../../src/config/load.js"
import { bundledConfigDir, packageRoot } from "../../src/config/paths.js"
import {
  type ClientKind,
  makeCall,
  type Path,
  type PathName,
  roundRobin,
  runBlock,
  warmUp,
} from "./gateway-clients.js"
import { type GatewayBenchOptions, parseGatewayFlags } from "./gateway-options.js"
import {
  type Child,
  installPortkey,
  PORTKEY_HONO_NODE_SERVER,
  procCpuMs,
  runDir,
  startConductor,
  startPortkey,
  startRelay,
  startSim,
} from "./gateway-processes.js"
import {
  type CpuSpent,
  clientTable,
  latencyTable,
  PHASES,
  type Phase,
  type Sample,
  sampleOf,
  saturationTable,
  summarisePhase,
  verdict,
} from "./gateway-report.js"

/** The zero-latency host, from the sources (the build does not copy YAML). */
const profilePath = () => join(packageRoot(), "loadtest", "profiles", "zero-latency.yaml")

/**
 * Conductor's settings for the run: the bundled files with limits high enough that the gateway,
 * not a guard, is measured; the simulated GPU's memory (on the Ollama backend Conductor would
 * otherwise budget this machine's); the host's 256 slots for the model (Ollama does not report
 * them; a registry model's default is 1).
 */
export const conductorConfig = (dir: string): string => {
  const out = join(dir, "config")
  mkdirSync(out, { recursive: true })
  const bundled = bundledConfigDir()
  for (const f of readdirSync(bundled)) if (f.endsWith(".yaml")) copyFileSync(join(bundled, f), join(out, f))
  const file = join(out, "conductor.yaml")
  const base = (parse(readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>
  writeFileSync(
    file,
    stringify(
      mergeDeep(base, {
        requests: { maxInFlight: 100_000 },
        scheduler: { maxQueued: 100_000 },
        hardware: { vramGb: 1000, systemRamGb: 1000 },
      }),
    ),
  )
  const modelsFile = join(out, "models.yaml")
  const raw = parse(readFileSync(modelsFile, "utf8")) as { models: Array<Record<string, unknown>> }
  const models = raw.models.map((m) => (m.name === "llama3.1:8b" ? { ...m, parallel: 256, numCtx: 2048 } : m))
  writeFileSync(modelsFile, stringify({ ...raw, models }))
  return out
}

const statusCpuMs = async (url: string): Promise<number | undefined> => {
  try {
    const s = (await (await fetch(`${url}/v1/status`)).json()) as {
      process?: { cpuUserMs?: number; cpuSystemMs?: number }
    }
    const p = s.process
    return p?.cpuUserMs !== undefined && p.cpuSystemMs !== undefined ? p.cpuUserMs + p.cpuSystemMs : undefined
  } catch {
    return undefined
  }
}

interface Stack {
  readonly sim: Child
  readonly relay: Child
  readonly conductor: Child
  readonly portkey?: Child
  readonly portkeyVersion?: string
}

/**
 * The paths through the stack: direct, the relay, Portkey (when running), Conductor routed and
 * named.
 */
export const pathsOf = (stack: {
  sim: string
  relay: string
  conductor: string
  portkey?: string
}): Path[] => [
  { name: "direct", baseURL: `${stack.sim}/v1`, headers: {}, model: "llama3.1:8b" },
  { name: "relay", baseURL: `${stack.relay}/v1`, headers: {}, model: "llama3.1:8b" },
  ...(stack.portkey !== undefined
    ? [
        {
          name: "portkey" as const,
          baseURL: `${stack.portkey}/v1`,
          headers: { "x-portkey-provider": "ollama", "x-portkey-custom-host": stack.sim },
          model: "llama3.1:8b",
        },
      ]
    : []),
  { name: "conductor-auto", baseURL: `${stack.conductor}/v1`, headers: {}, model: "auto" },
  { name: "conductor-model", baseURL: `${stack.conductor}/v1`, headers: {}, model: "llama3.1:8b" },
]

const gatewayCpu = (stack: Stack, path: PathName): (() => Promise<number | undefined>) => {
  if (path === "portkey" && stack.portkey !== undefined) {
    const pid = stack.portkey.pid
    return async () => procCpuMs(pid)
  }
  if (path === "relay") {
    const pid = stack.relay.pid
    return async () => procCpuMs(pid)
  }
  if (path === "conductor-auto" || path === "conductor-model") return () => statusCpuMs(stack.conductor.url)
  return async () => undefined
}

const delta = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined ? b - a : undefined

/** One block with the CPU each process spent during it. */
const measure = async (
  stack: Stack,
  path: Path,
  client: ClientKind,
  phase: Phase,
  seconds: number,
  round: number,
): Promise<Sample> => {
  const { clients, stream } = PHASES[phase]
  const call = makeCall(client, path, stream)
  const gw = gatewayCpu(stack, path.name)
  const g0 = await gw()
  const s0 = procCpuMs(stack.sim.pid)
  const c0 = process.cpuUsage()
  const r = await runBlock(call, clients, seconds)
  const c1 = process.cpuUsage(c0)
  const s1 = procCpuMs(stack.sim.pid)
  const g1 = await gw()
  if (r.errors > 0) {
    process.stderr.write(`  ${path.name} ${phase}: ${r.errors} errors (first: ${r.firstError})\n`)
  }
  const cpu: CpuSpent = { client: (c1.user + c1.system) / 1000, sim: delta(s0, s1), gateway: delta(g0, g1) }
  return sampleOf({ phase, round, path: path.name, client }, r, cpu)
}

const rotate = <A>(xs: ReadonlyArray<A>, k: number): A[] => xs.map((_, i) => xs[(i + k) % xs.length] as A)

export interface GatewayRun {
  readonly samples: ReadonlyArray<Sample>
  readonly report: string
  readonly numbers: Record<string, number>
}

const machineLine = (start: number[], end: number[]) => {
  const c = cpus()
  const la = (x: number[]) => x.map((v) => v.toFixed(2)).join(" ")
  return `${c.length} × ${c[0]?.model ?? "unknown cpu"}, node ${process.version}; load average at start ${la(start)}, at end ${la(end)}`
}

export const runGatewayBench = async (options: GatewayBenchOptions): Promise<GatewayRun> => {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`))
  const loadStart = loadavg()
  const dir = runDir()
  const started: Child[] = []
  try {
    const portkeyInstall = options.portkey ? await installPortkey() : undefined
    const sim = await startSim(profilePath(), dir.path)
    started.push(sim)
    const relay = await startRelay(sim.url, dir.path)
    started.push(relay)
    const conductor = await startConductor(
      sim.url,
      conductorConfig(dir.path),
      dir.path,
      options.conductorCpuProf !== undefined
        ? ["--cpu-prof", `--cpu-prof-dir=${options.conductorCpuProf}`]
        : [],
    )
    started.push(conductor)
    const portkey =
      portkeyInstall !== undefined ? await startPortkey(portkeyInstall.entry, dir.path) : undefined
    if (portkey !== undefined) started.push(portkey)
    const stack: Stack = {
      sim,
      relay,
      conductor,
      ...(portkey !== undefined && portkeyInstall !== undefined
        ? { portkey, portkeyVersion: portkeyInstall.version }
        : {}),
    }
    log(
      `sim ${sim.url} (pid ${sim.pid}), relay ${relay.url} (pid ${relay.pid}), conductor ${conductor.url} (pid ${conductor.pid})${portkey !== undefined ? `, portkey ${portkeyInstall?.version} ${portkey.url} (pid ${portkey.pid})` : ""}`,
    )
    const paths = pathsOf({
      sim: sim.url,
      relay: relay.url,
      conductor: conductor.url,
      ...(portkey !== undefined ? { portkey: portkey.url } : {}),
    })
    const byName = (name: PathName) => paths.find((p) => p.name === name)
    const direct = byName("direct") as Path
    const conductorPaths = paths.filter((p) => p.name.startsWith("conductor-"))
    const other: ClientKind = options.client === "fetch" ? "sdk" : "fetch"
    const kinds: ClientKind[] = options.compareClients ? [options.client, other] : [options.client]

    // Warm-up: the model resident (Conductor first, so it loads it), connection pools open at
    // the saturation concurrency, every kind of request seen, then each server until its JIT has
    // settled (`warmUp`), with the CPU per request of each warm-up block logged.
    for (const path of [...conductorPaths, ...paths.filter((p) => !conductorPaths.includes(p))]) {
      for (const kind of kinds)
        await runBlock(
          makeCall(kind, path, false),
          PHASES.saturation.clients,
          Math.min(1, options.warmBlockSeconds),
        )
    }
    const servers: Array<{ name: string; paths: Path[]; cpu: () => Promise<number | undefined> }> = [
      { name: "conductor", paths: conductorPaths, cpu: gatewayCpu(stack, "conductor-model") },
      ...(portkey !== undefined
        ? [{ name: "portkey", paths: [byName("portkey") as Path], cpu: gatewayCpu(stack, "portkey") }]
        : []),
      { name: "relay", paths: [byName("relay") as Path], cpu: gatewayCpu(stack, "relay") },
      { name: "sim (direct)", paths: [direct], cpu: async () => procCpuMs(sim.pid) },
    ]
    const warmed: string[] = []
    for (const s of servers) {
      const calls = s.paths.flatMap((p) =>
        kinds.flatMap((k) => [makeCall(k, p, false), ...(options.stream ? [makeCall(k, p, true)] : [])]),
      )
      const w = await warmUp(roundRobin(calls), s.cpu, {
        minRequests: options.warmRequests,
        maxSeconds: options.warmMaxSeconds,
        blockSeconds: options.warmBlockSeconds,
      })
      const line = `warm-up ${s.name}: ${w.requests} requests in ${w.seconds.toFixed(0)} s; CPU/request per block ${w.cpuPerRequest.map((x) => x.toFixed(2)).join(" ")} ms`
      warmed.push(line)
      log(line)
    }

    const phases: Phase[] = [
      "c1",
      "c10",
      ...(options.stream ? (["stream-c1", "stream-c10"] as const) : []),
      "saturation",
    ]
    const samples: Sample[] = []
    for (let round = 0; round < options.rounds; round++) {
      for (const phase of phases) {
        const entries: Array<{ path: Path; client: ClientKind }> = paths.map((path) => ({
          path,
          client: options.client,
        }))
        if (options.compareClients && !PHASES[phase].stream) entries.push({ path: direct, client: other })
        for (const e of rotate(entries, round)) {
          const secs = phase === "saturation" ? options.saturationSeconds : options.seconds
          samples.push(await measure(stack, e.path, e.client, phase, secs, round))
        }
      }
      const c1 = summarisePhase(samples, "c1", options.client)
      log(
        `round ${round + 1}/${options.rounds}: 1-client p50 ${Object.entries(c1)
          .map(([k, v]) => `${k} ${v?.p50.toFixed(2)} ms`)
          .join(", ")}; load ${loadavg()[0]?.toFixed(2)}`,
      )
    }
    const loadEnd = loadavg()
    const cores = cpus().length
    const client = options.client
    const report = [
      `machine: ${machineLine(loadStart, loadEnd)}`,
      `client: ${client === "sdk" ? "openai SDK" : "fetch (keep-alive)"}; ${options.rounds} rounds of ${options.seconds} s blocks (${options.saturationSeconds} s at saturation); medians over rounds${stack.portkeyVersion !== undefined ? `; Portkey ${stack.portkeyVersion} (@hono/node-server ${PORTKEY_HONO_NODE_SERVER})` : ""}`,
      ...warmed,
      "",
      "non-streamed:",
      latencyTable(samples, client, ["c1", "c10"], false),
      ...(options.stream
        ? [
            "",
            "streamed, time to first token:",
            latencyTable(samples, client, ["stream-c1", "stream-c10"], true),
          ]
        : []),
      "",
      "saturation (64 clients):",
      saturationTable(samples, client, cores),
      ...(options.compareClients ? ["", "client cost (direct path):", clientTable(samples)] : []),
      "",
      ...verdict(samples, client),
    ].join("\n")
    const c1 = summarisePhase(samples, "c1", client)
    const c10 = summarisePhase(samples, "c10", client)
    const sat = summarisePhase(samples, "saturation", client)
    const numbers: Record<string, number> = {}
    for (const p of paths) {
      const k = p.name
      numbers[`${k} added p50 c1 ms`] = c1[k]?.addedP50 ?? Number.NaN
      numbers[`${k} added p99 c1 ms`] = c1[k]?.addedP99 ?? Number.NaN
      numbers[`${k} added p50 c10 ms`] = c10[k]?.addedP50 ?? Number.NaN
      numbers[`${k} added p99 c10 ms`] = c10[k]?.addedP99 ?? Number.NaN
      numbers[`${k} req/s`] = sat[k]?.reqPerSec ?? Number.NaN
      numbers[`${k} errors`] = [c1, c10, sat].reduce((a, s) => a + (s[k]?.errors ?? 0), 0)
    }
    return { samples, report, numbers }
  } finally {
    for (const c of started.reverse()) await c.stop()
    dir.rm()
  }
}

/** The entry `run.ts` calls: flags from the command line, the report on stdout. */
export const benchGateway = async (argv: ReadonlyArray<string>): Promise<Record<string, number>> => {
  const run = await runGatewayBench(parseGatewayFlags(argv))
  process.stdout.write(`\n${run.report}\n`)
  return run.numbers
}
