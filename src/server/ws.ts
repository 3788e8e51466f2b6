/**
 * The WebSocket endpoint `/ws`: the upgrade passes the same gate as every HTTP route (host,
 * origin, token; refused before the upgrade with a JSON body) and a cap on connections per client
 * (remote address, `server.maxConnectionsPerClient`: 429), then each connection gets a Session
 * (its requests run for tenant `ws:<n>`, the connection's number), a heartbeat that closes dead
 * connections, and corked writes (the frames of one turn of the event loop leave in one write).
 * Every message leaves stamped with `ts`, the wall-clock time it was sent (ISO 8601, as the logs'
 * `ts`; events' `at` is Conductor's clock). Heartbeat, slow-reader and rate timers run on real
 * time. Binary frames are refused with an error; `ws` itself closes a text frame that is not
 * UTF-8 with 1007. Closing a connection cancels its requests.
 */
import type { Server } from "node:http"
import type { Duplex } from "node:stream"
import { type WebSocket, WebSocketServer } from "ws"
import type { Conductor } from "../conductor.js"
import type { ServerConfig } from "../config/schema.js"
import { TOPICS } from "../domain/events.js"
import type { Logger } from "../logging/logger.js"
import type { ConductorMetrics } from "../metrics/metrics.js"
import { checkGate, type GatePolicy } from "./gate.js"
import { Session } from "./session.js"

export interface WebSocketDeps {
  readonly conductor: Conductor
  readonly config: ServerConfig
  readonly metrics: ConductorMetrics
  readonly logger: Logger
  readonly policy: GatePolicy
  readonly version: string
  readonly logPrompts: boolean
  readonly draining: () => boolean
}

export interface WebSocketEndpoint {
  /** Open connections. */
  readonly size: number
  /** Close every connection with `code`; resolves when all are gone (terminated after `graceMs`). */
  closeAll(code: number, reason: string, graceMs: number): Promise<void>
  close(): void
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  429: "Too Many Requests",
  503: "Service Unavailable",
}

/**
 * `text` (a JSON object) with `"ts"` — the wall-clock time now, ISO 8601 — as its first field.
 * The ISO text is made once per millisecond.
 */
const stamper = (): ((text: string) => string) => {
  let ms = -1
  let prefix = ""
  return (text) => {
    const now = Date.now()
    if (now !== ms) {
      ms = now
      prefix = `{"ts":"${new Date(now).toISOString()}",`
    }
    return prefix + text.slice(1)
  }
}

