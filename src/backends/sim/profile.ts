/**
 * Simulated host profiles (`config/sim/*.yaml`): the GPUs, system memory and the load-cost model
 * (cold reads from disk, warm reads from the page cache, start-up, per-model overrides, a global
 * scale), Ollama server settings, the models installed with their sizes and speeds, default
 * faults, a time scale and a seed. Validated with Effect Schema like the rest of the
 * configuration; every problem is reported with the file and path.
 */
import { readFileSync } from "node:fs"
import { relative } from "node:path"
import { Result, Schema } from "effect"
import { LineCounter, parseDocument } from "yaml"
import {
  type ConfigIssue,
  collectKeys,
  fromSchemaIssue,
  renderIssue,
  yamlLineOf,
} from "../../config/issues.js"
import { NonNegative, Positive, PositiveInt, Probability, withDefault } from "../../config/schema-parts.js"
import { parseKeepAlive } from "./keep-alive.js"

/** The Ollama release the scheduler replica follows (v0.33.0-rc2's scheduler is the same code). */
export const OLLAMA_VERSION = "0.32.15"

/** Fault probabilities per request (and load); all zero unless set. */
export const FaultSettings = Schema.Struct({
  /** The request fails after prompt evaluation, before any token. */
  errorBeforeFirstToken: Probability.pipe(withDefault(0)),
  /** The stream is cut after some tokens with an error line. */
  cutMidStream: Probability.pipe(withDefault(0)),
  /** Tokens stop for `stallSec` seconds mid-stream, then resume. */
  stall: Probability.pipe(withDefault(0)),
  stallSec: Positive.pipe(withDefault(30)),
  /** Generation runs `slowFactor` times slower. */
  slow: Probability.pipe(withDefault(0)),
  slowFactor: Positive.pipe(withDefault(4)),
  /** Partway through, the model falls into a loop, repeating one phrase before it stops. */
  degenerate: Probability.pipe(withDefault(0)),
  /** A load fails: `oom` (CUDA out of memory) or `terminated` (runner exits). */
  loadFailure: Probability.pipe(withDefault(0)),
  loadFailureKind: Schema.Literals(["oom", "terminated"]).pipe(withDefault("oom")),
})
export type FaultSettings = typeof FaultSettings.Type

export const SimModelSchema = Schema.Struct({
  name: Schema.String.check(Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._\-/]*:[A-Za-z0-9._-]+$/)),
  family: Schema.String,
  /** As Ollama reports it, e.g. "8.0B". */
  parameterSize: Schema.String.check(Schema.isPattern(/^[\d.]+[KMBT]$/)),
  quantisation: Schema.String.pipe(withDefault("Q4_K_M")),
  /** File size on disk, GB (10^9 bytes): the weights. */
  sizeGb: Positive,
  /** Resident footprint at `numCtx` × `parallel`, GB: weights + KV cache + compute graph. */
  vramGb: Positive,
  contextLength: PositiveInt,
  /** The context `vramGb` is quoted at (a request without num_ctx gets Ollama's default instead). */
  numCtx: PositiveInt.pipe(withDefault(4096)),
  layers: PositiveInt,
  heads: PositiveInt,
  kvHeads: PositiveInt,
  embeddingLength: PositiveInt,
  promptTokensPerSec: Positive.pipe(withDefault(1000)),
  tokensPerSec: Positive,
  /** Concurrent generations per runner (OLLAMA_NUM_PARALLEL). */
  parallel: PositiveInt.pipe(withDefault(1)),
  /** Ollama's capabilities: completion, tools, thinking, insert, vision, embedding (no completion). */
  capabilities: Schema.Array(Schema.String).pipe(withDefault(["completion"])),
  /** How often the model calls an offered tool when the last message is the user's (seeded; 1: always). */
  toolCallRate: Probability.pipe(withDefault(1)),
  faults: Schema.optionalKey(FaultSettings),
  /**
   * Measured load times in seconds (before `loadCostScale`), overriding the profile's formula:
   * `cold` with the file read from disk, `warm` with it in the page cache. Either may be given.
   */
  loadSec: Schema.optionalKey(
    Schema.Struct({ cold: Schema.optionalKey(Positive), warm: Schema.optionalKey(Positive) }),
  ),
})
export type SimModelSpec = typeof SimModelSchema.Type

