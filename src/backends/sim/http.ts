/**
 * The simulator over HTTP with Ollama's API: the same paths, bodies, status codes and NDJSON
 * streaming, so the official `ollama` client works against it unchanged. Control and
 * introspection live under `/sim/` (faults, crash, unreachable windows, state). A client that
 * disconnects cancels its generation and frees its slot.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { Json, SimEngine, SimResponse } from "./engine.js"
import { SimError } from "./errors.js"
import { FAULT_KINDS, type FaultKind } from "./faults.js"

const MAX_BODY = 32 * 1024 * 1024

export interface SimServer {
  readonly url: string
  readonly port: number
  readonly server: Server
  close(): Promise<void>
}

const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  const data = JSON.stringify(body)
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(data),
  })
  res.end(data)
}

const sendError = (res: ServerResponse, e: unknown): void => {
  if (e instanceof SimError) {
    sendJson(res, e.status === 0 ? 503 : e.status, { error: e.message })
    return
  }
  sendJson(res, 500, { error: e instanceof Error ? e.message : String(e) })
}

/** Go's json.Decoder messages (gin's ShouldBindJSON) for the common mistakes. */
const jsonError = (text: string, e: unknown): string => {
  const message = (e as Error).message
  // A body cut short: V8 gives no position, Go's decoder says "unexpected EOF".
  if (/unexpected end of JSON input/i.test(message)) return "unexpected EOF"
  const m = /position (\d+)/.exec(message)
  const ch = m !== null ? text[Number(m[1])] : undefined
  return ch === undefined ? "unexpected EOF" : `invalid character '${ch}' looking for beginning of value`
}

/** Go decodes a JSON null into a field as "not set": drop null members (also inside options). */
const withoutNulls = (o: Json): Json => {
  const out: Json = {}
  for (const [k, v] of Object.entries(o)) {
    if (v === null) continue
    out[k] = k === "options" && typeof v === "object" && !Array.isArray(v) ? withoutNulls(v as Json) : v
  }
  return out
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let size = 0
    const parts: Buffer[] = []
    req.on("data", (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) {
        reject(new SimError(413, "request body too large"))
        req.destroy()
        return
      }
      parts.push(c)
    })
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")))
    req.on("error", reject)
  })

/** Parse a JSON object body; `required` bodies reject an empty one with Ollama's message. */
const parseObject = async (req: IncomingMessage, what: string, required: boolean): Promise<Json> => {
  const text = await readBody(req)
  if (text.trim() === "") {
    if (required) throw new SimError(400, "missing request body")
    return {}
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    throw new SimError(400, jsonError(text, e))
  }
  // A null body decodes into Go's zero request (and fails later, e.g. on the missing model).
  if (value === null) return {}
  if (typeof value !== "object" || Array.isArray(value)) {
    const kind = Array.isArray(value) ? "array" : typeof value
    throw new SimError(400, `json: cannot unmarshal ${kind} into Go value of type ${what}`)
  }
  return withoutNulls(value as Json)
}

/** Write a simulator response: one JSON object, or NDJSON chunks (or their aggregate). */
const sendResponse = async (
  res: ServerResponse,
  response: SimResponse,
  streamed: boolean,
  kind: "generate" | "chat",
): Promise<void> => {
  if (response.kind === "single") {
    sendJson(res, 200, response.body)
    return
  }
  if (!streamed) {
    const parts: string[] = [textOf(response.first, kind)]
    let last = response.first
    for (let r = await response.rest.next(); r.done !== true; r = await response.rest.next()) {
      parts.push(textOf(r.value, kind))
      last = r.value
    }
    const body =
      kind === "chat"
        ? { ...last, message: { role: "assistant", content: parts.join("") } }
        : { ...last, response: parts.join("") }
    sendJson(res, 200, body)
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

const textOf = (chunk: Json, kind: "generate" | "chat"): string =>
  kind === "chat"
    ? String(((chunk.message as Json | undefined)?.content as string | undefined) ?? "")
    : String((chunk.response as string | undefined) ?? "")

const handleGeneration = async (
  engine: SimEngine,
  req: IncomingMessage,
  res: ServerResponse,
  kind: "generate" | "chat",
): Promise<void> => {
  const body = await parseObject(req, kind === "chat" ? "api.ChatRequest" : "api.GenerateRequest", true)
  const controller = new AbortController()
  let response: SimResponse | undefined
  const onClose = () => {
    if (res.writableFinished) return
    controller.abort(new SimError(499, "request canceled"))
    if (response?.kind === "stream") void response.cancel()
  }
  res.on("close", onClose)
  try {
    response =
      kind === "chat"
        ? await engine.chat(body, controller.signal)
        : await engine.generate(body, controller.signal)
    if (controller.signal.aborted) {
      if (response.kind === "stream") await response.cancel()
      return
    }
    await sendResponse(res, response, body.stream !== false, kind)
  } catch (e) {
    if (controller.signal.aborted || res.destroyed) return
    if (res.headersSent) res.end()
    else sendError(res, e)
  }
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
  res.writeHead(404, { "Content-Type": "text/plain" })
  res.end("404 page not found")
}

const route = async (engine: SimEngine, req: IncomingMessage, res: ServerResponse): Promise<void> => {
  const path = (req.url ?? "/").split("?")[0] ?? "/"
  const method = req.method ?? "GET"
  try {
    if (path.startsWith("/sim/")) return await handleSim(engine, req, res, path)
    if (path === "/" && (method === "GET" || method === "HEAD")) {
      res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" })
      res.end(method === "HEAD" ? undefined : "Ollama is running")
      return
    }
    if (path === "/api/version" && method === "GET") return sendJson(res, 200, engine.version())
    if (path === "/api/tags" && method === "GET") return sendJson(res, 200, engine.list())
    if (path === "/api/ps" && method === "GET") return sendJson(res, 200, engine.ps())
    if (path === "/api/show" && method === "POST") {
      const body = await parseObject(req, "api.ShowRequest", true)
      return sendJson(res, 200, engine.show(body.model ?? body.name))
    }
    if (path === "/api/generate" && method === "POST")
      return await handleGeneration(engine, req, res, "generate")
    if (path === "/api/chat" && method === "POST") return await handleGeneration(engine, req, res, "chat")
    res.writeHead(404, { "Content-Type": "text/plain" })
    res.end("404 page not found")
  } catch (e) {
    if (!res.headersSent) sendError(res, e)
    else res.end()
  }
}

/** Serve `engine` on host:port (port 0 picks a free one). */
export const startSimServer = async (
  engine: SimEngine,
  options: { host?: string; port?: number } = {},
): Promise<SimServer> => {
  const host = options.host ?? "127.0.0.1"
  const server = createServer((req, res) => void route(engine, req, res))
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
