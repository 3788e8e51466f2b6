/**
 * `conductor sim`: serve simulated GPU hosts with Ollama's HTTP API (and `/sim/` control), until
 * SIGINT or SIGTERM — one host, or `--hosts N` on consecutive ports (each its own engine, with
 * its own profile when `--profile` lists several). Events (loads, evictions, crashes) are logged
 * to stderr as JSON lines, with the host's port when there are several.
 */
import { parseArgs } from "node:util"
import { splitHostList } from "../../backends/hosts.js"
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
          hosts: { type: "string" },
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
  const names = values.profile === undefined ? [undefined] : splitHostList(values.profile)
  if (names.length === 0) throw new ExitError("--profile: expected a profile name or file", 2)
  const count = intFlag("hosts", values.hosts, 1) ?? names.length
  let profiles: SimProfile[]
  try {
    profiles = names.map((n) => loadProfile(resolveProfilePath(n)))
  } catch (e) {
    if (e instanceof SimProfileError)
      throw new ExitError(`profile invalid:\n  ${e.message.split("\n").join("\n  ")}`, 1)
    throw e
  }
  const listen = values.host ?? "127.0.0.1"
  const running: Array<{ engine: SimEngine; server: SimServer }> = []
  const stopAll = async () => {
    for (const r of running) {
      r.engine.close()
      await r.server.close()
    }
  }
  for (let i = 0; i < count; i++) {
    const profile = profiles[i % profiles.length] as SimProfile
    const engine = new SimEngine(profile, {
      ...(timeScale !== undefined ? { timeScale } : {}),
      ...(seed !== undefined ? { seed: seed + i } : {}),
      ...(loadCostScale !== undefined ? { loadCostScale } : {}),
    })
    const at = port === 0 ? 0 : port + i
    engine.subscribe((e) => {
      if (e.type === "request_started" || e.type === "request_finished") return
      const tag = count > 1 ? { simHost: i + 1 } : {}
      process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), ...tag, ...e })}\n`)
    })
    let server: SimServer
    try {
      server = await startSimServer(engine, { host: listen, port: at })
    } catch (e) {
      await stopAll()
      throw new ExitError(`cannot listen on ${listen}:${at}: ${(e as Error).message}`, 1)
    }
    running.push({ engine, server })
    const capacity = profile.gpus.reduce((s, g) => s + g.vramGb, 0)
    process.stdout.write(
      `conductor sim${count > 1 ? ` [host ${i + 1}/${count}]` : ""}: ${profile.name} — ${profile.gpus.length} GPU, ${capacity} GB, time scale ${engine.timeScale}, seed ${engine.seed}, load cost ×${engine.state().loadCostScale}\n` +
        `  Ollama API on ${server.url} (OpenAI-compatible under ${server.url}/v1, control under ${server.url}/sim/)\n` +
        `  models: ${profile.models.map((m) => `${m.name} (${m.vramGb} GB)`).join(", ")}\n`,
    )
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once("SIGINT", stop)
    process.once("SIGTERM", stop)
  })
  await stopAll()
  return 0
}
