/**
 * The HTTP application of `conductor serve` (Hono): the gate on every route (host, origin, token;
 * `/healthz` needs no token, CORS preflights none, nor the console's page and assets), CORS for
 * `server.allowedOrigins` on the compatible APIs, the operators' routes and admin API, the web
 * console at `/ui`, the OpenAI-compatible API under `/v1` and the Ollama-compatible API under
 * `/api`. A path no route has answers 404; a path with routes for
 * other methods answers 405 with `Allow`. Each API renders errors in its own shape.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono"
import { cors } from "hono/cors"
import type { ApiDeps } from "../api/deps.js"
import { feedbackRoutes } from "../api/feedback.js"
import { ollamaRoutes } from "../api/ollama/index.js"
import { openaiError, openaiRoutes } from "../api/openai/index.js"
import { consoleRoutes, isConsolePath } from "../console/routes.js"
import { adminRoutes, isAdminPath } from "./admin.js"
import { checkGate, type GatePolicy, originAllowed, type Refusal } from "./gate.js"
import { allowedMethods } from "./methods.js"
import { type OpsDeps, opsError, opsRoutes } from "./ops.js"

export interface AppDeps extends ApiDeps, OpsDeps {
  readonly policy: GatePolicy
}

/** How one API family writes a refusal or a missing route. */
type Render = (c: Context, status: number, code: string, message: string) => Response

const renderOps: Render = (c, status, code, message) => c.json(opsError(code, message), status as 400)
const renderOpenai: Render = (c, status, code, message) =>
  c.json(openaiError(status, message, code), status as 400)
const renderOllama: Render = (c, status, _code, message) => c.json({ error: message }, status as 400)

const familyOf = (path: string): Render =>
  path.startsWith("/api/")
    ? renderOllama
    : path.startsWith("/v1/") && path !== "/v1/status" && !isAdminPath(path)
      ? renderOpenai
      : renderOps

/** The gate as middleware: liveness, CORS preflights and the console's page and assets go without a token. */
const gate =
  (policy: GatePolicy): MiddlewareHandler =>
  async (c, next) => {
    const path = c.req.path
    const refusal: Refusal | undefined = checkGate(
      { header: (name) => c.req.header(name), query: (name) => c.req.query(name) },
      policy,
      { auth: path !== "/healthz" && c.req.method !== "OPTIONS" && !isConsolePath(path) },
    )
    if (refusal !== undefined) return familyOf(path)(c, refusal.status, refusal.code, refusal.message)
    await next()
  }

export const makeApp = (deps: AppDeps): Hono => {
  const app = new Hono()
  app.use(gate(deps.policy))
  const corsFor = cors({
    origin: (origin) => (originAllowed(origin, deps.policy.allowedOrigins) ? origin : null),
    // The headers a preflight asks for are allowed (the SDKs send their own x-stainless-* ones):
    // the gate has already admitted the origin.
    exposeHeaders: [
      "x-conductor-request-id",
      "x-conductor-model",
      "x-conductor-tier",
      "x-conductor-reason",
      "x-conductor-stream",
      "retry-after",
    ],
    maxAge: 600,
  })
  // CORS concerns browsers, which send Origin on every cross-origin request. Without one, the
  // middleware would only cost time (it builds the response before the handler, rebuilds it to
  // add Vary afterwards, and tries to parse the empty origin as a URL): such a request gets just
  // the Vary header caches need, set before the handler so it is not rebuilt.
  const corsIfOrigin: MiddlewareHandler = async (c, next) => {
    if (c.req.header("origin") !== undefined) return corsFor(c, next)
    c.header("vary", "Origin")
    await next()
  }
  app.use("/v1/*", corsIfOrigin)
  app.use("/api/*", corsIfOrigin)
  app.route("/", opsRoutes(deps))
  app.route("/", adminRoutes(deps))
  app.route("/", consoleRoutes({ tokenRequired: deps.policy.token !== undefined }))
  app.route("/v1", openaiRoutes(deps))
  app.route("/v1", feedbackRoutes(deps))
  app.route("/api", ollamaRoutes(deps))

  const methods = allowedMethods(app.routes)
  app.notFound((c) => {
    const path = c.req.path
    const render = familyOf(path)
    const allow = methods(path)
    if (allow.length > 0) {
      c.header("allow", allow.join(", "))
      return render(
        c,
        405,
        "method_not_allowed",
        `${c.req.method} ${path} is not allowed; use ${allow.join(" or ")}`,
      )
    }
    return render(
      c,
      404,
      "not_found",
      `no route ${path}; see docs/openai.md, docs/ollama.md and docs/protocol.md`,
    )
  })
  app.onError((e, c) => {
    deps.logger.log("error", "http handler failed", { path: c.req.path, error: String(e) })
    return familyOf(c.req.path)(c, 500, "internal", "internal error")
  })
  return app
}
