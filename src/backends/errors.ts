/**
 * Maps what a model server says (HTTP status and Ollama's error texts, or a connection failure)
 * onto ConductorError reasons, so both adapters fail the same way for the same cause. A
 * RangeError (a stack overflow in our own code) is the request's BadRequest, never the backend's.
 */
import { type ConductorError, conductorError } from "../domain/errors.js"

/** How long to wait before retrying a full queue (Ollama gives no hint). */
export const QUEUE_FULL_RETRY_MS = 1000

/** Ollama's "model requires more system memory (5.9 GiB) than is available (3.2 GiB)" → bytes required. */
export const requiredBytesOf = (message: string): number | undefined => {
  const m = /requires more system memory \(([\d.]+)\s*(GiB|MiB|GB|MB)\)/i.exec(message)
  if (m === null) return undefined
  const n = Number(m[1])
  const unit = (m[2] ?? "GiB").toUpperCase()
  return Math.round(n * (unit === "GIB" ? 1024 ** 3 : unit === "MIB" ? 1024 ** 2 : unit === "GB" ? 1e9 : 1e6))
}

export const fromServerError = (
  status: number | undefined,
  message: string,
  model?: string,
): ConductorError => {
  const m = message.toLowerCase()
  const extra = model !== undefined ? { model } : {}
  if (status === 404 || /not found/.test(m)) return conductorError("ModelNotFound", message, extra)
  if (status === 503 || m.includes("server busy") || m.includes("maximum pending requests")) {
    return conductorError("QueueFull", message, { ...extra, retryAfterMs: QUEUE_FULL_RETRY_MS })
  }
  if (status === 499 || m.includes("request canceled")) return conductorError("Cancelled", message, extra)
  if (
    /requires more system memory|out of memory|cudamalloc|failed to allocate|insufficient memory|not enough memory/.test(
      m,
    )
  ) {
    const requiredBytes = requiredBytesOf(message)
    return conductorError("OutOfMemory", message, {
      ...extra,
      ...(requiredBytes !== undefined ? { details: { requiredBytes } } : {}),
    })
  }
  if (
    /runner process|no longer running|signal:|exit status|segmentation fault|error was encountered while running|did not receive done|stream ended/.test(
      m,
    )
  ) {
    return conductorError("Crashed", message, extra)
  }
  if (status === 400) return conductorError("BadRequest", message, extra)
  if (status === 408 || status === 504 || m.includes("timeout"))
    return conductorError("Timeout", message, extra)
  if (status !== undefined && status >= 500) return conductorError("Unavailable", message, extra)
  return conductorError("Unavailable", message, extra)
}

const CONNECTION =
  /econnrefused|econnreset|enotfound|ehostunreach|etimedout|epipe|socket hang up|fetch failed|other side closed|network/i

/** Any thrown value from a client call → ConductorError. */
export const fromThrown = (e: unknown, model?: string, aborted = false): ConductorError => {
  const extra = model !== undefined ? { model } : {}
  if (aborted) return conductorError("Cancelled", "request cancelled", extra)
  if (typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "ConductorError") {
    return e as ConductorError
  }
  const err = e as {
    name?: string
    message?: string
    status_code?: number
    status?: number
    cause?: unknown
    code?: string
  }
  const message = err?.message ?? String(e)
  if (err?.name === "AbortError") return conductorError("Cancelled", "request cancelled", extra)
  // A server's answer: ollama-js's ResponseError, or any error carrying the status where it does.
  if (err?.name === "ResponseError" || typeof err?.status_code === "number") {
    const status = err.status_code ?? err.status
    if (err.code === "ECONNREFUSED") return conductorError("Unavailable", message, { ...extra, cause: e })
    return fromServerError(status, message, model)
  }
  // Our own code ran out of stack (or a length limit) on the request's data: the request's
  // problem — values nested too deep — never the backend's.
  if (e instanceof RangeError) {
    return conductorError(
      "BadRequest",
      `the request could not be prepared for the backend: ${message} (a value in it is nested too deep or too large)`,
      { ...extra, cause: e },
    )
  }
  const cause = err?.cause as { code?: string; message?: string } | undefined
  if (CONNECTION.test(message) || (cause?.code !== undefined && CONNECTION.test(cause.code))) {
    return conductorError("Unavailable", `${message}${cause?.message ? `: ${cause.message}` : ""}`, {
      ...extra,
      cause: e,
    })
  }
  // A mid-stream error line arrives as a plain Error carrying the server's text.
  return fromServerError(undefined, message, model)
}
