/**
 * The processes of the gateway benchmark, each a child of the benchmark so no gateway shares an
 * event loop with the load generator: `conductor sim` (a zero-latency simulated Ollama host),
 * `conductor serve --backend ollama` in front of it, the relay (relay.ts, an extra hop that does
 * nothing else) and the Portkey gateway (`@portkey-ai/gateway`,
 * installed on first use into a cache folder under the OS temp dir — never a dependency of this
 * project). Each child's output goes to a log file (not through this process); `procCpuMs` reads a
 * child's user + system time from `/proc/<pid>/stat` (Linux; undefined elsewhere).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"

export interface Child {
  readonly name: string
  readonly pid: number
  /** The base URL it serves (`http://127.0.0.1:PORT`). */
  readonly url: string
  /** Its log (stdout and stderr). */
  readonly log: string
  stop(): Promise<void>
}

const START_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 15_000
const POLL_MS = 100

/** `node …/cli/main.js` from the build this file is part of (or the sources, under tsx). */
export const conductorCommand = (): string[] => {
  const built = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url))
  if (existsSync(built)) return [built]
  return ["--import", "tsx", fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url))]
}

/** A TCP port free on 127.0.0.1 right now (for a child that takes no port 0). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.once("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const a = s.address()
      const port = typeof a === "object" && a !== null ? a.port : 0
      s.close(() => resolve(port))
    })
  })

/** No CONDUCTOR_* or OLLAMA_* variable of this shell changes a run. */
const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("CONDUCTOR_") && !k.startsWith("OLLAMA_")),
  ),
  ...extra,
})

/**
 * Spawn `node args…` with its output in `logDir/name.log`; resolve once `ready(log)` gives the
 * URL it serves (polled), reject if it exits first or takes too long.
 */
export const startChild = async (
  name: string,
  args: ReadonlyArray<string>,
  logDir: string,
  ready: (log: string) => string | undefined | Promise<string | undefined>,
  env: Record<string, string> = {},
): Promise<Child> => {
  const log = join(logDir, `${name}.log`)
  const fd = openSync(log, "w")
  const child: ChildProcess = spawn(process.execPath, [...args], {
    env: cleanEnv(env),
    stdio: ["ignore", fd, fd],
  })
  closeSync(fd)
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  let gone = false
  void exited.then(() => {
    gone = true
  })
  const tail = () => readFileSync(log, "utf8").slice(-3000)
  const deadline = Date.now() + START_TIMEOUT_MS
  let url: string | undefined
  while (url === undefined) {
    if (gone) throw new Error(`${name} exited (${child.exitCode}) before it was ready:\n${tail()}`)
    if (Date.now() > deadline) {
      child.kill("SIGKILL")
      throw new Error(`${name} was not ready within ${START_TIMEOUT_MS / 1000} s:\n${tail()}`)
    }
    url = await ready(readFileSync(log, "utf8"))
    if (url === undefined) await new Promise((r) => setTimeout(r, POLL_MS))
  }
  return {
    name,
    pid: child.pid as number,
    url,
    log,
    stop: async () => {
      if (gone) return
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS)
      await exited
      clearTimeout(timer)
    },
  }
}

/** The first match of `re`'s group 1 in a child's log. */
const banner = (re: RegExp) => (log: string) => re.exec(log)?.[1]

/** `conductor sim` on the profile, on a port of its choosing. */
export const startSim = (profile: string, logDir: string): Promise<Child> =>
  startChild(
    "sim",
    [...conductorCommand(), "sim", "--profile", profile, "--host", "127.0.0.1", "--port", "0"],
    logDir,
    banner(/Ollama API on (http:\/\/\S+)/),
  )

/** `conductor serve` on Ollama at `ollamaHost`, with the settings in `configDir`. */
export const startConductor = (
  ollamaHost: string,
  configDir: string,
  logDir: string,
  nodeArgs: ReadonlyArray<string> = [],
): Promise<Child> =>
  startChild(
    "conductor",
    [
      ...nodeArgs,
      ...conductorCommand(),
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--backend",
      "ollama",
      "--ollama-host",
      ollamaHost,
      "--config",
      configDir,
    ],
    logDir,
    banner(/listening on (http:\/\/\S+)/),
  )

