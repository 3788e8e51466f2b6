/**
 * One policy's run over real WebSockets: the scenario's trace is sent to a Conductor server —
 * `conductor serve` on the simulator, started here as a child process (the scenario's profile,
 * faults, time scale and `conductor:` settings), or a server someone else started (`target`) —
 * and every message the server sends back for a request is recorded. Closed loop: one connection
 * per client; open loop: a pool of connections used in turn. One more connection subscribes to
 * the `models` and `vram` topics (loads, evictions, GPU memory). Simulated time on this side is
 * real time × the scenario's time scale, as on the server. Overcommits and memory samples come
 * from the server's `/v1/status`.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import { fileURLToPath } from "node:url"
import WebSocket from "ws"
import { parse, stringify } from "yaml"
import type { ConductorRequest } from "../src/conductor.js"
import type { ConductorEvent } from "../src/domain/events.js"
import { TERMINAL_TYPES } from "../src/domain/events.js"
import { ScaledClock } from "../src/time/clock.js"
import { drive } from "./drive.js"
import { type PolicyResult, Recorder } from "./recorder.js"
import { configDir, hostFacts, profileFile, type RunOptions, reportProgress } from "./run-local.js"
import { type Scenario, windowEndMs } from "./scenario.js"

export interface WsRunOptions extends RunOptions {
  /** A running server's WebSocket URL (`ws://host:port/ws`); without it one is started here. */
  readonly target?: string
  /** Extra `node` flags for the server started here (e.g. `--cpu-prof`). */
  readonly serverNodeArgs?: ReadonlyArray<string>
}

/** Most connections an open-loop run spreads its arrivals over. */
const POOL_MAX = 200
/** How long the server started here has to print its banner, and to exit after SIGTERM, ms. */
const START_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 45_000

/** Server limits high enough that the load, not the per-connection guards, is measured. */
const SERVER_LIMITS = {
  server: {
    maxInFlightPerConnection: 100_000,
    maxConnectionsPerClient: 100_000,
    messagesPerSecond: 1_000_000,
    messageBurst: 1_000_000,
  },
}

interface Status {
  readonly models?: ReadonlyArray<{
    readonly name: string
    readonly available: boolean
    readonly bytes: number
    readonly slots: number
  }>
  readonly vram?: { readonly budget: number }
  readonly maxLoadedModels?: number
  readonly simulator?: { readonly overcommits: number }
  readonly process?: {
    readonly heapUsedBytes: number
    readonly rssBytes: number
    readonly cpuUserMs?: number
    readonly cpuSystemMs?: number
  }
}

const cpuMsOf = (s: Status | undefined): number | undefined =>
  s?.process?.cpuUserMs !== undefined && s.process.cpuSystemMs !== undefined
    ? s.process.cpuUserMs + s.process.cpuSystemMs
    : undefined

/** The scenario's profile with faults (and room for every model in bound runs), seeded as the scenario says. */
const seededProfile = (scenario: Scenario, unlimitedVram: boolean): string => {
  const file = profileFile(scenario, { unlimitedVram, withFaults: true })
  const raw = parse(readFileSync(file, "utf8")) as Record<string, unknown>
  writeFileSync(file, stringify({ ...raw, seed: scenario.seed }))
  return file
}

/** `node …/cli/main.js` from the build this file is part of (or the sources, under tsx). */
const serverCommand = (): string[] => {
  const built = fileURLToPath(new URL("../src/cli/main.js", import.meta.url))
  if (existsSync(built)) return [built]
  return ["--import", "tsx", fileURLToPath(new URL("../src/cli/main.ts", import.meta.url))]
}

interface Server {
  readonly url: string
  stop(): Promise<void>
}

