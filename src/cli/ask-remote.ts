/**
 * `conductor ask --url`: one query to a running `conductor serve` over its WebSocket protocol
 * (docs/protocol.md). Connects (sending CONDUCTOR_TOKEN when set; with `waitMs`, retrying while
 * the server is not yet listening), reads the `hello`, sends the query, hands every event of its
 * request to the view until the view says it has ended, then closes. `cancel()` sends `cancel`.
 */
import WebSocket from "ws"
import { ExitError } from "./setup.js"

export interface RemoteAsk {
  /** Resolves with the exit code the view returned, once the request has ended. */
  readonly done: Promise<number>
  cancel(): void
}

const ID = "ask"

/** `ws://host:port` and `http://…` are accepted; a URL without a path means `/ws`. */
export const wsUrlOf = (raw: string): string => {
  let url: URL
  try {
    url = new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `ws://${raw}`)
  } catch {
    throw new ExitError(`--url: not a URL: '${raw}' (e.g. ws://127.0.0.1:8080/ws)`, 2)
  }
  if (url.protocol === "http:") url.protocol = "ws:"
  if (url.protocol === "https:") url.protocol = "wss:"
  if (url.protocol !== "ws:" && url.protocol !== "wss:")
    throw new ExitError(`--url: expected ws://HOST:PORT/ws, got '${raw}'`, 2)
  if (url.pathname === "/" || url.pathname === "") url.pathname = "/ws"
  return url.toString()
}

type Listener = (data: WebSocket.RawData, isBinary: boolean) => void

/**
 * Open a connection with `onMessage` listening from the start: the server's `hello` can arrive
 * with the upgrade's answer, before `open` has been handled.
 */
const open = (url: string, headers: Record<string, string>, onMessage: Listener): Promise<WebSocket> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.on("message", onMessage)
    ws.once("open", () => resolve(ws))
    ws.once("unexpected-response", (_req, res) => {
      let body = ""
      res.setEncoding("utf8").on("data", (d: string) => {
        body += d
      })
      res.on("end", () => {
        let message = body
        try {
          message = (JSON.parse(body) as { message?: string }).message ?? body
        } catch {}
        reject(new ExitError(`${url} refused the connection: HTTP ${res.statusCode} ${message}`.trim(), 1))
      })
    })
    ws.once("error", (e: NodeJS.ErrnoException) => reject(e))
  })

/** Connect, retrying a refused connection for up to `waitMs` (the server may be starting). */
const connect = async (
  url: string,
  headers: Record<string, string>,
  waitMs: number,
  onMessage: Listener,
): Promise<WebSocket> => {
  const deadline = performance.now() + waitMs
  for (;;) {
    try {
      return await open(url, headers, onMessage)
    } catch (e) {
      if (e instanceof ExitError) throw e
      const code = (e as NodeJS.ErrnoException).code
      if (code === "ECONNREFUSED" && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200))
        continue
      }
      throw new ExitError(
        `cannot connect to ${url}: ${code ?? (e as Error).message}` +
          (code === "ECONNREFUSED" ? " (is `conductor serve` running? --wait SECONDS waits for it)" : ""),
        1,
      )
    }
  }
}

export const askRemote = async (
  rawUrl: string,
  request: Record<string, unknown>,
  options: {
    readonly waitMs: number
    readonly token?: string | undefined
    /** The server's hello: what it runs on. */
    readonly hello: (backend: string, policy: string) => void
    /** One event of the request (or an error about it); returns the exit code once it has ended. */
    readonly event: (e: { readonly type: string; readonly [k: string]: unknown }) => number | undefined
  },
): Promise<RemoteAsk> => {
  const url = wsUrlOf(rawUrl)
  let ws: WebSocket | undefined
  let ended = false
  let settle: { resolve: (code: number) => void; reject: (e: Error) => void } | undefined
  const done = new Promise<number>((resolve, reject) => {
    settle = { resolve, reject }
  })
  const end = (code: number) => {
    ended = true
    ws?.close()
    settle?.resolve(code)
  }
  const onMessage: Listener = (data, isBinary) => {
    if (ended || isBinary) return
    let m: { type: string; id?: unknown; [k: string]: unknown }
    try {
      m = JSON.parse(String(data))
    } catch {
      return
    }
    if (m.type === "hello") {
      options.hello(String(m.backend), String(m.policy))
      send({ type: "query", id: ID, ...request })
      return
    }
    if (m.id !== ID) return
    const code = options.event(m)
    if (code !== undefined) end(code)
  }
  // The hello can come before `connect` returns: the query waits for the socket, not the reverse.
  const pending: string[] = []
  const send = (message: unknown) => {
    if (ws === undefined) pending.push(JSON.stringify(message))
    else ws.send(JSON.stringify(message))
  }
  ws = await connect(
    url,
    options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {},
    options.waitMs,
    onMessage,
  )
  for (const text of pending.splice(0)) ws.send(text)
  const socket = ws
  socket.on("close", (code, reason) => {
    if (!ended)
      settle?.reject(
        new ExitError(
          `${url} closed the connection (${code}${reason.length > 0 ? ` ${reason}` : ""}) before the answer ended`,
          1,
        ),
      )
  })
  socket.on("error", (e) => {
    if (!ended) settle?.reject(new ExitError(`${url}: ${e.message}`, 1))
  })
  return {
    done,
    cancel: () => {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "cancel", id: ID }))
    },
  }
}
