/**
 * The routing classifier's weights file: its format, the shipped default
 * (`data/routing/model.json`), and loading with validation. The file is JSON: a header (format,
 * versions, class lists, feature names, the fingerprint of the rule features it was trained on),
 * the hidden layer's sparse table as base64 int8 with one scale per hidden unit and a SHA-256 of
 * its bytes (kept int8 in memory; weight = value × scale), its dense rows and biases as floats,
 * the output layer, the temperatures and the tier thresholds; optionally (`linear`) the linear
 * heads averaged with the network, their table as base64 int8 (2^bits × nine task logits and the
 * tier latent, one scale per output, a SHA-256) and their dense rows. Every problem — missing,
 * unreadable, not JSON, a wrong shape, a checksum mismatch — is reported with the file's path.
 * Trained on other rule features (the fingerprint differs) is not an error but a warning: the
 * model still works, less well, until `npm run train:router` is run again.
 */
import { createHash } from "node:crypto"
import { readFileSync, statSync } from "node:fs"
import { isAbsolute, join, resolve } from "node:path"
import { Result } from "effect"
import { type Config, ConfigError } from "../config/load.js"
import { packageRoot } from "../config/paths.js"
import { TASK_TYPES } from "../domain/task.js"
import { TIERS } from "../domain/tier.js"
import { type ClassifierWeights, OUTPUTS, RoutingClassifier } from "./classifier.js"
import { CLASSIFY_PATTERNS } from "./classify.js"
import { COMPLEXITY_PATTERNS } from "./complexity-patterns.js"
import { DENSE, DENSE_FEATURES, FEATURE_VERSION, HEAD, TAIL } from "./features.js"

export const WEIGHTS_FORMAT = "conductor-routing-classifier"
/**
 * 3: one hidden layer, optionally averaged with linear heads (2: the hidden layer alone; 1: two
 * linear heads).
 */
export const WEIGHTS_VERSION = 3

/** The weights shipped with the package. */
export const shippedWeightsPath = (): string => join(packageRoot(), "data", "routing", "model.json")

/** The file as written by the training script. */
export interface WeightsFile {
  readonly format: typeof WEIGHTS_FORMAT
  readonly version: number
  readonly featureVersion: number
  /** SHA-256 (hex, first 16) of the rule patterns and feature layout the model was trained on. */
  readonly fingerprint: string
  readonly bits: number
  /** Hidden units. */
  readonly hidden: number
  readonly tasks: ReadonlyArray<string>
  readonly tiers: ReadonlyArray<string>
  readonly denseFeatures: ReadonlyArray<string>
  /** Per hidden unit: int8 value × scale = weight. */
  readonly scales: ReadonlyArray<number>
  /** base64 of 2^bits × hidden int8 values, row-major. */
  readonly sparse: string
  /** SHA-256 (hex) of the decoded sparse bytes. */
  readonly sparseSha256: string
  /** DENSE rows of `hidden` floats. */
  readonly dense: ReadonlyArray<ReadonlyArray<number>>
  /** `hidden` floats. */
  readonly bias: ReadonlyArray<number>
  /** `hidden` rows of OUTPUTS floats (nine task logits, the tier latent). */
  readonly out: ReadonlyArray<ReadonlyArray<number>>
  /** OUTPUTS floats. */
  readonly outBias: ReadonlyArray<number>
  readonly taskTemperature: number
  readonly tierTemperature: number
  readonly thresholds: readonly [number, number]
  /** Linear heads whose outputs are added to the network's (the weighting is folded in). */
  readonly linear?: {
    /** Per output: int8 value × scale = weight. */
    readonly scales: ReadonlyArray<number>
    /** base64 of 2^bits × OUTPUTS int8 values, row-major. */
    readonly sparse: string
    readonly sparseSha256: string
    /** DENSE rows of OUTPUTS floats. */
    readonly dense: ReadonlyArray<ReadonlyArray<number>>
  }
  /** What the training script measured (informational). */
  readonly training?: unknown
}

/** The fingerprint of the current code's rule features and layout. */
export const featureFingerprint = (): string =>
  createHash("sha256")
    .update(
      JSON.stringify({
        v: FEATURE_VERSION,
        head: HEAD,
        tail: TAIL,
        dense: DENSE_FEATURES,
        classify: CLASSIFY_PATTERNS().map((r) => r.source),
        complexity: COMPLEXITY_PATTERNS().map((r) => r.source),
      }),
    )
    .digest("hex")
    .slice(0, 16)

