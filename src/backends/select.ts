/**
 * Where models run: which backend (Ollama, or the embedded simulator — chosen, or Ollama if any
 * listed host answers), on which clock, and for each GPU host its backend adapter, its hardware
 * (from the host's simulator profile, its `vramGb`, or detection when it is this machine — never
 * this machine's memory for a GPU elsewhere) and its loaded-model limit. The composition root
 * builds one owner per host from these (src/gpu/host.ts).
 */
import { Effect, Result } from "effect"
import type { ConductorFile } from "../config/schema.js"
import { GB } from "../domain/model-profile.js"
import { type HardwareReport, simulatedHardware } from "../gpu/hardware.js"
import { hardwareForOllama } from "../gpu/remote.js"
import { ScaledClock, type TimeSource } from "../time/clock.js"
import { type HostSpec, resolveHosts, splitHostList } from "./hosts.js"
import { makeOllamaBackend } from "./ollama/adapter.js"
import type { BackendShape } from "./port.js"
import { makeSimBackend } from "./sim/adapter.js"
import { SimEngine } from "./sim/engine.js"
import { loadProfile } from "./sim/profile.js"
import { resolveProfilePath } from "./sim/profile-path.js"

export interface HostBackend {
  readonly spec: HostSpec
  readonly backend: BackendShape
  readonly hardware: HardwareReport
  readonly maxLoaded: number
  readonly engine: SimEngine | undefined
}

export interface BackendSelection {
  readonly kind: "ollama" | "sim"
  /** Why this backend: configured, or what the automatic choice found. */
  readonly choice: string
  readonly time: TimeSource
  readonly hosts: ReadonlyArray<HostBackend>
}

export interface SelectOptions {
  readonly backend?: "ollama" | "sim" | undefined
  /** One profile, or a comma-separated list (one simulated host each). */
  readonly simProfile?: string | undefined
  /** Simulated hosts (default: one per listed profile); profiles repeat when fewer are listed. */
  readonly simHosts?: number | undefined
  readonly ollamaHost?: string | undefined
  readonly clock?: TimeSource | undefined
  readonly timeScale?: number | undefined
  readonly seed?: number | undefined
  readonly env: NodeJS.ProcessEnv
}

/** How long Ollama has to answer `/api/version` when the backend is chosen automatically. */
const PROBE_MS = 1000

export const selectBackends = async (options: SelectOptions, c: ConductorFile): Promise<BackendSelection> => {
  const specs = resolveHosts(options.ollamaHost, c.backend, options.env)
  if (!Array.isArray(specs)) throw specs
  const hostSpecs = specs as ReadonlyArray<HostSpec>
  let kind = options.backend
  let choice = kind === undefined ? "" : "as configured"
  if (kind === undefined) {
    const answers = await Promise.all(
      hostSpecs.map(async (h) => {
        const probe = makeOllamaBackend({ host: h.url, callTimeoutMs: PROBE_MS, unloadSettleMs: 0 })
        return { h, version: await Effect.runPromise(Effect.result(probe.ping)) }
      }),
    )
    const answered = answers.filter((a) => Result.isSuccess(a.version))
    kind = answered.length > 0 ? "ollama" : "sim"
    const where = hostSpecs.map((h) => h.url).join(", ")
    const first = answered[0]
    choice =
      first !== undefined && Result.isSuccess(first.version)
        ? `Ollama ${first.version.success} answered at ${answered.map((a) => a.h.url).join(", ")}`
        : `no Ollama answered at ${where} within ${PROBE_MS / 1000} s`
  }
  return kind === "sim"
    ? { ...simulated(options, c), choice }
    : { ...(await ollama(hostSpecs, options, c)), choice }
}

const simulated = (options: SelectOptions, c: ConductorFile): Omit<BackendSelection, "choice"> => {
  const names = splitHostList(options.simProfile ?? "workstation-24gb")
  const profiles = (names.length > 0 ? names : ["workstation-24gb"]).map((n) =>
    loadProfile(resolveProfilePath(n)),
  )
  const count = options.simHosts ?? profiles.length
  const first = profiles[0] as (typeof profiles)[number]
  const time = options.clock ?? new ScaledClock(options.timeScale ?? first.timeScale)
  const hosts: HostBackend[] = []
  for (let i = 0; i < count; i++) {
    const profile = profiles[i % profiles.length] as (typeof profiles)[number]
    const engine = new SimEngine(profile, {
      clock: time,
      ...(options.seed !== undefined ? { seed: options.seed + i } : {}),
    })
    const name = count === 1 ? "sim" : `sim-${i + 1}`
    hosts.push({
      spec: { name, url: `sim://${name}`, vramGb: undefined, maxLoadedModels: undefined, weight: 1 },
      backend: makeSimBackend(engine),
      hardware: simulatedHardware(
        profile.gpus.map((g) => ({ name: g.name, vramBytes: g.vramGb * GB })),
        profile.systemRamGb * GB,
        c.hardware,
      ),
      maxLoaded: c.backend.maxLoadedModels ?? profile.server.maxLoadedModels * profile.gpus.length,
      engine,
    })
  }
  return { kind: "sim", time, hosts }
}

const ollama = async (
  specs: ReadonlyArray<HostSpec>,
  options: SelectOptions,
  c: ConductorFile,
): Promise<Omit<BackendSelection, "choice">> => {
  const time = options.clock ?? new ScaledClock(1)
  const hosts = await Promise.all(
    specs.map(async (spec): Promise<HostBackend> => {
      const backend = makeOllamaBackend({
        host: spec.url,
        callTimeoutMs: c.backend.callTimeout,
        unloadSettleMs: c.backend.unloadSettle,
      })
      // Detection reads this machine: right only when Ollama runs here.
      const hardware = await hardwareForOllama(spec.url, {
        ...c.hardware,
        ...(spec.vramGb !== undefined ? { vramGb: spec.vramGb } : {}),
      })
      const maxLoaded =
        spec.maxLoadedModels ?? c.backend.maxLoadedModels ?? 3 * Math.max(1, hardware.gpus.length)
      return { spec, backend, hardware, maxLoaded, engine: undefined }
    }),
  )
  return { kind: "ollama", time, hosts }
}
