/**
 * `conductor sim` as a child process for tests that need a real simulated Ollama host over HTTP:
 * Node itself with tsx's loader (the tsx command runs a child of its own, so a SIGKILL must reach
 * the server directly), its stdout collected, and the hosts' URLs once it prints that they listen.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const ROOT = fileURLToPath(new URL("../..", import.meta.url))

export interface SimProcess {
  readonly child: ChildProcess
  /** Its stdout so far. */
  readonly out: () => string
  readonly exited: Promise<number | null>
  /** The Ollama URL of each of its `hosts` hosts, once all listen; rejects if it exits first. */
  readonly urls: Promise<string[]>
}

/** Spawn `conductor sim ARGS` (serving `hosts` hosts). */
export const spawnSim = (args: ReadonlyArray<string>, hosts = 1): SimProcess => {
  const child = spawn(process.execPath, ["--import", "tsx", `${ROOT}src/cli/main.ts`, "sim", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "ignore"],
  })
  let out = ""
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    out += d
  })
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const urls = new Promise<string[]>((resolve, reject) => {
    const timer = setInterval(() => {
      const found = [...out.matchAll(/Ollama API on (http:\/\/[^\s]+)/g)].map((m) => m[1] as string)
      if (found.length >= hosts) {
        clearInterval(timer)
        resolve(found.slice(0, hosts))
      }
    }, 20)
    child.on("exit", () => {
      clearInterval(timer)
      reject(new Error(`conductor sim exited early: ${out}`))
    })
  })
  return { child, out: () => out, exited, urls }
}
