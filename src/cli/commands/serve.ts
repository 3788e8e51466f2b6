/**
 * `conductor serve`: the orchestrator as a server — WebSocket API, health, metrics and status
 * over HTTP — on Ollama when it answers, else on the embedded simulator. Prints a banner saying
 * which backend is in use, its models and the VRAM budget; logs JSON lines on stderr. SIGTERM or
 * SIGINT drains: not ready, no new queries, in-flight ones get `server.drainMs`, then exit 0.
 */
import { parseArgs } from "node:util"
import { type Conductor, createConductor } from "../../conductor.js"
import { renderIssue } from "../../config/issues.js"
import { ConfigError } from "../../config/load.js"
import { packageVersion } from "../../config/paths.js"
import { SCHEDULING_POLICIES } from "../../config/schema.js"
import { GB } from "../../domain/model-profile.js"
import { logEvents, makeLogger } from "../../logging/logger.js"
import { makeMetrics } from "../../metrics/metrics.js"
import { type RunningServer, startServer } from "../../server/server.js"
import { enumFlag, intFlag, numberFlag, withUsage } from "../args.js"
import { ExitError } from "../setup.js"

export const SERVE_USAGE =
  "usage: conductor serve [--config DIR] [--host ADDR] [--port N] [--backend ollama|sim] [--ollama-host URL]\n" +
  "                       [--sim-profile PATH] [--time-scale X] [--policy ollama|swap-aware]"

const gb = (b: number) => `${(b / GB).toFixed(1)} GB`

export const runServe = async (argv: ReadonlyArray<string>): Promise<number> => {
  const { values } = withUsage(
    () =>
      parseArgs({
        args: [...argv],
        options: {
          config: { type: "string" },
          host: { type: "string" },
          port: { type: "string" },
          backend: { type: "string" },
          "ollama-host": { type: "string" },
          "sim-profile": { type: "string" },
          "time-scale": { type: "string" },
          policy: { type: "string" },
        },
        allowPositionals: false,
        strict: true,
      }),
    SERVE_USAGE,
  )
  const port = intFlag("port", values.port, 0)
  if (port !== undefined && port > 65535) throw new ExitError("--port: expected 0 to 65535", 2)
  const backend = enumFlag("backend", values.backend, ["ollama", "sim"] as const)
  const policy = enumFlag("policy", values.policy, SCHEDULING_POLICIES)
  const timeScale = numberFlag("time-scale", values["time-scale"], 0)
  if (timeScale !== undefined && timeScale <= 0) throw new ExitError("--time-scale: expected a number > 0", 2)

  const overrides = {
    ...(values.host !== undefined || port !== undefined
      ? {
          server: {
            ...(values.host !== undefined ? { host: values.host } : {}),
            ...(port !== undefined ? { port } : {}),
          },
        }
      : {}),
    ...(policy !== undefined ? { scheduler: { policy } } : {}),
  }
  let conductor: Conductor
  try {
    conductor = await createConductor({
      ...(values.config !== undefined ? { configDir: values.config } : {}),
      config: overrides,
      ...(backend !== undefined ? { backend } : {}),
      ...(values["ollama-host"] !== undefined ? { ollamaHost: values["ollama-host"] } : {}),
      ...(values["sim-profile"] !== undefined ? { simProfile: values["sim-profile"] } : {}),
      ...(timeScale !== undefined ? { timeScale } : {}),
    })
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new ExitError(
        `configuration invalid (${e.issues.length} problem${e.issues.length === 1 ? "" : "s"}):\n${e.issues.map((i) => `  ${renderIssue(i)}`).join("\n")}`,
        1,
      )
    }
    throw new ExitError(`cannot start: ${(e as Error).message}`, 1)
  }
  const c = conductor.config.conductor
  const logger = makeLogger(c.logging.level)
  const metrics = makeMetrics()
  conductor.subscribe(metrics.observe)
  logEvents((l) => conductor.subscribe(l), logger, c.logging.prompts)
  const snap = conductor.snapshot()
  // Gauges start from the present, not from zero.
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
  const available = snap.models.filter((m) => m.available).map((m) => m.name)
  const missing = snap.models.length - available.length
  const b = snap.backend
  process.stdout.write(
    [
      `Conductor ${packageVersion()} listening on ${server.url} — WebSocket ${wsUrl}/ws`,
      `  backend: ${b.kind === "sim" ? "embedded simulator" : "Ollama"} (${b.description}; ${b.choice})`,
      `  models: ${available.join(", ") || "none"}${missing > 0 ? ` (${missing} registry models not on this backend)` : ""}`,
      `  VRAM budget: ${gb(snap.vram.budget)} of ${gb(snap.vram.capacity)} (${snap.hardware.source}); policy ${snap.policy}`,
      `  auth: ${token !== undefined ? "token required (CONDUCTOR_TOKEN)" : "none (set CONDUCTOR_TOKEN to require one)"}`,
      `  console: ${server.url}/ui`,
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