export const attachWebSocket = (http: Server, deps: WebSocketDeps): WebSocketEndpoint => {
  const { conductor, config, metrics, logger } = deps
  const sessions = new Map<WebSocket, Session>()
  const stamp = stamper()
  /** Connections so far: the next one's tenant number. */
  let connected = 0
  /** Open connections per remote address. */
  const perClient = new Map<string, number>()
  /** Each WebSocket's TCP socket, from the upgrade to the connection handler. */
  const sockets = new Map<WebSocket, Duplex>()

  // ws closes a connection over this hard cap itself (1009); below it the session answers with
  // a payload_too_large error and the connection stays open.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: Math.max(4 * config.maxPayloadBytes, 1_048_576),
  })

  http.on("upgrade", (req, socket, head) => {
    const refuse = (status: number, code: string, message: string) => {
      const body = JSON.stringify({ type: "error", code, message })
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\n` +
          `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      )
    }
    const url = req.url ?? "/"
    const path = url.split("?")[0] ?? "/"
    if (path !== "/ws") return refuse(404, "not_found", `no WebSocket endpoint at ${path}; use /ws`)
    const refusal = checkGate(
      {
        header: (name) => {
          const v = req.headers[name]
          return Array.isArray(v) ? v[0] : v
        },
        query: (name) => new URL(url, "http://localhost").searchParams.get(name) ?? undefined,
      },
      deps.policy,
    )
    if (refusal !== undefined) return refuse(refusal.status, refusal.code, refusal.message)
    if (deps.draining()) return refuse(503, "draining", "the server is shutting down")
    const client = req.socket.remoteAddress ?? "unknown"
    const open = perClient.get(client) ?? 0
    if (open >= config.maxConnectionsPerClient) {
      return refuse(
        429,
        "too_many_connections",
        `${client} already has ${open} connections open (server.maxConnectionsPerClient)`,
      )
    }
    // ws completes the upgrade synchronously, so the count is exact when the next one comes.
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.set(ws, socket)
      wss.emit("connection", ws, req, client)
    })
  })

  wss.on("connection", (ws: WebSocket, _req: unknown, client: string) => {
    perClient.set(client, (perClient.get(client) ?? 0) + 1)
    // Frames sent in one turn of the event loop leave in one write: the socket is corked at the
    // first and uncorked once the turn's callbacks have run (a request's events come in bursts).
    const socket = sockets.get(ws)
    sockets.delete(ws)
    let corked = false
    const uncork = () => {
      corked = false
      socket?.uncork()
    }
    const session = new Session({
      conductor,
      tenant: `ws:${++connected}`,
      transport: {
        send: (text) => {
          if (!corked && socket !== undefined) {
            corked = true
            socket.cork()
            setImmediate(uncork)
          }
          ws.send(stamp(text))
        },
        get bufferedAmount() {
          return ws.bufferedAmount
        },
        close: (code, reason) => ws.close(code, reason),
      },
      options: {
        maxPayloadBytes: config.maxPayloadBytes,
        maxInFlight: config.maxInFlightPerConnection,
        messagesPerSecond: config.messagesPerSecond,
        messageBurst: config.messageBurst,
        highWaterBytes: config.slowConsumer.highWaterBytes,
        slowCloseAfterMs: config.slowConsumer.closeAfter,
      },
      now: () => performance.now(),
      schedule: (ms, fn) => {
        const t = setTimeout(fn, ms)
        return () => clearTimeout(t)
      },
      draining: deps.draining,
      count: metrics.ws.count,
      log: (level, message, fields) => logger.log(level, message, fields),
    })
    sessions.set(ws, session)
    metrics.ws.connections.set(sessions.size)
    let alive = true
    ws.on("pong", () => {
      alive = true
    })
    const heartbeat = setInterval(() => {
      if (!alive) {
        logger.log("info", "closing a connection that stopped answering pings", {})
        ws.terminate()
        return
      }
      alive = false
      ws.ping()
    }, config.heartbeat)
    ws.on("message", (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)
      if (isBinary) {
        session.receiveBinary(buf.byteLength)
        return
      }
      const text = buf.toString("utf8")
      if (deps.logPrompts) logger.log("info", "query", { text })
      session.receive(text, buf.byteLength)
    })
    ws.on("close", () => {
      clearInterval(heartbeat)
      session.close()
      sessions.delete(ws)
      const left = (perClient.get(client) ?? 1) - 1
      if (left > 0) perClient.set(client, left)
      else perClient.delete(client)
      metrics.ws.connections.set(sessions.size)
    })
    ws.on("error", (e) => logger.log("warn", "websocket error", { error: e.message }))
    const snap = conductor.snapshot()
    session.sendMessage({
      type: "hello",
      server: "conductor",
      version: deps.version,
      backend: snap.backend.description,
      policy: snap.policy,
      models: snap.models.filter((m) => m.available).map((m) => m.name),
      topics: [...TOPICS],
    })
  })

  return {
    get size() {
      return sessions.size
    },
    closeAll: (code, reason, graceMs) => {
      for (const ws of sessions.keys()) ws.close(code, reason)
      return new Promise<void>((resolve) => {
        const deadline = setTimeout(() => {
          for (const ws of sessions.keys()) ws.terminate()
          resolve()
        }, graceMs)
        const check = () => {
          if (sessions.size === 0) {
            clearTimeout(deadline)
            resolve()
          } else setTimeout(check, 10)
        }
        check()
      })
    },
    close: () => wss.close(),
  }
}
