/**
 * Loads and validates the configuration directory: `conductor.yaml`, `models.yaml` and
 * `personas.yaml`. Files missing from a user directory fall back to the bundled defaults in
 * `config/`. Every problem in every file is collected (YAML syntax, schema, cross-file rules,
 * environment overrides) and returned together; nothing stops at the first error.
 */
import { existsSync, readFileSync, statSync } from "node:fs"
import { join, relative, resolve } from "node:path"
import { Data, Result, Schema } from "effect"
import { isMap, LineCounter, parseDocument } from "yaml"
import type { ModelProfile } from "../domain/model-profile.js"
import type { Persona } from "../domain/persona.js"
import { TASK_TYPES } from "../domain/task.js"
import { tierIndex } from "../domain/tier.js"
import { applyEnvOverrides } from "./env.js"
import {
  type ConfigIssue,
  collectKeys,
  fromSchemaIssue,
  type PathSegment,
  renderIssue,
  yamlLineOf,
} from "./issues.js"
import { bundledConfigDir } from "./paths.js"
import { ConductorFile, ModelsFile, PersonasFile } from "./schema.js"

export interface Config {
  /** The directory asked for (or the bundled one). */
  readonly dir: string
  /** Display path of each file actually read. */
  readonly sources: { readonly conductor: string; readonly models: string; readonly personas: string }
  readonly conductor: ConductorFile
  readonly models: ReadonlyArray<ModelProfile>
  readonly personas: ReadonlyMap<string, Persona>
  /** Environment variables that overrode a setting. */
  readonly envApplied: ReadonlyArray<string>
}

export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly issues: ReadonlyArray<ConfigIssue>
}> {
  override get message(): string {
    return this.issues.map(renderIssue).join("\n")
  }
}

const FILES = { conductor: "conductor.yaml", models: "models.yaml", personas: "personas.yaml" } as const
type FileKey = keyof typeof FILES

/** A source text plus how to name it in messages. */
export interface ConfigSource {
  readonly display: string
  readonly text: string
}

const display = (path: string, cwd: string): string => {
  const rel = relative(cwd, path)
  return rel !== "" && !rel.startsWith("..") ? rel : path
}

const decodeOptions = { errors: "all", onExcessProperty: "error" } as const

interface Parsed {
  readonly raw: unknown
  readonly lineOf: (path: ReadonlyArray<PathSegment>) => number | undefined
}

const parseYaml = (src: ConfigSource, issues: ConfigIssue[]): Parsed | undefined => {
  const counter = new LineCounter()
  const doc = parseDocument(src.text, { lineCounter: counter, prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const line = e.linePos?.[0]?.line
      issues.push({
        source: src.display,
        path: "",
        message: `YAML syntax: ${(e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "")}`,
        ...(line !== undefined ? { line } : {}),
      })
    }
    return undefined
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    issues.push({ source: src.display, path: "", message: "expected a mapping at the top level" })
    return undefined
  }
  return { raw: doc.toJS() ?? {}, lineOf: yamlLineOf(doc, counter) }
}

const decode = <S extends Schema.Top & { readonly DecodingServices: never }>(
  schema: S,
  parsed: Parsed,
  src: ConfigSource,
  issues: ConfigIssue[],
): S["Type"] | undefined => {
  const r = Schema.decodeUnknownResult(schema)(parsed.raw, decodeOptions)
  if (Result.isSuccess(r)) return r.success
  issues.push(...fromSchemaIssue(r.failure.issue, src.display, collectKeys(schema.ast), parsed.lineOf))
  return undefined
}

const toProfile = (m: ModelsFile["models"][number]): ModelProfile => ({
  name: m.name,
  kind: m.kind,
  sizeB: m.sizeB,
  contextWindow: m.contextWindow,
  capabilities: m.capabilities,
  tier: m.tier,
  specialisations: m.specialisations,
  memoryGb: m.memoryGb,
  tokensPerSec: m.tokensPerSec,
  parallel: m.parallel,
  numCtx: m.numCtx ?? Math.min(8192, m.contextWindow),
  pinned: m.pinned,
  quantisation: m.quantisation,
  ...(m.requestsPerMinute !== undefined ? { requestsPerMinute: m.requestsPerMinute } : {}),
  source: "registry",
})

