/**
 * Where models run, chosen the same way by `serve`, `ask` and `route --backend`: the flags
 * (`--backend`, `--ollama-host`, `--sim-profile`, `--time-scale`, `--config`), a Conductor started
 * from them (configuration problems and refusals become exit codes with their messages), and the
 * lines that tell the user what was chosen — which backend and why, whether it answered, and
 * where the VRAM budget comes from (never this machine's memory for a GPU on another machine).
 */
import { type Conductor, type ConductorOptions, createConductor } from "../conductor.js"
import { renderInvalidConfig } from "../config/issues.js"
import { ConfigError } from "../config/load.js"
import { isConductorError } from "../domain/errors.js"
import { formatGb } from "../domain/model-profile.js"
import { isLocalHost } from "../gpu/remote.js"
import { enumFlag, numberFlag } from "./args.js"
import { ExitError } from "./setup.js"

/** The `parseArgs` options of the backend flags. */
export const BACKEND_OPTIONS = {
  backend: { type: "string" },
  "ollama-host": { type: "string" },
  "sim-profile": { type: "string" },
  "time-scale": { type: "string" },
  config: { type: "string" },
} as const

export interface BackendFlags {
  readonly backend?: string | undefined
  readonly "ollama-host"?: string | undefined
  readonly "sim-profile"?: string | undefined
  readonly "time-scale"?: string | undefined
  readonly config?: string | undefined
}

/** The flags as Conductor options (validated: usage errors exit 2). */
export const backendOptions = (values: BackendFlags): ConductorOptions => {
  const backend = enumFlag("backend", values.backend, ["ollama", "sim"] as const)
  const timeScale = numberFlag("time-scale", values["time-scale"], 0)
  if (timeScale !== undefined && timeScale <= 0) throw new ExitError("--time-scale: expected a number > 0", 2)
  return {
    ...(values.config !== undefined ? { configDir: values.config } : {}),
    ...(backend !== undefined ? { backend } : {}),
    ...(values["ollama-host"] !== undefined ? { ollamaHost: values["ollama-host"] } : {}),
    ...(values["sim-profile"] !== undefined ? { simProfile: values["sim-profile"] } : {}),
    ...(timeScale !== undefined ? { timeScale } : {}),
  }
}

/** Start Conductor; an invalid configuration lists every problem, a refusal says why (exit 1). */
export const startConductor = async (options: ConductorOptions): Promise<Conductor> => {
  try {
    return await createConductor(options)
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new ExitError(renderInvalidConfig(e.issues), 1)
    }
    throw new ExitError(`cannot start: ${isConductorError(e) ? e.message : (e as Error).message}`, 1)
  }
}

/** What the user is told about the backend, the models it has and the budget, one line each. */
export const describeBackend = (
  conductor: Conductor,
): { readonly backend: string; readonly models: string; readonly budget: string } => {
  const snap = conductor.snapshot()
  const b = snap.backend
  const registry = conductor.models().filter((m) => m.kind === "chat")
  const available = registry.filter((m) => m.available).map((m) => m.name)
  const missing = registry.length - available.length
  // Every GPU host Conductor owns (one, or the `--ollama-host A,B` / backend.hosts list).
  const urls = b.kind === "ollama" ? snap.hosts.map((h) => h.url) : []
  const host = urls.length > 0 ? urls.join(", ") : undefined
  const remote = urls.filter((u) => !isLocalHost(u))
  const models = !b.reachable
    ? `unknown: ${b.kind === "ollama" ? `Ollama at ${host}` : "the backend"} did not answer, so none were discovered (routing picks from all ${registry.length} registry models; one the backend lacks fails over to the next)`
    : `${available.join(", ") || "none"}${missing > 0 ? ` (${missing} registry models not on this backend)` : ""}`
  const source =
    remote.length > 0
      ? `hardware.vramGb: the GPU is on another machine (${remote.join(", ")}), not detected here`
      : snap.hardware.source
  const hosts =
    snap.hosts.length > 1
      ? ` across ${snap.hosts.length} GPU hosts (${snap.hosts.map((h) => h.name).join(", ")})`
      : ""
  return {
    backend: `${b.kind === "sim" ? "embedded simulator" : "Ollama"} (${b.description}; ${b.choice})`,
    models,
    budget: `${formatGb(snap.vram.budget)} of ${formatGb(snap.vram.capacity)}${hosts} (${source})`,
  }
}
