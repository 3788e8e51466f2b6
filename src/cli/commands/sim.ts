/**
 * `conductor sim`: serve a simulated GPU host with Ollama's HTTP API (and `/sim/` control), until
 * SIGINT or SIGTERM. Events (loads, evictions, crashes) are logged to stderr as JSON lines.
 */
import { parseArgs } from "node:util"
import {
  loadProfile,
  resolveProfilePath,
  SimEngine,
  type SimProfile,
  SimProfileError,
  type SimServer,
  startSimServer,
} from "../../backends/sim/index.js"
import { intFlag, numberFlag, withUsage } from "../args.js"
import { usageOf } from "../help.js"
import { ExitError } from "../setup.js"

export const SIM_USAGE = usageOf("sim")
export const runSim = async (argv: ReadonlyArray<string>): Promise<number> => {
  const { values } = withUsage(
    () =>
      parseArgs({
        args: [...argv],
        options: {
          profile: { type: "string" },
          port: { type: "string" },
          host: { type: "string" },
          "time-scale": { type: "string" },
          seed: { type: "string" },
          "load-cost-scale": { type: "string" },
        },
        allowPositionals: false,
        strict: true,
      }),
    SIM_USAGE,
  )
  const port = intFlag("port", values.port, 0) ?? 11434
  const timeScale = numberFlag("time-scale", values["time-scale"], 0)
  const seed = intFlag("seed", values.seed, 0)
  const loadCostScale = numberFlag("load-cost-scale", values["load-cost-scale"], 0)
  if (timeScale !== undefined && timeScale <= 0) throw new ExitError(`--time-scale: expected a number > 0`, 2)
  if (loadCostScale !== undefined && loadCostScale <= 0)
    throw new ExitError(`--load-cost-scale: expected a number > 0`, 2)
  let profile: SimProfile
  try {
    profile = loadProfile(resolveProfilePath(values.profile))
  } catch (e) {
    if (e instanceof SimProfileError)
      throw new ExitError(`profile invalid:\n  ${e.message.split("\n").join("\n  ")}`, 1)
    throw e
  }
  const engine = new SimEngine(profile, {
    ...(timeScale !== undefined ? { timeScale } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(loadCostScale !== undefined ? { loadCostScale } : {}),
  })
  engine.subscribe((e) => {
    if (e.type === "request_started" || e.type === "request_finished") return
    process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), ...e })}\n`)
  })
  let server: SimServer
  try {
    server = await startSimServer(engine, { host: values.host ?? "127.0.0.1", port })
  } catch (e) {
    throw new ExitError(`cannot listen on ${values.host ?? "127.0.0.1"}:${port}: ${(e as Error).message}`, 1)
  }
  const capacity = profile.gpus.reduce((s, g) => s + g.vramGb, 0)
  process.stdout.write(
    `conductor sim: ${profile.name} — ${profile.gpus.length} GPU, ${capacity} GB, time scale ${engine.timeScale}, seed ${engine.seed}, load cost ×${engine.state().loadCostScale}\n` +
      `  Ollama API on ${server.url} (OpenAI-compatible under ${server.url}/v1, control under ${server.url}/sim/)\n` +
      `  models: ${profile.models.map((m) => `${m.name} (${m.vramGb} GB)`).join(", ")}\n`,
  )
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once("SIGINT", stop)
    process.once("SIGTERM", stop)
  })
  engine.close()
  await server.close()
  return 0
}
