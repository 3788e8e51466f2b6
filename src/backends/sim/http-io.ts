/**
 * Reading and writing the simulator's HTTP bodies as Ollama's gin server does: JSON bodies read
 * with Go's decoder error texts (and Go's null-is-unset rule), JSON answers, `{"error": …}`
 * errors with Ollama's status codes, and gin's plain-text 404 and 405 pages.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { SimError } from "./errors.js"
import type { Json } from "./requests.js"

const MAX_BODY = 32 * 1024 * 1024

export const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  sendJsonText(res, status, JSON.stringify(body))
}

/** Send JSON already serialised (embeddings print their float32 values themselves). */
export const sendJsonText = (res: ServerResponse, status: number, data: string): void => {
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(data),
  })
  res.end(data)
}

/** The status and message of anything thrown: SimErrors carry Ollama's; others are 500s. */
export const failureOf = (e: unknown): { status: number; message: string } =>
  e instanceof SimError
    ? { status: e.status === 0 ? 503 : e.status, message: e.message }
    : { status: 500, message: e instanceof Error ? e.message : String(e) }

export const sendError = (res: ServerResponse, e: unknown): void => {
  const { status, message } = failureOf(e)
  sendJson(res, status, { error: message })
}

/** gin's default 404 and 405 pages (text/plain). */
export const sendPlain = (res: ServerResponse, status: number, text: string, headers: Json = {}): void => {
  res.writeHead(status, { "Content-Type": "text/plain", ...headers })
  res.end(text)
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

/**
 * Parse a JSON object body (the untrusted JSON the engine then checks field by field);
 * `required` bodies reject an empty one with Ollama's message.
 */
export const parseObject = async (req: IncomingMessage, what: string, required: boolean): Promise<Json> => {
  const text = await readBody(req)
  if (text.trim() === "") {
    if (required) throw new SimError(400, what.startsWith("openai.") ? "EOF" : "missing request body")
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

/**
 * Abort `controller` when the client goes away before the answer is finished (a closed
 * connection cancels the request and frees its slot, as Ollama's request context does).
 */
export const abortOnClose = (res: ServerResponse, controller: AbortController, also?: () => void): void => {
  res.on("close", () => {
    if (res.writableFinished) return
    controller.abort(new SimError(499, "request canceled"))
    also?.()
  })
}