const startServer = async (scenario: Scenario, options: WsRunOptions): Promise<Server> => {
  const config = configDir(scenario, SERVER_LIMITS)
  const profile = seededProfile(scenario, options.unlimitedVram === true)
  const args = [
    ...(options.serverNodeArgs ?? []),
    ...serverCommand(),
    "serve",
    "--port",
    "0",
    "--host",
    "127.0.0.1",
    "--backend",
    "sim",
    "--sim-profile",
    profile,
    "--time-scale",
    String(scenario.timeScale),
    // Conductor has one scheduling policy (swap-aware); the `ollama` baseline never runs here.
    "--config",
    config,
  ]
  // Like the in-process runner, no CONDUCTOR_* variable from this shell changes the run.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CONDUCTOR_")))
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] })
  // The server logs a line per request on stderr: read it all, keep the end for error messages.
  let tail = ""
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-4000)
  }
  child.stderr?.on("data", keep)
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(
        new Error(`conductor serve printed no banner within ${START_TIMEOUT_MS / 1000} s:\n${out}${tail}`),
      )
    }, START_TIMEOUT_MS)
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8")
      const m = /WebSocket (ws:\/\/\S+\/ws)/.exec(out)
      if (m !== null) {
        clearTimeout(timer)
        resolve(m[1] as string)
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`conductor serve exited (${code}) before listening:\n${out}${tail}`))
    })
  })
  return {
    url,
    stop: async () => {
      await stopChild(child, exited, () => tail)
      rmSync(config, { recursive: true, force: true })
      rmSync(dirname(profile), { recursive: true, force: true })
    },
  }
}

const stopChild = async (
  child: ChildProcess,
  exited: Promise<number | null>,
  tail: () => string,
): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill("SIGTERM")
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS)
  const code = await exited
  clearTimeout(timer)
  if (code !== 0 && code !== null) process.stderr.write(`conductor serve exited with ${code}:\n${tail()}\n`)
}

const httpUrl = (wsUrl: string, path: string): string => {
  const u = new URL(wsUrl)
  u.protocol = u.protocol === "wss:" ? "https:" : "http:"
  u.pathname = path
  return u.toString()
}

const authHeaders = (): Record<string, string> => {
  const token = process.env.CONDUCTOR_TOKEN
  return token !== undefined && token !== "" ? { authorization: `Bearer ${token}` } : {}
}

const status = async (wsUrl: string, headers: Record<string, string>): Promise<Status | undefined> => {
  try {
    const res = await fetch(httpUrl(wsUrl, "/v1/status"), { headers })
    return res.ok ? ((await res.json()) as Status) : undefined
  } catch {
    return undefined
  }
}

interface Pending {
  readonly resolve: () => void
  accepted: boolean
}

/**
 * One WebSocket: sends queries, feeds every message about them to the recorder, and resolves a
 * request's `send` at its terminal event or its refusal.
 */
class Connection {
  private readonly pending = new Map<string, Pending>()
  private closed = false

  private constructor(
    private readonly ws: WebSocket,
    private readonly recorder: Recorder,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {
    ws.on("message", (data: WebSocket.RawData) => this.receive(data))
    ws.on("close", () => this.drop())
    ws.on("error", () => this.drop())
  }

  static open(
    url: string,
    headers: Record<string, string>,
    recorder: Recorder,
    sleep: (ms: number) => Promise<void>,
  ): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, perMessageDeflate: false })
      const conn = new Connection(ws, recorder, sleep)
      ws.once("open", () => resolve(conn))
      ws.once("error", reject)
    })
  }

  /** Subscribe to system-event topics; resolves when the server confirms. */
  subscribe(topics: ReadonlyArray<string>): Promise<void> {
    return new Promise((resolve) => {
      const onMessage = (data: WebSocket.RawData) => {
        if ((JSON.parse(data.toString()) as { type: string }).type === "subscribed") {
          this.ws.off("message", onMessage)
          resolve()
        }
      }
      this.ws.on("message", onMessage)
      this.ws.send(JSON.stringify({ type: "subscribe", topics }))
    })
  }

  send(id: string, request: ConductorRequest): Promise<void> {
    if (this.closed) {
      this.recorder.rejected(id)
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, accepted: false })
      this.ws.send(JSON.stringify({ type: "query", id, ...request }))
    })
  }

  close(): void {
    this.ws.close(1000, "load run over")
  }

  private receive(data: WebSocket.RawData): void {
    const m = JSON.parse(data.toString()) as
      | ConductorEvent
      | { type: "error"; id?: string; retryAfterMs?: number }
      | { type: "hello" | "subscribed" }
    if (m.type === "error") {
      const e = m as { id?: string; retryAfterMs?: number }
      if (e.id === undefined) return
      const p = this.pending.get(e.id)
      if (p === undefined) return
      // Refused (queue full, limits): like the in-process runner, the client backs off.
      this.pending.delete(e.id)
      this.recorder.rejected(e.id)
      if (e.retryAfterMs !== undefined) void this.sleep(e.retryAfterMs).then(p.resolve)
      else p.resolve()
      return
    }
    if (m.type === "hello" || m.type === "subscribed") return
    const event = m as ConductorEvent
    this.recorder.event(event)
    if (!("id" in event)) return
    const p = this.pending.get(event.id)
    if (p === undefined) return
    if (event.type === "accepted") p.accepted = true
    if (TERMINAL_TYPES.has(event.type)) {
      this.pending.delete(event.id)
      p.resolve()
    }
  }

  /** The connection is gone: its requests end here (accepted ones count as lost). */
  private drop(): void {
    if (this.closed) return
    this.closed = true
    for (const [id, p] of this.pending) {
      if (!p.accepted) this.recorder.rejected(id)
      p.resolve()
    }
    this.pending.clear()
  }
}

