/**
 * The operators' admin API for models: `POST /v1/models/{name}/load` (queues and loads through
 * the scheduler and the VRAM budget like any request; answers once the model is resident),
 * `POST /v1/models/{name}/unload` (now when idle, else the model drains) and
 * `POST /v1/models/{name}/pin` with `{"pinned": true|false}`. Names contain `:` and may contain
 * `/` (`hf.co/org/model:Q4`), so the name is everything between `/v1/models/` and the action.
 * Answers and errors are Conductor's JSON (`{"type":"error","code","message"}`): 404 for a model
 * not in the registry, 409 for unloading a pinned model, 400 for a bad body. The token, when
 * set, is enforced by the app's gate like on every route.
 */
import { type Context, Hono } from "hono"
import { readJsonBody } from "../api/body.js"
import type { Conductor } from "../conductor.js"
import { type ErrorReason, isConductorError } from "../domain/errors.js"
import { opsError } from "./ops.js"

export interface AdminDeps {
  readonly conductor: Conductor
  readonly draining: () => boolean
  /** Largest request body, bytes (`server.maxRequestBytes`). */
  readonly maxRequestBytes: number
}

const ACTIONS = ["load", "unload", "pin"] as const

/** An admin route's path (its errors are rendered in Conductor's shape, not OpenAI's). */
export const isAdminPath = (path: string): boolean =>
  path.startsWith("/v1/models/") && ACTIONS.some((a) => path.endsWith(`/${a}`))

const STATUS: Readonly<Record<ErrorReason, number>> = {
  BadRequest: 400,
  ModelNotFound: 404,
  QueueFull: 429,
  Cancelled: 499,
  Crashed: 502,
  ValidationFailed: 502,
  NoModelAvailable: 503,
  CircuitOpen: 503,
  Unavailable: 503,
  OutOfMemory: 503,
  Timeout: 504,
}

const CODE: Readonly<Record<ErrorReason, string>> = {
  BadRequest: "invalid_request",
  ModelNotFound: "model_not_found",
  QueueFull: "queue_full",
  Cancelled: "cancelled",
  Crashed: "load_failed",
  ValidationFailed: "load_failed",
  NoModelAvailable: "unavailable",
  CircuitOpen: "circuit_open",
  Unavailable: "unavailable",
  OutOfMemory: "out_of_memory",
  Timeout: "timeout",
}

const fail = (c: Context, status: number, code: string, message: string) =>
  c.json(opsError(code, message), status as 400)

/** A ConductorError as an answer (anything else is a bug: rethrown to the app's 500). */
const failWith = (c: Context, e: unknown) => {
  if (!isConductorError(e)) throw e
  return fail(c, STATUS[e.reason], CODE[e.reason], e.message)
}

const nameOf = (c: Context): string => c.req.param("name") ?? ""

/** `{"pinned": boolean}` and nothing else. */
const pinnedOf = (body: unknown): { ok: true; pinned: boolean } | { ok: false; message: string } => {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { ok: false, message: 'request: expected a JSON object like {"pinned": true}' }
  const unknown = Object.keys(body).filter((k) => k !== "pinned")
  if (unknown.length > 0) return { ok: false, message: `${unknown[0]}: unknown field (expected only pinned)` }
  const pinned = (body as { pinned?: unknown }).pinned
  if (typeof pinned !== "boolean") return { ok: false, message: "pinned: expected true or false" }
  return { ok: true, pinned }
}

export const adminRoutes = (deps: AdminDeps): Hono => {
  const { conductor } = deps
  const app = new Hono()

  app.post("/v1/models/:name{.+}/load", async (c) => {
    if (deps.draining()) return fail(c, 503, "draining", "the server is shutting down")
    try {
      // A client that goes away leaves the queue.
      const loaded = await conductor.load(nameOf(c), { signal: c.req.raw.signal })
      return c.json({ model: loaded.model, state: "resident", loadMs: loaded.loadMs })
    } catch (e) {
      return failWith(c, e)
    }
  })

  app.post("/v1/models/:name{.+}/unload", (c) => {
    try {
      return c.json(conductor.unload(nameOf(c)))
    } catch (e) {
      // The one BadRequest unload raises: the model is pinned.
      if (isConductorError(e) && e.reason === "BadRequest") return fail(c, 409, "model_pinned", e.message)
      return failWith(c, e)
    }
  })

  app.post("/v1/models/:name{.+}/pin", async (c) => {
    const body = await readJsonBody(c, deps.maxRequestBytes)
    if (!body.ok)
      return fail(c, body.status, body.status === 413 ? "payload_too_large" : "invalid_request", body.message)
    const pin = pinnedOf(body.value)
    if (!pin.ok) return fail(c, 400, "invalid_request", pin.message)
    try {
      return c.json(conductor.pin(nameOf(c), pin.pinned))
    } catch (e) {
      return failWith(c, e)
    }
  })

  return app
}
