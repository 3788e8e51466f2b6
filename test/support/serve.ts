/**
 * `conductor serve` as a child process (from source, through tsx) and WebSocket clients for it,
 * for end-to-end tests.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import WebSocket from "ws"

const ROOT = fileURLToPath(new URL("../..", import.meta.url))
export const SLOW_TOKENS = `${ROOT}test/fixtures/e2e-slow-tokens.yaml`

export interface Served {
  readonly url: string
  readonly ws: string
  readonly proc: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  readonly exited: Promise<number | null>
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export const serve = async (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}): Promise<Served> => {
  const proc = spawn(
    `${ROOT}node_modules/.bin/tsx`,
    [`${ROOT}src/cli/main.ts`, "serve", "--port", "0", ...args],
    {
      cwd: ROOT,
      env: { ...process.env, OLLAMA_HOST: "127.0.0.1:9", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  )
  let out = ""
  let err = ""
  proc.stdout?.setEncoding("utf8").on("data", (d: string) => {
    out += d
  })
  proc.stderr?.setEncoding("utf8").on("data", (d: string) => {
    err += d
  })
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}\n${err}`)), 90_000)
    const check = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out)
      if (m?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(m[1])
      }
    }
    proc.stdout?.on("data", check)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited with ${code}:\n${out}\n${err}`))
    })
  })
  return {
    url,
    ws: `${url.replace(/^http/, "ws")}/ws`,
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null) proc.kill(signal)
      return exited
    },
  }
}

export interface Client {
  readonly socket: WebSocket
  readonly messages: Array<Record<string, unknown>>
  send(message: unknown): void
  /** Resolves with the first message (from now on, or already received) that matches. */
  waitFor(
    match: (m: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>
  readonly closed: Promise<{ code: number; reason: string }>
  close(): void
}

export const connect = (url: string, options: WebSocket.ClientOptions = {}): Promise<Client> =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options)
    const messages: Array<Record<string, unknown>> = []
    const waiters = new Set<() => void>()
    socket.on("message", (data) => {
      messages.push(JSON.parse(String(data)))
      for (const w of [...waiters]) w()
    })
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      socket.on("close", (code, reason) => {
        r({ code, reason: String(reason) })
        for (const w of [...waiters]) w()
      }),
    )
    socket.once("unexpected-response", (_req, res) =>
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })),
    )
    socket.once("error", reject)
    socket.once("open", () =>
      resolve({
        socket,
        messages,
        closed,
        send: (m) => socket.send(typeof m === "string" ? m : JSON.stringify(m)),
        close: () => socket.close(),
        waitFor: (match, timeoutMs = 20_000) =>
          new Promise((res, rej) => {
            let seen = 0
            const check = () => {
              for (; seen < messages.length; seen++) {
                const m = messages[seen] as Record<string, unknown>
                if (match(m)) {
                  waiters.delete(check)
                  clearTimeout(timer)
                  res(m)
                  return
                }
              }
              if (socket.readyState === WebSocket.CLOSED) {
                waiters.delete(check)
                clearTimeout(timer)
                rej(
                  new Error(
                    `socket closed while waiting; got ${JSON.stringify(messages.map((x) => x.type))}`,
                  ),
                )
              }
            }
            const timer = setTimeout(() => {
              waiters.delete(check)
              rej(new Error(`timed out; got ${JSON.stringify(messages.map((x) => x.type))}`))
            }, timeoutMs)
            waiters.add(check)
            check()
          }),
      }),
    )
  })
