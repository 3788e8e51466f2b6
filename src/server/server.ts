/**
 * The HTTP and WebSocket server of `conductor serve`: `/ws` (the protocol, a Session per
 * connection), `/healthz` (alive), `/readyz` (ready to take queries), `/metrics` (Prometheus
 * text) and `/v1/status` (Conductor's snapshot). With a token set, every route but `/healthz`
 * wants it (`Authorization: Bearer …` or `?token=…`), and a WebSocket without it is refused
 * with 401 before the upgrade; a browser Origin not allowed gets 403. A heartbeat closes dead
 * connections. `drain()` is the graceful shutdown: not ready, no new queries, in-flight ones
 * get `drainMs` to finish, the rest are cancelled, sockets close with 1001.
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { Duplex } from "node:stream"
import { type WebSocket, WebSocketServer } from "ws"
import type { Conductor } from "../conductor.js"
import type { ServerConfig } from "../config/schema.js"
import { TOPICS } from "../domain/events.js"
import type { Logger } from "../logging/logger.js"
import type { ConductorMetrics } from "../metrics/metrics.js"
import type { ErrorCode } from "./protocol.js"
import { Session } from "./session.js"

export interface ServerOptions {
  readonly conductor: Conductor
  readonly config: ServerConfig
  readonly metrics: ConductorMetrics
  readonly logger: Logger
  /** Required on every route but /healthz when set (CONDUCTOR_TOKEN). */
  readonly token?: string | undefined
  readonly version: string
  /** Log the text of queries (`logging.prompts`). */
  readonly logPrompts?: boolean
}

export interface RunningServer {
  readonly url: string
  readonly port: number
  readonly draining: boolean
  /** Graceful shutdown; resolves when every socket is closed and the listener is down. */
  drain(): Promise<void>
}

/** WebSocket close code 1001: going away. */
const CLOSE_GOING_AWAY = 1001

const sha = (s: string) => createHash("sha256").update(s).digest()

/** Constant-time comparison (both sides hashed to one length first). */
export const tokenMatches = (given: string | undefined, expected: string): boolean =>
  given !== undefined && timingSafeEqual(sha(given), sha(expected))

const tokenOf = (req: IncomingMessage): string | undefined => {
  const auth = req.headers.authorization
  if (auth !== undefined && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, "").trim()
  const q = new URL(req.url ?? "/", "http://localhost").searchParams.get("token")
  return q ?? undefined
}

/** Browsers send Origin; other clients do not and are allowed. An entry without a port allows any port. */
export const originAllowed = (origin: string | undefined, allowed: ReadonlyArray<string>): boolean => {
  if (origin === undefined || allowed.includes("*")) return true
  let o: URL
  try {
    o = new URL(origin)
  } catch {
    return false
  }
  return allowed.some((entry) => {
    try {
      const a = new URL(entry)
      return a.port === "" ? a.protocol === o.protocol && a.hostname === o.hostname : a.origin === o.origin
    } catch {
      return false
    }
  })
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  })
  res.end(text)
}

const httpError = (
  res: ServerResponse,
  status: number,
  code: ErrorCode | "not_found" | "method_not_allowed",
  message: string,
) => json(res, status, { type: "error", code, message })

