/**
 * `CONDUCTOR_*` environment overrides for the common settings. Each variable is parsed into a
 * typed value and written into the raw configuration before validation, so an override is held to
 * the same rules as the file; errors name the variable rather than the file.
 */
import type { ConfigIssue, PathSegment } from "./issues.js"

type Kind = "int" | "number" | "boolean" | "string"

export interface EnvOverride {
  readonly variable: string
  readonly file: "conductor"
  readonly path: ReadonlyArray<PathSegment>
  readonly kind: Kind
  readonly description: string
}

/** The documented overrides (README "Configuration"). Later features append theirs here. */
export const ENV_OVERRIDES: ReadonlyArray<EnvOverride> = [
  {
    variable: "CONDUCTOR_DEFAULT_PERSONA",
    file: "conductor",
    path: ["routing", "defaultPersona"],
    kind: "string",
    description: "persona applied when a request names none",
  },
  {
    variable: "CONDUCTOR_ROUTING_CLASSIFIER",
    file: "conductor",
    path: ["routing", "classifier"],
    kind: "string",
    description: "routing classifier weights file, or `off` for rules only",
  },
  {
    variable: "CONDUCTOR_FALLBACKS_ENABLED",
    file: "conductor",
    path: ["fallbacks", "enabled"],
    kind: "boolean",
    description: "build fallback chains (true/false)",
  },
  {
    variable: "CONDUCTOR_FALLBACKS_MAX",
    file: "conductor",
    path: ["fallbacks", "maxLength"],
    kind: "int",
    description: "longest fallback chain",
  },
  {
    variable: "CONDUCTOR_VRAM_GB",
    file: "conductor",
    path: ["hardware", "vramGb"],
    kind: "number",
    description: "GPU memory in GB, overriding detection",
  },
  {
    variable: "CONDUCTOR_GPU_UTILISATION",
    file: "conductor",
    path: ["hardware", "utilisation"],
    kind: "number",
    description: "fraction of GPU memory Conductor plans with",
  },
  {
    variable: "CONDUCTOR_OLLAMA_HOST",
    file: "conductor",
    path: ["backend", "host"],
    kind: "string",
    description: "Ollama's address, or a comma-separated list of GPU hosts (else OLLAMA_HOST)",
  },
  {
    variable: "CONDUCTOR_PORT",
    file: "conductor",
    path: ["server", "port"],
    kind: "int",
    description: "port `conductor serve` listens on",
  },
  {
    variable: "CONDUCTOR_LOG_LEVEL",
    file: "conductor",
    path: ["logging", "level"],
    kind: "string",
    description: "log level: debug, info, warn or error",
  },
  {
    variable: "CONDUCTOR_MAX_QUEUED",
    file: "conductor",
    path: ["scheduler", "maxQueued"],
    kind: "int",
    description: "waiting requests across all models",
  },
  {
    variable: "CONDUCTOR_LEARNING_MODE",
    file: "conductor",
    path: ["learning", "mode"],
    kind: "string",
    description: "learned routing: off, shadow or on",
  },
  {
    variable: "CONDUCTOR_LEARNING_STORE",
    file: "conductor",
    path: ["learning", "store"],
    kind: "string",
    description: "path of the outcome database (SQLite)",
  },
]

const parseValue = (
  kind: Kind,
  raw: string,
): { ok: true; value: unknown } | { ok: false; message: string } => {
  const text = raw.trim()
  switch (kind) {
    case "string":
      return text === "" ? { ok: false, message: "expected a non-empty string" } : { ok: true, value: text }
    case "boolean": {
      const v = text.toLowerCase()
      if (["1", "true", "yes", "on"].includes(v)) return { ok: true, value: true }
      if (["0", "false", "no", "off"].includes(v)) return { ok: true, value: false }
      return { ok: false, message: `expected true or false, got '${raw}'` }
    }
    case "int":
    case "number": {
      const n = Number(text)
      if (text === "" || !Number.isFinite(n)) return { ok: false, message: `expected a number, got '${raw}'` }
      if (kind === "int" && !Number.isInteger(n))
        return { ok: false, message: `expected an integer, got '${raw}'` }
      return { ok: true, value: n }
    }
  }
}

const setIn = (root: Record<string, unknown>, path: ReadonlyArray<PathSegment>, value: unknown): void => {
  let node: Record<string, unknown> = root
  for (const seg of path.slice(0, -1)) {
    const key = String(seg)
    const next = node[key]
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  node[String(path[path.length - 1])] = value
}

export interface AppliedEnv {
  /** Variables that were set and applied. */
  readonly applied: ReadonlyArray<EnvOverride>
  readonly issues: ReadonlyArray<ConfigIssue>
}

/** Write the set variables into `raw` (the parsed conductor.yaml), returning what applied. */
export const applyEnvOverrides = (raw: Record<string, unknown>, env: NodeJS.ProcessEnv): AppliedEnv => {
  const applied: EnvOverride[] = []
  const issues: ConfigIssue[] = []
  for (const o of ENV_OVERRIDES) {
    const value = env[o.variable]
    if (value === undefined) continue
    const parsed = parseValue(o.kind, value)
    if (!parsed.ok) {
      issues.push({ source: `env ${o.variable}`, path: "", message: parsed.message })
      continue
    }
    setIn(raw, o.path, parsed.value)
    applied.push(o)
  }
  return { applied, issues }
}