export const SimProfileSchema = Schema.Struct({
  name: Schema.String,
  description: Schema.String.pipe(withDefault("")),
  gpus: Schema.Array(Schema.Struct({ name: Schema.String, vramGb: Positive })).check(Schema.isMinLength(1)),
  systemRamGb: Positive.pipe(withDefault(64)),
  /** Apple silicon: the GPUs' memory is system RAM (the weights stay in the page cache, pinned). */
  unifiedMemory: Schema.Boolean.pipe(withDefault(false)),
  /** System memory bandwidth the CPU reaches: layers offloaded to the CPU run at this speed. */
  cpuMemoryGBps: Positive.pipe(withDefault(60)),
  /**
   * Cold load: the model file read from disk at the rate Ollama reaches (mmap page faults, not the
   * drive's sequential rating): load = loadOverheadSec + file / diskReadGBps.
   */
  diskReadGBps: Positive.pipe(withDefault(1.5)),
  /** Warm load: the file is in the page cache; load = loadOverheadSec + file / pageCacheReadGBps. */
  pageCacheReadGBps: Positive.pipe(withDefault(6)),
  /** Runtime start-up of every load: process, GPU backend, KV cache allocation, warm-up. */
  loadOverheadSec: NonNegative.pipe(withDefault(1)),
  /**
   * Memory the page cache may hold model files in (LRU). Default: system RAM less what the OS and
   * other programs take, max(8 GB, 10% of RAM) (Ollama's own host-memory headroom).
   */
  pageCacheGb: Schema.optionalKey(Positive),
  /** Start with every model file in the page cache (as far as it holds them), as on a used machine. */
  warmStart: Schema.Boolean.pipe(withDefault(false)),
  /** Multiplies every load time (cold and warm): 0.5, 1, 2 sweep the load cost. */
  loadCostScale: Positive.pipe(withDefault(1)),
  /** Time for a runner to stop and its memory to be free again (Ollama's VRAM-recovery wait). */
  unloadSec: NonNegative.pipe(withDefault(0.5)),
  /** 1 = real time; 100 = a hundred times faster. */
  timeScale: Positive.pipe(withDefault(1)),
  seed: Schema.Int.pipe(withDefault(42)),
  /** What `/api/version` reports: the Ollama release whose scheduler this replica follows. */
  version: Schema.String.pipe(withDefault(OLLAMA_VERSION)),
  server: Schema.Struct({
    /** OLLAMA_MAX_QUEUE */
    maxQueue: PositiveInt.pipe(withDefault(512)),
    /** OLLAMA_MAX_LOADED_MODELS per GPU (Ollama's default: 3 per GPU). */
    maxLoadedModels: PositiveInt.pipe(withDefault(3)),
    /** OLLAMA_KEEP_ALIVE */
    keepAlive: Schema.String.pipe(withDefault("5m")),
    /** OLLAMA_CONTEXT_LENGTH; unset, a request without num_ctx gets the VRAM-based default. */
    contextLength: Schema.optionalKey(PositiveInt),
  }).pipe(withDefault({})),
  faults: FaultSettings.pipe(withDefault({})),
  models: Schema.Array(SimModelSchema).check(Schema.isMinLength(1)),
})
export type SimProfile = typeof SimProfileSchema.Type

export class SimProfileError extends Error {
  constructor(readonly issues: ReadonlyArray<ConfigIssue>) {
    super(issues.map(renderIssue).join("\n"))
  }
}

/** Validate a profile object (already parsed from YAML or built in code). */
export const decodeProfile = (raw: unknown, source = "profile"): SimProfile => {
  const r = Schema.decodeUnknownResult(SimProfileSchema)(raw, { errors: "all", onExcessProperty: "error" })
  if (Result.isFailure(r)) {
    throw new SimProfileError(
      fromSchemaIssue(r.failure.issue, source, collectKeys(SimProfileSchema.ast), () => undefined),
    )
  }
  return checkProfile(r.success, source, () => undefined)
}

