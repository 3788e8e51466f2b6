/**
 * What `conductor route` plans against, and the line that says so. Without a backend: every
 * registry model and the configured budget (`--vram-gb`, else `hardware.vramGb`, else no limit).
 * With `--backend ollama|sim`: what `serve` would plan against on that backend — Conductor is
 * started as `serve` starts it, and its registry (with the backend's own models and footprints),
 * the models the backend has and its budget are used, then it is closed.
 */
import type { Config } from "../config/load.js"
import { formatGb } from "../domain/model-profile.js"
import type { ModelRegistry } from "../registry/registry.js"
import {
  BACKEND_OPTIONS,
  type BackendFlags,
  backendOptions,
  describeBackend,
  startConductor,
} from "./backend.js"
import { configuredBudgetBytes } from "./setup.js"

/** The `parseArgs` options that choose a backend to plan against (time does not matter here). */
export const PLANNING_OPTIONS = {
  backend: BACKEND_OPTIONS.backend,
  "ollama-host": BACKEND_OPTIONS["ollama-host"],
  "sim-profile": BACKEND_OPTIONS["sim-profile"],
  config: BACKEND_OPTIONS.config,
} as const

export interface Planning {
  /** The registry to route over (undefined: the configuration's). */
  readonly registry?: ModelRegistry
  /** The models that may be chosen (undefined: any registry model). */
  readonly available?: ReadonlyArray<string>
  readonly budgetBytes: number | undefined
  /** "Planning against: …" */
  readonly line: string
}

const budgetText = (bytes: number | undefined, why: string): string =>
  bytes === undefined
    ? "no memory limit (set hardware.vramGb or --vram-gb)"
    : `the VRAM budget ${formatGb(bytes)} (${why})`

export const planning = async (
  config: Config,
  values: BackendFlags,
  vramGb: number | undefined,
): Promise<Planning> => {
  if (values.backend === undefined) {
    const budgetBytes = configuredBudgetBytes(config, vramGb)
    const why =
      vramGb !== undefined ? `--vram-gb ${vramGb}` : `hardware.vramGb ${config.conductor.hardware.vramGb}`
    return {
      budgetBytes,
      line:
        `Planning against: the registry's ${config.models.filter((m) => m.kind === "chat").length} models (${config.sources.models}) and ` +
        `${budgetText(budgetBytes, why)}; --backend ollama|sim plans as \`serve\` would`,
    }
  }
  const options = backendOptions(values)
  const conductor = await startConductor(options)
  try {
    const p = conductor.planning()
    const told = describeBackend(conductor)
    const budgetBytes = vramGb !== undefined ? configuredBudgetBytes(config, vramGb) : p.budgetBytes
    const budget =
      vramGb !== undefined ? budgetText(budgetBytes, `--vram-gb ${vramGb}`) : `the VRAM budget ${told.budget}`
    const chat = new Set(
      conductor
        .models()
        .filter((m) => m.kind === "chat")
        .map((m) => m.name),
    )
    const models =
      p.available === undefined
        ? `it did not answer, so the registry's ${chat.size} models`
        : `the ${p.available.filter((m) => chat.has(m)).length} models it has (${p.available.filter((m) => chat.has(m)).join(", ")})`
    return {
      registry: p.registry,
      ...(p.available !== undefined ? { available: p.available } : {}),
      budgetBytes,
      line: `Planning against: ${told.backend}: ${models} and ${budget}`,
    }
  } finally {
    await conductor.close()
  }
}

/** The models a request may choose: those it names, among those planned against. */
export const availableFor = (
  named: ReadonlyArray<string> | undefined,
  planned: ReadonlyArray<string> | undefined,
): ReadonlyArray<string> | undefined =>
  planned === undefined ? named : named === undefined ? planned : named.filter((m) => planned.includes(m))