export interface LoadedClassifier {
  readonly classifier: RoutingClassifier
  /** Set when the weights were trained on other rule features: retrain. */
  readonly stale?: string
  /** Milliseconds spent reading and decoding. */
  readonly loadMs: number
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v)
const sameList = (a: unknown, b: ReadonlyArray<string>) =>
  Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i])

/** Checks a parsed weights file; returns the problem, or the weights. */
export const decodeWeights = (json: unknown): Result.Result<ClassifierWeights, string> => {
  if (typeof json !== "object" || json === null || Array.isArray(json))
    return Result.fail("not a JSON object")
  const f = json as Partial<Record<keyof WeightsFile, unknown>>
  if (f.format !== WEIGHTS_FORMAT)
    return Result.fail(`format: expected '${WEIGHTS_FORMAT}', got ${JSON.stringify(f.format)}`)
  if (f.version !== WEIGHTS_VERSION)
    return Result.fail(
      `version: this Conductor reads version ${WEIGHTS_VERSION}, the file is ${JSON.stringify(f.version)}`,
    )
  if (f.featureVersion !== FEATURE_VERSION)
    return Result.fail(
      `featureVersion: trained on features v${JSON.stringify(f.featureVersion)}, this Conductor computes v${FEATURE_VERSION}: retrain (npm run train:router)`,
    )
  if (!sameList(f.tasks, TASK_TYPES)) return Result.fail(`tasks: expected [${TASK_TYPES.join(", ")}]`)
  if (!sameList(f.tiers, TIERS)) return Result.fail(`tiers: expected [${TIERS.join(", ")}]`)
  if (!sameList(f.denseFeatures, DENSE_FEATURES))
    return Result.fail("denseFeatures: not the features this Conductor computes")
  const bits = f.bits
  if (!Number.isInteger(bits) || (bits as number) < 8 || (bits as number) > 24)
    return Result.fail(`bits: expected an integer from 8 to 24, got ${JSON.stringify(bits)}`)
  const hidden = f.hidden
  if (!Number.isInteger(hidden) || (hidden as number) < 1 || (hidden as number) > 256)
    return Result.fail(`hidden: expected an integer from 1 to 256, got ${JSON.stringify(hidden)}`)
  const H = hidden as number
  const numbers = (v: unknown, n: number) => Array.isArray(v) && v.length === n && v.every(finite)
  const matrix = (v: unknown, rows: number, cols: number) =>
    Array.isArray(v) && v.length === rows && v.every((r) => numbers(r, cols))
  const scales = f.scales
  if (!numbers(scales, H) || !(scales as number[]).every((s) => s >= 0))
    return Result.fail(`scales: expected ${H} non-negative numbers`)
  if (typeof f.sparse !== "string") return Result.fail("sparse: expected a base64 string")
  const bytes = Buffer.from(f.sparse, "base64")
  const rows = 2 ** (bits as number)
  if (bytes.length !== rows * H)
    return Result.fail(`sparse: decodes to ${bytes.length} bytes, expected ${rows * H} (2^${bits} × ${H})`)
  const sha = createHash("sha256").update(bytes).digest("hex")
  if (f.sparseSha256 !== sha)
    return Result.fail("sparse: checksum mismatch (the file is corrupt or was edited)")
  if (!matrix(f.dense, DENSE, H)) return Result.fail(`dense: expected ${DENSE} rows of ${H} numbers`)
  if (!numbers(f.bias, H)) return Result.fail(`bias: expected ${H} numbers`)
  if (!matrix(f.out, H, OUTPUTS)) return Result.fail(`out: expected ${H} rows of ${OUTPUTS} numbers`)
  if (!numbers(f.outBias, OUTPUTS)) return Result.fail(`outBias: expected ${OUTPUTS} numbers`)
  const tt = f.taskTemperature
  const rt = f.tierTemperature
  if (!finite(tt) || tt <= 0) return Result.fail("taskTemperature: expected a positive number")
  if (!finite(rt) || rt <= 0) return Result.fail("tierTemperature: expected a positive number")
  const th = f.thresholds
  if (!Array.isArray(th) || th.length !== 2 || !finite(th[0]) || !finite(th[1]) || !(th[0] < th[1]))
    return Result.fail("thresholds: expected two increasing numbers")
  let linear: ClassifierWeights["linear"]
  if (f.linear !== undefined) {
    const l = f.linear as Partial<Record<keyof NonNullable<WeightsFile["linear"]>, unknown>> | null
    if (typeof l !== "object" || l === null) return Result.fail("linear: expected an object")
    if (!numbers(l.scales, OUTPUTS) || !(l.scales as number[]).every((s) => s >= 0))
      return Result.fail(`linear.scales: expected ${OUTPUTS} non-negative numbers`)
    if (typeof l.sparse !== "string") return Result.fail("linear.sparse: expected a base64 string")
    const lb = Buffer.from(l.sparse, "base64")
    if (lb.length !== rows * OUTPUTS)
      return Result.fail(
        `linear.sparse: decodes to ${lb.length} bytes, expected ${rows * OUTPUTS} (2^${bits} × ${OUTPUTS})`,
      )
    if (l.sparseSha256 !== createHash("sha256").update(lb).digest("hex"))
      return Result.fail("linear.sparse: checksum mismatch (the file is corrupt or was edited)")
    if (!matrix(l.dense, DENSE, OUTPUTS))
      return Result.fail(`linear.dense: expected ${DENSE} rows of ${OUTPUTS} numbers`)
    linear = {
      sparse: int8Copy(lb),
      scales: Float64Array.from(l.scales as number[]),
      dense: Float64Array.from((l.dense as number[][]).flat()),
    }
  }
  return Result.succeed({
    bits: bits as number,
    hidden: H,
    sparse: int8Copy(bytes),
    scales: Float64Array.from(scales as number[]),
    dense: Float64Array.from((f.dense as number[][]).flat()),
    bias: Float64Array.from(f.bias as number[]),
    out: Float64Array.from((f.out as number[][]).flat()),
    outBias: Float64Array.from(f.outBias as number[]),
    taskTemperature: tt,
    tierTemperature: rt,
    thresholds: [th[0], th[1]],
    ...(linear === undefined ? {} : { linear }),
  })
}