const toPersona = (name: string, p: PersonasFile["personas"][string]): Persona => ({
  name,
  description: p.description,
  ...(p.preferredTier !== undefined ? { preferredTier: p.preferredTier } : {}),
  ...(p.downgradeThreshold !== undefined ? { downgradeThreshold: p.downgradeThreshold } : {}),
  ...(p.upgradeThreshold !== undefined ? { upgradeThreshold: p.upgradeThreshold } : {}),
  taskOverrides: p.taskOverrides,
  rules: p.rules,
  ...(p.minContextWindow !== undefined ? { minContextWindow: p.minContextWindow } : {}),
  specialisedModels: p.specialisedModels,
})

/** Rules that span fields or files, which a per-file schema cannot express. */
const crossCheck = (
  conductor: ConductorFile | undefined,
  models: ModelsFile | undefined,
  personas: PersonasFile | undefined,
  srcs: Record<FileKey, ConfigSource>,
  lines: Partial<Record<FileKey, Parsed>>,
  issues: ConfigIssue[],
): void => {
  const at = (key: FileKey, path: PathSegment[], message: string): void => {
    const line = lines[key]?.lineOf(path)
    issues.push({
      source: srcs[key].display,
      path: path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join(""),
      message,
      ...(line !== undefined ? { line } : {}),
    })
  }
  const names = new Map<string, number>()
  models?.models.forEach((m, i) => {
    const first = names.get(m.name)
    if (first !== undefined)
      at("models", ["models", i, "name"], `duplicate model '${m.name}' (also models[${first}])`)
    else names.set(m.name, i)
    if (m.kind === "chat" && m.capabilities.length === 0) {
      at("models", ["models", i, "capabilities"], "a chat model needs at least one capability")
    }
    if (m.numCtx !== undefined && m.numCtx > m.contextWindow) {
      at(
        "models",
        ["models", i, "numCtx"],
        `${m.numCtx} exceeds the model's contextWindow ${m.contextWindow}`,
      )
    }
  })
  if (personas !== undefined && models !== undefined) {
    const unknown = (name: string) => `unknown model '${name}' (not in ${srcs.models.display})`
    for (const [pname, p] of Object.entries(personas.personas)) {
      for (const task of TASK_TYPES) {
        const o = p.taskOverrides[task]
        if (o !== undefined && "model" in o && !names.has(o.model)) {
          at("personas", ["personas", pname, "taskOverrides", task, "model"], unknown(o.model))
        }
        p.specialisedModels[task]?.forEach((m, i) => {
          if (!names.has(m)) at("personas", ["personas", pname, "specialisedModels", task, i], unknown(m))
        })
      }
      if (
        p.downgradeThreshold !== undefined &&
        p.upgradeThreshold !== undefined &&
        p.downgradeThreshold > p.upgradeThreshold
      ) {
        at("personas", ["personas", pname, "downgradeThreshold"], "must not exceed upgradeThreshold")
      }
    }
  }
  if (conductor !== undefined) {
    const { tierThresholds, tasks, defaultPersona } = conductor.routing
    if (tierThresholds.balanced >= tierThresholds.quality) {
      at("conductor", ["routing", "tierThresholds", "balanced"], "must be below tierThresholds.quality")
    }
    for (const task of TASK_TYPES) {
      const rule = tasks[task]
      if (
        rule?.minTier !== undefined &&
        rule.maxTier !== undefined &&
        tierIndex(rule.minTier) > tierIndex(rule.maxTier)
      ) {
        at(
          "conductor",
          ["routing", "tasks", task, "minTier"],
          `${rule.minTier} is above maxTier ${rule.maxTier}`,
        )
      }
    }
    if (defaultPersona !== undefined && personas !== undefined && !(defaultPersona in personas.personas)) {
      at(
        "conductor",
        ["routing", "defaultPersona"],
        `unknown persona '${defaultPersona}' (known: ${Object.keys(personas.personas).join(", ")})`,
      )
    }
  }
}

/**
 * Validate configuration sources. Pure apart from reading `env`; returns the resolved config or
 * every issue found.
 */
