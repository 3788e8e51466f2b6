/**
 * The simulator over HTTP with Ollama's API: the same paths, bodies, status codes and NDJSON
 * streaming, so the official `ollama` client works against it unchanged; Ollama's OpenAI
 * compatible `/v1` endpoints come from `openai.ts`. Routing behaves as Ollama's gin router does:
 * CORS and the host guard before every route (`cors.ts`), 405 with `Allow` for a known path with
 * another method, a redirect for a trailing slash, gin's plain 404 otherwise. Control and
 * introspection live under `/sim/` (faults, crash, unreachable windows, the load-cost scale, the
 * page cache, state). A client that disconnects cancels its request and frees its slot.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { WireChatChunk, WireGenerateChunk } from "../ollama/wire.js"
import { collectChat, collectGenerate } from "./answers.js"
import { allowedOrigins, type Cors, guardHost, makeCors } from "./cors.js"
import { vectorsJson } from "./embeddings.js"
import type {
  SimChatRequest,
  SimEmbeddingsRequest,
  SimEmbedRequest,
  SimEngine,
  SimGenerateRequest,
  SimResponse,
} from "./engine.js"
import { SimError } from "./errors.js"
import { FAULT_KINDS, type FaultKind } from "./faults.js"
import { abortOnClose, parseObject, sendError, sendJson, sendJsonText, sendPlain } from "./http-io.js"
import { openaiRoutes } from "./openai.js"
import type { Json } from "./requests.js"
import type { Handler, Route } from "./route.js"

export interface SimServer {
  readonly url: string
  readonly port: number
  readonly server: Server
  close(): Promise<void>
}

export interface SimServerOptions {
  readonly host?: string
  /** 0 picks a free port; default 11434. */
  readonly port?: number
  /** Extra allowed CORS origins (Ollama's OLLAMA_ORIGINS; default: that variable's value). */
  readonly origins?: ReadonlyArray<string>
}

/** A route's handler: `params` holds the path's `:name` segments. */
/** Write a generation: NDJSON chunks, or (stream: false) the folded answer. */
const sendGeneration = async <P extends WireChatChunk | WireGenerateChunk>(
  res: ServerResponse,
  response: SimResponse<P>,
  streamed: boolean,
  fold: (r: SimResponse<P>) => Promise<P>,
): Promise<void> => {
  if (response.kind === "single") {
    sendJson(res, 200, response.body)
    return
  }
  if (!streamed) {
    sendJson(res, 200, await fold(response))
    return
  }
  res.writeHead(200, { "Content-Type": "application/x-ndjson", "Transfer-Encoding": "chunked" })
  res.write(`${JSON.stringify(response.first)}\n`)
  try {
    for (let r = await response.rest.next(); r.done !== true; r = await response.rest.next()) {
      if (!res.write(`${JSON.stringify(r.value)}\n`))
        await new Promise((resolve) => res.once("drain", resolve))
    }
  } catch (e) {
    // After streaming began, errors travel as a final NDJSON line with status 200.
    if (!res.destroyed)
      res.write(`${JSON.stringify({ error: e instanceof Error ? e.message : String(e) })}\n`)
  }
  res.end()
}

const generation =
  (kind: "generate" | "chat"): Handler =>
  async (engine, req, res) => {
    const body = await parseObject(req, kind === "chat" ? "api.ChatRequest" : "api.GenerateRequest", true)
    const controller = new AbortController()
    let response: SimResponse | undefined
    abortOnClose(res, controller, () => {
      if (response?.kind === "stream") void response.cancel()
    })
    try {
      // The engine checks every field of the decoded JSON as Ollama's handlers do.
      const streamed = body.stream !== false
      if (kind === "chat") {
        const r = await engine.chat(body as SimChatRequest, controller.signal)
        response = r
        if (!controller.signal.aborted) await sendGeneration(res, r, streamed, collectChat)
      } else {
        const r = await engine.generate(body as SimGenerateRequest, controller.signal)
        response = r
        if (!controller.signal.aborted) await sendGeneration(res, r, streamed, collectGenerate)
      }
      if (controller.signal.aborted && response.kind === "stream") await response.cancel()
    } catch (e) {
      if (controller.signal.aborted || res.destroyed) return
      if (res.headersSent) res.end()
      else sendError(res, e)
    }
  }

/** POST /api/embed: vectors printed as Go prints float32; zero metrics left out (omitempty). */
const embed: Handler = async (engine, req, res) => {
  const body = await parseObject(req, "api.EmbedRequest", true)
  const controller = new AbortController()
  abortOnClose(res, controller)
  const r = await engine.embed(body as SimEmbedRequest, controller.signal)
  if (controller.signal.aborted) return
  const metrics = [
    ["total_duration", r.total_duration],
    ["load_duration", r.load_duration],
    ["prompt_eval_count", r.prompt_eval_count],
  ]
    .filter(([, v]) => v !== 0)
    .map(([k, v]) => `,"${k}":${v}`)
    .join("")
  sendJsonText(
    res,
    200,
    `{"model":${JSON.stringify(r.model)},"embeddings":${vectorsJson(r.embeddings)}${metrics}}`,
  )
}