/** A copy: the decoded buffer may be a slice of Node's shared pool. */
const int8Copy = (bytes: Buffer): Int8Array => {
  const table = new Int8Array(bytes.length)
  table.set(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length))
  return table
}

/** Reads and checks a weights file; the error names the file and the problem. */
export const loadClassifier = (path: string): Result.Result<LoadedClassifier, string> => {
  const started = performance.now()
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    return Result.fail(
      `${path}: ${err.code === "ENOENT" ? "routing classifier weights not found" : `cannot read routing classifier weights: ${err.message}`}`,
    )
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return Result.fail(`${path}: routing classifier weights are not valid JSON: ${(e as Error).message}`)
  }
  const decoded = decodeWeights(json)
  if (Result.isFailure(decoded)) return Result.fail(`${path}: routing classifier weights: ${decoded.failure}`)
  const fingerprint = (json as { fingerprint?: unknown }).fingerprint
  const current = featureFingerprint()
  const loadMs = performance.now() - started
  const classifier = new RoutingClassifier(decoded.success, path)
  return Result.succeed(
    fingerprint === current
      ? { classifier, loadMs }
      : {
          classifier,
          loadMs,
          stale: `${path}: trained on other rule features (fingerprint ${String(fingerprint)}, now ${current}): retrain with npm run train:router`,
        },
  )
}

const cache = new Map<string, { readonly stamp: string; readonly loaded: LoadedClassifier }>()

/**
 * The classifier `routing.classifier` names: the shipped weights by default, none for `off`, else
 * the file (relative paths from the config directory). Loaded once per file version; a problem is
 * a ConfigError naming the setting, the file and what is wrong.
 */
export const classifierFor = (config: Config): Result.Result<LoadedClassifier | undefined, ConfigError> => {
  const setting = config.conductor.routing.classifier
  if (setting === "off") return Result.succeed(undefined)
  const path =
    setting === undefined
      ? shippedWeightsPath()
      : isAbsolute(setting)
        ? setting
        : resolve(config.dir || ".", setting)
  let stamp = "missing"
  try {
    const st = statSync(path)
    stamp = `${st.size}:${st.mtimeMs}`
  } catch {}
  const hit = cache.get(path)
  if (hit !== undefined && hit.stamp === stamp) return Result.succeed(hit.loaded)
  const loaded = loadClassifier(path)
  if (Result.isFailure(loaded)) {
    return Result.fail(
      new ConfigError({
        issues: [
          {
            source:
              setting === undefined
                ? "shipped weights"
                : config.envApplied.includes("CONDUCTOR_ROUTING_CLASSIFIER")
                  ? "env CONDUCTOR_ROUTING_CLASSIFIER"
                  : config.sources.conductor,
            path: "routing.classifier",
            message: loaded.failure,
          },
        ],
      }),
    )
  }
  cache.set(path, { stamp, loaded: loaded.success })
  return Result.succeed(loaded.success)
}
