/**
 * The operators' routes: `/healthz` (alive; no token), `/readyz` (a query would be served: not
 * draining, the backend reachable, and some routable model's breaker admits work — the body says
 * which breakers refuse and why it is not ready), `/metrics` (Prometheus text) and `/v1/status`
 * (Conductor's snapshot, the connections, the personas and the process). Errors here are
 * Conductor's own shape, `{"type":"error","code","message"}`.
 */
import { Hono } from "hono"
import type { Conductor } from "../conductor.js"
import type { ConductorMetrics } from "../metrics/metrics.js"

export interface OpsDeps {
  readonly conductor: Conductor
  readonly metrics: ConductorMetrics
  readonly draining: () => boolean
  readonly connections: () => number
}

/** Conductor's error body. */
export const opsError = (code: string, message: string) => ({ type: "error" as const, code, message })

export const opsRoutes = (deps: OpsDeps): Hono => {
  const { conductor, metrics } = deps
  const ready = () => !deps.draining() && conductor.readiness().ready
  const app = new Hono()
  app.get("/healthz", (c) => c.json({ status: "ok" }))
  app.get("/readyz", (c) => {
    const r = conductor.readiness()
    const draining = deps.draining()
    const ok = !draining && r.ready
    const reasons = draining && !r.closing ? ["the server is draining", ...r.reasons] : r.reasons
    return c.json(
      {
        ready: ok,
        config: "loaded",
        backend: r.backend,
        draining,
        models: { routable: r.routable, admitting: r.admitting },
        breakers: r.refusing,
        ...(reasons.length > 0 ? { reason: reasons.join("; ") } : {}),
      },
      ok ? 200 : 503,
    )
  })
  app.get("/metrics", async (c) => {
    metrics.ready.set(ready() ? 1 : 0)
    return c.body(await metrics.text(), 200, { "content-type": metrics.registry.contentType })
  })
  app.get("/v1/status", (c) => {
    const memory = process.memoryUsage()
    const cpu = process.cpuUsage()
    return c.json({
      draining: deps.draining(),
      connections: deps.connections(),
      ...conductor.snapshot(),
      personas: [...conductor.config.personas.keys()],
      process: {
        heapUsedBytes: memory.heapUsed,
        rssBytes: memory.rss,
        cpuUserMs: cpu.user / 1000,
        cpuSystemMs: cpu.system / 1000,
      },
    })
  })
  // The WebSocket endpoint, asked for without an upgrade.
  app.get("/ws", (c) =>
    c.json(opsError("invalid_message", "/ws is a WebSocket endpoint: upgrade to connect"), 426),
  )
  return app
}