/** POST /api/embeddings (legacy): one float64 vector. */
const embeddings: Handler = async (engine, req, res) => {
  const body = await parseObject(req, "api.EmbeddingRequest", true)
  const controller = new AbortController()
  abortOnClose(res, controller)
  const r = await engine.embeddings(body as SimEmbeddingsRequest, controller.signal)
  if (!controller.signal.aborted) sendJson(res, 200, r)
}

const running: Handler = (_engine, _req, res) => {
  res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" })
  res.end("Ollama is running")
}

/** Ollama's routes (server/routes.go GenerateRoutes), in its order: HEAD, GET, POST, DELETE trees. */
const ROUTES: ReadonlyArray<Route> = [
  { method: "HEAD", path: "/", handler: running },
  { method: "GET", path: "/", handler: running },
  { method: "HEAD", path: "/api/version", handler: (e, _q, res) => sendJson(res, 200, e.version()) },
  { method: "GET", path: "/api/version", handler: (e, _q, res) => sendJson(res, 200, e.version()) },
  { method: "GET", path: "/api/status" },
  { method: "POST", path: "/api/pull" },
  { method: "POST", path: "/api/push" },
  { method: "HEAD", path: "/api/tags", handler: (e, _q, res) => sendJson(res, 200, e.list()) },
  { method: "GET", path: "/api/tags", handler: (e, _q, res) => sendJson(res, 200, e.list()) },
  {
    method: "POST",
    path: "/api/show",
    handler: async (e, req, res) => {
      const body = await parseObject(req, "api.ShowRequest", true)
      sendJson(res, 200, e.show(body.model ?? body.name))
    },
  },
  { method: "DELETE", path: "/api/delete" },
  { method: "POST", path: "/api/me" },
  { method: "POST", path: "/api/signout" },
  { method: "DELETE", path: "/api/user/keys/:encodedKey" },
  { method: "POST", path: "/api/create" },
  { method: "POST", path: "/api/blobs/:digest" },
  { method: "HEAD", path: "/api/blobs/:digest" },
  { method: "POST", path: "/api/copy" },
  { method: "POST", path: "/api/experimental/web_search" },
  { method: "POST", path: "/api/experimental/web_fetch" },
  { method: "GET", path: "/api/experimental/model-recommendations" },
  { method: "GET", path: "/api/ps", handler: (e, _q, res) => sendJson(res, 200, e.ps()) },
  { method: "POST", path: "/api/generate", handler: generation("generate") },
  { method: "POST", path: "/api/chat", handler: generation("chat") },
  { method: "POST", path: "/api/embed", handler: embed },
  { method: "POST", path: "/api/embeddings", handler: embeddings },
  ...openaiRoutes,
  { method: "POST", path: "/v1/responses" },
  { method: "POST", path: "/v1/audio/transcriptions" },
  { method: "POST", path: "/v1/messages" },
]

/** The route for (method, path) and its params, if its pattern matches. */
const match = (route: Route, path: string): Record<string, string> | undefined => {
  const want = route.path.split("/")
  const got = path.split("/")
  if (want.length !== got.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string
    const g = got[i] as string
    if (w.startsWith(":")) {
      if (g === "") return undefined
      params[w.slice(1)] = decodeURIComponent(g)
    } else if (w !== g) return undefined
  }
  return params
}

