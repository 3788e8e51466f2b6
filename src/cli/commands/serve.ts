/**
 * `conductor serve`: the orchestrator as a server — WebSocket API, health, metrics and status
 * over HTTP — on Ollama when it answers, else on the embedded simulator. Prints a banner saying
 * which backend is in use, its models and the VRAM budget; logs JSON lines on stderr. SIGTERM or
 * SIGINT drains: not ready, no new queries, in-flight ones get `server.drainMs`, then exit 0.
 */
import { parseArgs } from "node:util"
import { packageVersion } from "../../config/paths.js"
import { logEvents, makeLogger } from "../../logging/logger.js"
import { makeMetrics } from "../../metrics/metrics.js"
import { type RunningServer, startServer } from "../../server/server.js"
import { intFlag, withUsage } from "../args.js"
import { BACKEND_OPTIONS, backendOptions, describeBackend, startConductor } from "../backend.js"
import { usageOf } from "../help.js"
import { ExitError } from "../setup.js"

export const SERVE_USAGE = usageOf("serve")

export const runServe = async (argv: ReadonlyArray<string>): Promise<number> => {
  const { values } = withUsage(
    () =>
      parseArgs({
        args: [...argv],
        options: {
          ...BACKEND_OPTIONS,
          host: { type: "string" },
          port: { type: "string" },
        },
        allowPositionals: false,
        strict: true,
      }),
    SERVE_USAGE,
  )
  const port = intFlag("port", values.port, 0)
  if (port !== undefined && port > 65535) throw new ExitError("--port: expected 0 to 65535", 2)
  const chosen = backendOptions(values)

  const overrides = {
    ...(values.host !== undefined || port !== undefined
      ? {
          server: {
            ...(values.host !== undefined ? { host: values.host } : {}),
            ...(port !== undefined ? { port } : {}),
          },
        }
      : {}),
  }
  const options = { ...chosen, config: overrides }
  const conductor = await startConductor(options)
  const c = conductor.config.conductor
  const logger = makeLogger(c.logging.level)
  const metrics = makeMetrics({ tenants: Object.keys(conductor.config.conductor.tenants) })
  conductor.subscribe(metrics.observe)
  logEvents((l) => conductor.subscribe(l), logger, c.logging.prompts)
  const snap = conductor.snapshot()
  // Every registry model's series exist from the start; gauges then start from the present.
  const breakers = new Map(snap.breakers.map((b) => [b.model, b.state]))
  metrics.startModels(
    snap.models.map((m) => {
      const state = breakers.get(m.name)
      return state === undefined ? { name: m.name } : { name: m.name, breaker: state }
    }),
  )
  metrics.observe({
    type: "vram",
    usedBytes: snap.vram.used,
    budgetBytes: snap.vram.budget,
    capacityBytes: snap.vram.capacity,
  })
  for (const m of snap.models) {
    if (m.state === "resident")
      metrics.observe({ type: "model_loaded", model: m.name, bytes: m.bytes, loadMs: m.loadMs })
  }

  const token =
    process.env.CONDUCTOR_TOKEN !== undefined && process.env.CONDUCTOR_TOKEN !== ""
      ? process.env.CONDUCTOR_TOKEN
      : undefined
  let server: RunningServer
  try {
    server = await startServer({
      conductor,
      config: c.server,
      metrics,
      logger,
      token,
      version: packageVersion(),
      logPrompts: c.logging.prompts,
    })
  } catch (e) {
    await conductor.close()
    throw new ExitError(`cannot listen on ${c.server.host}:${c.server.port}: ${(e as Error).message}`, 1)
  }

  const wsUrl = server.url.replace(/^http/, "ws")
  const told = describeBackend(conductor)
  const b = snap.backend
  process.stdout.write(
    [
      `Conductor ${packageVersion()} listening on ${server.url} — WebSocket ${wsUrl}/ws`,
      `  backend: ${told.backend}`,
      `  models: ${told.models}`,
      `  VRAM budget: ${told.budget}; policy ${snap.policy}`,
      `  auth: ${token !== undefined ? "token required (CONDUCTOR_TOKEN)" : "none (set CONDUCTOR_TOKEN to require one)"}`,
      `  console: ${server.url}/ui`,
      `  OpenAI API: ${server.url}/v1 (chat/completions, models, embeddings, feedback) — model "auto" routes`,
      `  Ollama API: ${server.url}/api (chat, generate, embed, tags, ps, show)`,
      `  endpoints: /ws /healthz /readyz /metrics /v1/status /v1/models/{name}/load|unload|pin`,
      "",
    ].join("\n"),
  )
  logger.log("info", "listening", {
    url: server.url,
    backend: b.description,
    policy: snap.policy,
    budgetBytes: snap.vram.budget,
  })

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.log("info", "shutting down", { signal })
      // A second signal does not wait for the drain.
      process.once("SIGINT", () => process.exit(130))
      process.once("SIGTERM", () => process.exit(143))
      resolve()
    }
    process.once("SIGINT", () => stop("SIGINT"))
    process.once("SIGTERM", () => stop("SIGTERM"))
  })
  await server.drain()
  logger.log("info", "stopped", {})
  // Everything is closed; should a library keep a handle open, do not hang on it.
  setTimeout(() => process.exit(0), 1_000).unref()
  return 0
}