export const runWs = async (scenario: Scenario, options: WsRunOptions): Promise<PolicyResult> => {
  const server = options.target === undefined ? await startServer(scenario, options) : undefined
  const url = options.target ?? (server as Server).url
  const headers = authHeaders()
  const connections: Connection[] = []
  let memory: ReturnType<typeof setInterval> | undefined
  let progress: ReturnType<typeof setInterval> | undefined
  try {
    const before = await status(url, headers)
    const healthy = new Set(
      (before?.models ?? [])
        .filter((m) => m.available && scenario.faults[m.name] === undefined)
        .map((m) => m.name),
    )
    let clock = new ScaledClock(scenario.timeScale)
    const recorder = new Recorder(() => clock.now(), scenario.timeScale, healthy)
    const sleep = (ms: number) => clock.sleep(ms)
    // One connection per closed-loop client; a pool for open-loop arrivals.
    let count = 0
    for (const p of scenario.populations) {
      count +=
        p.clients !== undefined
          ? p.clients.count
          : Math.min(
              POOL_MAX,
              Math.max(1, Math.ceil(p.arrivals?.rate ?? 1) + (p.arrivals?.bursts?.count ?? 0)),
            )
    }
    const observer = await Connection.open(url, headers, recorder, sleep)
    connections.push(observer)
    await observer.subscribe(["models", "vram"])
    for (let i = 0; i < count; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, count - i) }, () => Connection.open(url, headers, recorder, sleep)),
      )
      connections.push(...batch)
    }
    const pool = connections.slice(1)

    const sampleMemory = async () => {
      const s = await status(url, headers)
      if (s?.process !== undefined) recorder.sampleMemoryFrom(s.process.heapUsedBytes, s.process.rssBytes)
    }
    // The run starts now: connections are open.
    const cpuBefore = cpuMsOf(await status(url, headers))
    clock = new ScaledClock(scenario.timeScale)
    if (scenario.memorySampleSec !== undefined) {
      await sampleMemory()
      memory = setInterval(() => void sampleMemory(), scenario.memorySampleSec * 1000)
    }
    progress = reportProgress(recorder, clock, options.onProgress)
    await drive(
      scenario,
      {
        now: () => clock.now(),
        sleep,
        send: (client, id, request) => (pool[client % pool.length] as Connection).send(id, request),
      },
      recorder,
      { label: options.policy, durationSec: options.durationSec },
    )
    const endMs = windowEndMs(scenario, options.durationSec, clock.now())
    if (memory !== undefined) {
      clearInterval(memory)
      memory = undefined
      await sampleMemory()
    }
    const after = await status(url, headers)
    const result = recorder.result(
      0,
      endMs,
      after?.simulator?.overcommits ?? 0,
      after?.vram !== undefined && after.models !== undefined
        ? hostFacts({
            vram: after.vram,
            models: after.models,
            ...(after.maxLoadedModels !== undefined ? { maxLoadedModels: after.maxLoadedModels } : {}),
          })
        : undefined,
    )
    const cpuAfter = cpuMsOf(after)
    const finished = result.completed + result.failed + result.cancelled
    return cpuBefore !== undefined && cpuAfter !== undefined && finished > 0
      ? { ...result, serverCpuMsPerRequest: Math.round(((cpuAfter - cpuBefore) / finished) * 1000) / 1000 }
      : result
  } finally {
    if (memory !== undefined) clearInterval(memory)
    if (progress !== undefined) clearInterval(progress)
    for (const c of connections) c.close()
    await server?.stop()
  }
}