export const startServer = async (options: ServerOptions): Promise<RunningServer> => {
  const { conductor, config, metrics, logger } = options
  let draining = false
  const sessions = new Map<WebSocket, Session>()
  /** Each WebSocket's TCP socket, from the upgrade to the connection handler. */
  const sockets = new Map<WebSocket, Duplex>()
  const authorized = (req: IncomingMessage) =>
    options.token === undefined || tokenMatches(tokenOf(req), options.token)

  const http = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      logger.log("error", "http handler failed", { error: String(e) })
      if (!res.headersSent) httpError(res, 500, "internal", "internal error")
    })
  })

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname
    if (req.method !== "GET" && req.method !== "HEAD") {
      httpError(res, 405, "method_not_allowed", `${req.method} is not allowed; use GET`)
      return
    }
    if (path === "/healthz") {
      json(res, 200, { status: "ok" })
      return
    }
    const known = path === "/readyz" || path === "/metrics" || path === "/v1/status" || path === "/ws"
    if (!known) {
      httpError(res, 404, "not_found", `no route ${path}; try /ws, /healthz, /readyz, /metrics, /v1/status`)
      return
    }
    if (!authorized(req)) {
      httpError(
        res,
        401,
        "unauthorized",
        "a valid token is required (Authorization: Bearer <token> or ?token=)",
      )
      return
    }
    switch (path) {
      case "/readyz": {
        const backend = conductor.snapshot().backend
        const ready = !draining && backend.reachable
        json(res, ready ? 200 : 503, {
          ready,
          config: "loaded",
          backend: backend.reachable ? "reachable" : "unreachable",
          draining,
        })
        return
      }
      case "/metrics": {
        metrics.ready.set(!draining && conductor.snapshot().backend.reachable ? 1 : 0)
        const text = await metrics.text()
        res.writeHead(200, { "content-type": metrics.registry.contentType })
        res.end(text)
        return
      }
      case "/v1/status": {
        const memory = process.memoryUsage()
        const cpu = process.cpuUsage()
        json(res, 200, {
          draining,
          connections: sessions.size,
          ...conductor.snapshot(),
          process: {
            heapUsedBytes: memory.heapUsed,
            rssBytes: memory.rss,
            cpuUserMs: cpu.user / 1000,
            cpuSystemMs: cpu.system / 1000,
          },
        })
        return
      }
      default:
        httpError(res, 426, "invalid_message", "/ws is a WebSocket endpoint: upgrade to connect")
    }
  }

  // ws closes a connection over this hard cap itself (1009); below it the session answers with
  // a payload_too_large error and the connection stays open.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: Math.max(4 * config.maxPayloadBytes, 1_048_576),
  })

  http.on("upgrade", (req, socket, head) => {
    const refuse = (status: number, code: ErrorCode | "not_found", message: string) => {
      const body = JSON.stringify({ type: "error", code, message })
      socket.end(
        `HTTP/1.1 ${status} ${status === 401 ? "Unauthorized" : status === 403 ? "Forbidden" : status === 404 ? "Not Found" : "Service Unavailable"}\r\n` +
          `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      )
    }
    const path = new URL(req.url ?? "/", "http://localhost").pathname
    if (path !== "/ws") return refuse(404, "not_found", `no WebSocket endpoint at ${path}; use /ws`)
    if (!authorized(req))
      return refuse(
        401,
        "unauthorized",
        "a valid token is required (Authorization: Bearer <token> or ?token=)",
      )
    if (!originAllowed(req.headers.origin, config.allowedOrigins)) {
      return refuse(
        403,
        "forbidden_origin",
        `origin ${req.headers.origin} is not allowed (server.allowedOrigins)`,
      )
    }
    if (draining) return refuse(503, "draining", "the server is shutting down")
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.set(ws, socket)
      wss.emit("connection", ws, req)
    })
  })

  wss.on("connection", (ws: WebSocket) => {
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
      transport: {
        send: (text) => {
          if (!corked && socket !== undefined) {
            corked = true
            socket.cork()
            setImmediate(uncork)
          }
          ws.send(text)
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
      draining: () => draining,
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
      const text = buf.toString("utf8")
      if (options.logPrompts === true) logger.log("info", "query", { text: isBinary ? "(binary)" : text })
      session.receive(text, buf.byteLength)
    })
    ws.on("close", () => {
      clearInterval(heartbeat)
      session.close()
      sessions.delete(ws)
      metrics.ws.connections.set(sessions.size)
    })
    ws.on("error", (e) => logger.log("warn", "websocket error", { error: e.message }))
    const snap = conductor.snapshot()
    session.sendMessage({
      type: "hello",
      server: "conductor",
      version: options.version,
      backend: snap.backend.description,
      policy: snap.policy,
      models: snap.models.filter((m) => m.available).map((m) => m.name),
      topics: [...TOPICS],
    })
  })

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject)
    http.listen(config.port, config.host, () => {
      http.off("error", reject)
      resolve()
    })
  })
  const port = (http.address() as AddressInfo).port
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`

  let drained: Promise<void> | undefined
  return {
    url,
    port,
    get draining() {
      return draining
    },
    drain() {
      drained ??= (async () => {
        draining = true
        logger.log("info", "draining", {
          inFlight: conductor.snapshot().requests.inFlight,
          drainMs: config.drainMs,
        })
        await conductor.close({ drainMs: config.drainMs })
        for (const ws of sessions.keys()) ws.close(CLOSE_GOING_AWAY, "server shutting down")
        await new Promise<void>((resolve) => {
          const deadline = setTimeout(() => {
            for (const ws of sessions.keys()) ws.terminate()
            resolve()
          }, 2_000)
          const check = () => {
            if (sessions.size === 0) {
              clearTimeout(deadline)
              resolve()
            } else setTimeout(check, 10)
          }
          check()
        })
        wss.close()
        await new Promise<void>((resolve) => http.close(() => resolve()))
      })()
      return drained
    },
  }
}