const checkProfile = (
  p: SimProfile,
  source: string,
  lineOf: (path: ReadonlyArray<string | number>) => number | undefined,
): SimProfile => {
  const issues: ConfigIssue[] = []
  const at = (path: Array<string | number>, message: string) => {
    const line = lineOf(path)
    issues.push({
      source,
      path: path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join(""),
      message,
      ...(line !== undefined ? { line } : {}),
    })
  }
  const seen = new Map<string, number>()
  p.models.forEach((m, i) => {
    const first = seen.get(m.name)
    if (first !== undefined) at(["models", i, "name"], `duplicate model '${m.name}' (also models[${first}])`)
    seen.set(m.name, i)
    if (m.numCtx > m.contextLength) at(["models", i, "numCtx"], `exceeds contextLength ${m.contextLength}`)
    if (m.vramGb < m.sizeGb) at(["models", i, "vramGb"], `smaller than the weights (sizeGb ${m.sizeGb})`)
    const { cold, warm } = m.loadSec ?? {}
    if (cold !== undefined && warm !== undefined && warm > cold)
      at(["models", i, "loadSec", "warm"], `longer than the cold load (${cold} s)`)
  })
  try {
    parseKeepAlive(p.server.keepAlive)
  } catch (e) {
    at(["server", "keepAlive"], (e as Error).message)
  }
  if (issues.length > 0) throw new SimProfileError(issues)
  return p
}

/** Load and validate a profile file. */
export const loadProfile = (path: string, cwd = process.cwd()): SimProfile => {
  const display = relative(cwd, path).startsWith("..") ? path : relative(cwd, path)
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (e) {
    throw new SimProfileError([
      { source: display, path: "", message: `cannot read: ${(e as Error).message}` },
    ])
  }
  const counter = new LineCounter()
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true })
  if (doc.errors.length > 0) {
    throw new SimProfileError(
      doc.errors.map((e) => ({
        source: display,
        path: "",
        message: `YAML syntax: ${(e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "")}`,
        ...(e.linePos?.[0]?.line !== undefined ? { line: e.linePos[0].line } : {}),
      })),
    )
  }
  const lineOf = yamlLineOf(doc, counter)
  const r = Schema.decodeUnknownResult(SimProfileSchema)(doc.toJS(), {
    errors: "all",
    onExcessProperty: "error",
  })
  if (Result.isFailure(r)) {
    throw new SimProfileError(
      fromSchemaIssue(r.failure.issue, display, collectKeys(SimProfileSchema.ast), lineOf),
    )
  }
  return checkProfile(r.success, display, lineOf)
}

export const GB = 1e9

/** KV cache bytes per token: 2 (K and V) × layers × kv heads × head dim × 2 bytes (f16). */
export const kvBytesPerToken = (m: SimModelSpec): number =>
  2 * m.layers * m.kvHeads * Math.round(m.embeddingLength / m.heads) * 2

/** Architectures Ollama loads with one slot whatever OLLAMA_NUM_PARALLEL says (server/sched.go load). */
const SINGLE_SLOT_FAMILIES: ReadonlySet<string> = new Set([
  "mllama",
  "qwen3vl",
  "qwen3vlmoe",
  "qwen35",
  "qwen35moe",
  "qwen3next",
  "lfm2",
  "lfm2moe",
  "nemotron_h",
  "nemotron_h_moe",
  "nemotron_h_omni",
])

/** Concurrent requests a runner of `m` serves: embedding models and some architectures get one. */
export const parallelOf = (m: SimModelSpec): number =>
  !m.capabilities.includes("completion") || SINGLE_SLOT_FAMILIES.has(m.family) ? 1 : m.parallel

/**
 * Resident bytes when loaded with `numCtx` per slot (the profile quotes the footprint at
 * `m.numCtx`): the KV cache grows with the context times the slots (llama-server's `-c` is
 * num_ctx × parallel).
 */
export const footprintBytes = (m: SimModelSpec, numCtx: number): number =>
  Math.max(
    m.sizeGb * GB,
    Math.round(m.vramGb * GB + kvBytesPerToken(m) * (numCtx - m.numCtx) * parallelOf(m)),
  )

/** The model file's bytes: what a load reads from disk or the page cache. */
export const fileBytes = (m: SimModelSpec): number => Math.round(m.sizeGb * GB)

export const totalVramBytes = (p: SimProfile): number =>
  Math.round(p.gpus.reduce((s, g) => s + g.vramGb, 0) * GB)

/** Parameters in the model, from "8.0B" / "494M". */
export const parameterCount = (size: string): number => {
  const n = Number.parseFloat(size)
  const unit = size.slice(-1)
  return Math.round(n * (unit === "T" ? 1e12 : unit === "B" ? 1e9 : unit === "M" ? 1e6 : 1e3))
}