export const parseConfig = (
  srcs: Record<FileKey, ConfigSource>,
  env: NodeJS.ProcessEnv = {},
  dir = "",
  overrides?: Readonly<Record<string, unknown>>,
): Result.Result<Config, ConfigError> => {
  const issues: ConfigIssue[] = []
  const parsed: Partial<Record<FileKey, Parsed>> = {}
  for (const key of Object.keys(FILES) as FileKey[]) {
    const p = parseYaml(srcs[key], issues)
    if (p !== undefined) parsed[key] = p
  }
  let envApplied: ReadonlyArray<string> = []
  if (parsed.conductor !== undefined) {
    const raw = (parsed.conductor.raw ?? {}) as Record<string, unknown>
    const applied = applyEnvOverrides(raw, env)
    issues.push(...applied.issues)
    envApplied = applied.applied.map((o) => o.variable)
    parsed.conductor = {
      raw: overrides !== undefined ? mergeDeep(raw, overrides) : raw,
      lineOf: parsed.conductor.lineOf,
    }
  }
  const before = issues.length
  const conductor = parsed.conductor && decode(ConductorFile, parsed.conductor, srcs.conductor, issues)
  if (overrides !== undefined) {
    // Problems in values given in code are reported against them, not the file.
    const given = leafPaths(overrides)
    for (let i = before; i < issues.length; i++) {
      const issue = issues[i] as ConfigIssue
      if (
        given.some(
          (g) => issue.path === g || issue.path.startsWith(`${g}.`) || g.startsWith(`${issue.path}.`),
        )
      ) {
        issues[i] = { source: "config option", path: issue.path, message: issue.message }
      }
    }
  }
  const models = parsed.models && decode(ModelsFile, parsed.models, srcs.models, issues)
  const personas = parsed.personas && decode(PersonasFile, parsed.personas, srcs.personas, issues)
  crossCheck(conductor, models, personas, srcs, parsed, issues)
  if (issues.length > 0 || conductor === undefined || models === undefined || personas === undefined) {
    return Result.fail(new ConfigError({ issues }))
  }
  return Result.succeed({
    dir,
    sources: {
      conductor: srcs.conductor.display,
      models: srcs.models.display,
      personas: srcs.personas.display,
    },
    conductor,
    models: models.models.map(toProfile),
    personas: new Map(Object.entries(personas.personas).map(([n, p]) => [n, toPersona(n, p)])),
    envApplied,
  })
}

export interface LoadOptions {
  /** Config directory; else `CONDUCTOR_CONFIG_DIR`; else the bundled defaults. */
  readonly dir?: string | undefined
  readonly env?: NodeJS.ProcessEnv
  readonly cwd?: string
  /** Settings given in code, merged over conductor.yaml (and environment overrides), same shapes. */
  readonly overrides?: Readonly<Record<string, unknown>> | undefined
}

/** Read and validate a configuration directory (files it lacks come from the bundled defaults). */
export const loadConfig = (options: LoadOptions = {}): Result.Result<Config, ConfigError> => {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const bundled = bundledConfigDir()
  const asked = options.dir ?? env.CONDUCTOR_CONFIG_DIR
  const dir = asked !== undefined && asked !== "" ? resolve(cwd, asked) : bundled
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const via = options.dir !== undefined ? "--config" : "CONDUCTOR_CONFIG_DIR"
    return Result.fail(
      new ConfigError({
        issues: [{ source: via, path: "", message: `config directory '${asked}' does not exist` }],
      }),
    )
  }
  const srcs = {} as Record<FileKey, ConfigSource>
  for (const [key, file] of Object.entries(FILES) as Array<[FileKey, string]>) {
    const own = join(dir, file)
    const path = existsSync(own) ? own : join(bundled, file)
    srcs[key] = { display: display(path, cwd), text: readFileSync(path, "utf8") }
  }
  return parseConfig(srcs, env, dir, options.overrides)
}

const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** `over` merged into `base`: objects key by key, anything else replaced. */
export const mergeDeep = (
  base: Record<string, unknown>,
  over: Readonly<Record<string, unknown>>,
): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(over)) {
    const b = out[k]
    out[k] = isPlainObject(b) && isPlainObject(v) ? mergeDeep(b, v) : v
  }
  return out
}

/** Dotted paths of every leaf value, for telling given values from file values. */
const leafPaths = (o: Readonly<Record<string, unknown>>, prefix = ""): string[] =>
  Object.entries(o).flatMap(([k, v]) =>
    isPlainObject(v) && Object.keys(v).length > 0 ? leafPaths(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  )