/** The relay (relay.ts: an extra hop that does nothing else) in front of `upstream`. */
export const startRelay = async (upstream: string, logDir: string): Promise<Child> => {
  const built = fileURLToPath(new URL("./relay.js", import.meta.url))
  const entry = existsSync(built)
    ? [built]
    : ["--import", "tsx", fileURLToPath(new URL("./relay.ts", import.meta.url))]
  const port = await freePort()
  return startChild(
    "relay",
    [...entry, `--port=${port}`, `--upstream=${upstream}`],
    logDir,
    banner(/relay listening on (http:\/\/\S+)/),
  )
}

export const PORTKEY_PACKAGE = "@portkey-ai/gateway"
export const PORTKEY_VERSION = "1.15"
/**
 * Portkey 1.15 declares `@hono/node-server ^1.3.3`, which npm resolves to 1.19; with 1.14.2 and
 * later, Portkey's streamed chat completions fail on Node with `TypeError: immutable` (it appends headers
 * to a response whose headers are immutable; Portkey-AI/gateway#1389 and #1550). 1.13.8 is the
 * last release before that change: streams work, and non-streamed requests cost the same CPU.
 */
export const PORTKEY_HONO_NODE_SERVER = "1.13.8"

/** Where Portkey is cached between runs (under the OS temp dir, keyed by what is installed). */
export const portkeyCacheDir = (): string =>
  join(tmpdir(), `conductor-bench-portkey-${PORTKEY_VERSION}-node-server-${PORTKEY_HONO_NODE_SERVER}`)

const portkeyEntry = (dir: string) => join(dir, "node_modules", PORTKEY_PACKAGE, "build", "start-server.js")

/**
 * Install Portkey into the cache folder (its own package.json, with the override above) with
 * `npm install --prefix` unless it is there; where it starts and its version.
 */
export const installPortkey = async (
  dir = portkeyCacheDir(),
): Promise<{ entry: string; version: string }> => {
  const entry = portkeyEntry(dir)
  if (!existsSync(entry)) {
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      join(dir, "package.json"),
      `${JSON.stringify(
        {
          private: true,
          description: "Portkey for conductor's gateway benchmark (loadtest/bench/gateway.bench.ts)",
          dependencies: { [PORTKEY_PACKAGE]: PORTKEY_VERSION },
          overrides: { "@hono/node-server": PORTKEY_HONO_NODE_SERVER },
        },
        null,
        2,
      )}\n`,
    )
    process.stderr.write(`installing ${PORTKEY_PACKAGE}@${PORTKEY_VERSION} into ${dir} …\n`)
    await promisify(execFile)(
      "npm",
      ["install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error"],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    )
  }
  const pkg = JSON.parse(
    readFileSync(join(dir, "node_modules", PORTKEY_PACKAGE, "package.json"), "utf8"),
  ) as { version: string }
  return { entry, version: pkg.version }
}

/** Portkey listening on a free port, headless (no log console: what a deployment runs). */
export const startPortkey = async (entry: string, logDir: string): Promise<Child> => {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  return startChild("portkey", [entry, `--port=${port}`, "--headless"], logDir, async (log) => {
    if (!/Ready for connections/.test(log)) return undefined
    try {
      await fetch(url, { method: "GET" }).then((r) => r.arrayBuffer())
      return url
    } catch {
      return undefined
    }
  })
}

const TICK_MS = 10 // USER_HZ is 100 on Linux

/** A process's user + system CPU time so far, ms (from /proc; undefined where there is none). */
export const procCpuMs = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // Fields after the command (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS
  } catch {
    return undefined
  }
}

/** A temporary folder for one run's logs and settings; removed by `rm()`. */
export const runDir = (): { readonly path: string; rm(): void } => {
  const path = mkdtempSync(join(tmpdir(), "conductor-bench-gateway-"))
  return { path, rm: () => rmSync(path, { recursive: true, force: true }) }
}