const handleSim = async (engine: SimEngine, req: IncomingMessage, res: ServerResponse, path: string) => {
  const method = req.method ?? "GET"
  if (path === "/sim/state" && method === "GET") return sendJson(res, 200, engine.state())
  if (path === "/sim/crash" && method === "POST") {
    engine.crash()
    return sendJson(res, 200, { crashed: true })
  }
  if (path === "/sim/unreachable" && method === "POST") {
    const body = await parseObject(req, "unreachable", false)
    const seconds = body.seconds
    if (typeof seconds !== "number" || !(seconds > 0))
      throw new SimError(400, "seconds: expected a number > 0")
    sendJson(res, 200, { unreachableForSec: seconds })
    engine.unreachableFor(seconds * 1000)
    return
  }
  if (path === "/sim/load-cost" && method === "POST") {
    const body = await parseObject(req, "load-cost", false)
    const scale = body.scale
    if (typeof scale !== "number" || !(scale > 0)) throw new SimError(400, "scale: expected a number > 0")
    engine.setLoadCostScale(scale)
    return sendJson(res, 200, { loadCostScale: scale })
  }
  if (path === "/sim/page-cache" && method === "DELETE") {
    engine.dropPageCache()
    return sendJson(res, 200, engine.state().pageCache)
  }
  if (path === "/sim/faults" && method === "DELETE") {
    engine.clearFaults()
    return sendJson(res, 200, engine.state().faults)
  }
  if (path === "/sim/faults" && method === "GET") return sendJson(res, 200, engine.state().faults)
  if (path === "/sim/faults" && method === "POST") {
    const body = await parseObject(req, "faults", true)
    const model = body.model
    if (model !== undefined && typeof model !== "string") throw new SimError(400, "model: expected a string")
    if (body.set !== undefined) {
      if (typeof body.set !== "object" || body.set === null)
        throw new SimError(400, "set: expected an object")
      engine.setFaults(model, body.set as Json)
    }
    if (body.inject !== undefined) {
      const inject = body.inject as Json
      if (typeof model !== "string") throw new SimError(400, "model: required with inject")
      if (!FAULT_KINDS.includes(inject.kind as FaultKind)) {
        throw new SimError(400, `inject.kind: expected one of ${FAULT_KINDS.join(", ")}`)
      }
      const count = inject.count ?? 1
      if (typeof count !== "number" || !Number.isInteger(count) || count < 1) {
        throw new SimError(400, "inject.count: expected an integer ≥ 1")
      }
      engine.injectFault(model, inject.kind as FaultKind, count, {
        ...(typeof inject.stallSec === "number" ? { stallSec: inject.stallSec } : {}),
        ...(typeof inject.slowFactor === "number" ? { slowFactor: inject.slowFactor } : {}),
      })
    }
    return sendJson(res, 200, engine.state().faults)
  }
  sendPlain(res, 404, "404 page not found")
}

const route = async (
  engine: SimEngine,
  cors: Cors,
  loopback: boolean,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> => {
  const path = (req.url ?? "/").split("?")[0] ?? "/"
  const method = req.method ?? "GET"
  try {
    if (path.startsWith("/sim/")) return await handleSim(engine, req, res, path)
    let found: { route: Route; params: Record<string, string> } | undefined
    for (const r of ROUTES) {
      if (r.method !== method) continue
      const params = match(r, path)
      if (params !== undefined) {
        found = { route: r, params }
        break
      }
    }
    // gin's RedirectTrailingSlash: 301 for GET, 307 otherwise (before any middleware runs).
    if (found === undefined && path.length > 1 && path.endsWith("/")) {
      const bare = path.slice(0, -1)
      if (ROUTES.some((r) => r.method === method && match(r, bare) !== undefined)) {
        res.writeHead(method === "GET" ? 301 : 307, {
          Location: bare,
          "Content-Type": "text/html; charset=utf-8",
        })
        res.end(method === "GET" ? `<a href="${bare}">Moved Permanently</a>.\n\n` : undefined)
        return
      }
    }
    // The middlewares run for every route, and for gin's 404 and 405 answers too.
    if (cors.apply(req, res)) return
    if (loopback && guardHost(req, res)) return
    if (found === undefined) {
      const allowed = [...new Set(ROUTES.filter((r) => match(r, path) !== undefined).map((r) => r.method))]
      if (allowed.length > 0)
        return sendPlain(res, 405, "405 method not allowed", { Allow: allowed.join(", ") })
      return sendPlain(res, 404, "404 page not found")
    }
    const handler = found.route.handler
    if (handler === undefined) {
      return sendJson(res, 501, { error: `the simulator does not implement ${method} ${found.route.path}` })
    }
    await handler(engine, req, res, found.params)
  } catch (e) {
    if (!res.headersSent) sendError(res, e)
    else res.end()
  }
}

/** Serve `engine` on host:port (port 0 picks a free one). */
export const startSimServer = async (
  engine: SimEngine,
  options: SimServerOptions = {},
): Promise<SimServer> => {
  const host = options.host ?? "127.0.0.1"
  const extra =
    options.origins ?? (process.env.OLLAMA_ORIGINS ?? "").split(",").filter((o) => o.trim() !== "")
  const cors = makeCors(allowedOrigins(extra))
  const loopback = host === "localhost" || host === "::1" || host.startsWith("127.")
  const server = createServer((req, res) => void route(engine, cors, loopback, req, res))
  server.keepAliveTimeout = 5000
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject)
      server.listen(port, host, () => {
        server.off("error", reject)
        resolve((server.address() as AddressInfo).port)
      })
    })
  const port = await listen(options.port ?? 11434)
  let closing = false
  // Unreachable windows: stop listening and drop every connection; listen again after.
  const unsubscribe = engine.subscribe((e) => {
    if (closing) return
    if (e.type === "unreachable" && server.listening) {
      server.close()
      server.closeAllConnections()
    } else if (e.type === "reachable" && !server.listening) {
      void listen(port).catch(() => undefined)
    }
  })
  const hostForUrl = host.includes(":") ? `[${host}]` : host
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true
        unsubscribe()
        if (!server.listening) {
          resolve()
          return
        }
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
