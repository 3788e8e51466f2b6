/**
 * Which GPU hosts (Ollama servers) Conductor owns, from its options and configuration: the
 * `--ollama-host` list (a library option), else `backend.hosts`, else `backend.host` (which
 * `CONDUCTOR_OLLAMA_HOST` sets; a comma-separated list is several hosts), else `OLLAMA_HOST`,
 * else 127.0.0.1:11434 — one host unless a list says more. Pure: addresses are normalised as
 * Ollama reads them, names checked unique; a bad entry is a BadRequest naming where it was.
 */
import type { BackendConfig, HostConfig } from "../config/schema.js"
import { type ConductorError, conductorError } from "../domain/errors.js"
import { resolveOllamaHost } from "./ollama/adapter.js"

/** One host as Conductor plans with it. */
export interface HostSpec {
  readonly name: string
  /** Normalised origin (`http://host:port`). */
  readonly url: string
  readonly vramGb: number | undefined
  readonly maxLoadedModels: number | undefined
  readonly weight: number
}

/** `A,B` → ["A", "B"] (blanks dropped). */
export const splitHostList = (raw: string): ReadonlyArray<string> =>
  raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")

/** A host's name from its address: `host:port`. */
const nameOf = (url: string): string => new URL(url).host

const normalise = (raw: string, where: string): string | ConductorError => {
  try {
    return resolveOllamaHost(raw, {})
  } catch {
    return conductorError("BadRequest", `${where}: '${raw}' is not a host, host:port or URL`)
  }
}

/**
 * The hosts to own. `option` is `--ollama-host` / ConductorOptions.ollamaHost (a list or one
 * address); `env` supplies OLLAMA_HOST when nothing else names a host.
 */
export const resolveHosts = (
  option: string | undefined,
  backend: Pick<BackendConfig, "host" | "hosts">,
  env: NodeJS.ProcessEnv,
): ReadonlyArray<HostSpec> | ConductorError => {
  const fromList = (raw: string, where: string): ReadonlyArray<HostSpec> | ConductorError => {
    const items = splitHostList(raw)
    if (items.length === 0) return conductorError("BadRequest", `${where}: no host in '${raw}'`)
    const out: HostSpec[] = []
    for (const item of items) {
      const url = normalise(item, where)
      if (typeof url !== "string") return url
      out.push({ name: nameOf(url), url, vramGb: undefined, maxLoadedModels: undefined, weight: 1 })
    }
    return checked(out, where)
  }
  if (option !== undefined) return fromList(option, "--ollama-host")
  if (backend.hosts !== undefined) return fromConfig(backend.hosts)
  if (backend.host !== undefined) return fromList(backend.host, "backend.host")
  const url = resolveOllamaHost(undefined, env)
  return [{ name: nameOf(url), url, vramGb: undefined, maxLoadedModels: undefined, weight: 1 }]
}

const fromConfig = (hosts: ReadonlyArray<HostConfig>): ReadonlyArray<HostSpec> | ConductorError => {
  const out: HostSpec[] = []
  for (const [i, h] of hosts.entries()) {
    const url = normalise(h.url, `backend.hosts[${i}].url`)
    if (typeof url !== "string") return url
    out.push({
      name: h.name,
      url,
      vramGb: h.vramGb,
      maxLoadedModels: h.maxLoadedModels,
      weight: h.weight ?? 1,
    })
  }
  return checked(out, "backend.hosts")
}

const checked = (hosts: ReadonlyArray<HostSpec>, where: string): ReadonlyArray<HostSpec> | ConductorError => {
  const seen = new Set<string>()
  for (const h of hosts) {
    if (seen.has(h.name)) return conductorError("BadRequest", `${where}: host '${h.name}' is listed twice`)
    seen.add(h.name)
  }
  return hosts
}
