/**
 * `conductor serve`'s listener: the HTTP application (`app.ts`: operators' routes, the OpenAI-
 * and Ollama-compatible APIs, one gate) and the WebSocket endpoint (`ws.ts`) on one port.
 * `drain()` is the graceful shutdown: not ready, no new requests on any entry point, in-flight
 * ones get `drainMs` to finish, the rest are cancelled, sockets close with 1001. Every limit that
 * protects real clients runs on real time, whatever Conductor's clock: the drain, the heartbeat,
 * the slow-consumer timer and the message rate.
 */
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"
import { createAdaptorServer } from "@hono/node-server"
import type { Conductor } from "../conductor.js"
import type { ServerConfig } from "../config/schema.js"
import type { Logger } from "../logging/logger.js"
import type { ConductorMetrics } from "../metrics/metrics.js"
import { makeApp } from "./app.js"
import type { GatePolicy } from "./gate.js"
import { attachWebSocket } from "./ws.js"

export { originAllowed, tokenMatches } from "./gate.js"

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

export const startServer = async (options: ServerOptions): Promise<RunningServer> => {
  const { conductor, config, logger } = options
  let draining = false
  const policy: GatePolicy = {
    token: options.token,
    allowedOrigins: config.allowedOrigins,
    allowedHosts: config.allowedHosts,
  }
  // Assigned below; the app only reads it on a request, after the listener exists.
  let ws: ReturnType<typeof attachWebSocket> | undefined
  const app = makeApp({
    conductor,
    metrics: options.metrics,
    logger,
    version: options.version,
    maxRequestBytes: config.maxRequestBytes,
    policy,
    draining: () => draining,
    connections: () => ws?.size ?? 0,
  })
  const http = createAdaptorServer({ fetch: app.fetch, hostname: config.host }) as Server
  ws = attachWebSocket(http, {
    conductor,
    config,
    metrics: options.metrics,
    logger,
    policy,
    version: options.version,
    logPrompts: options.logPrompts === true,
    draining: () => draining,
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
        await conductor.close({ drainMs: config.drainMs, wallClock: true })
        await ws.closeAll(CLOSE_GOING_AWAY, "server shutting down", 2_000)
        ws.close()
        http.closeIdleConnections()
        await new Promise<void>((resolve) => {
          http.close(() => resolve())
          // Streaming HTTP responses ended with the requests; anything left is cut.
          setTimeout(() => http.closeAllConnections(), 2_000).unref()
        })
      })()
      return drained
    },
  }
}
