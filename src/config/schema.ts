/**
 * Effect Schemas for the three configuration files (`conductor.yaml`, `models.yaml`,
 * `personas.yaml`). Decoding fills defaults; unknown keys are errors (decoded with
 * `onExcessProperty: "error"`) so that typos never pass silently. Cross-file rules (persona
 * models must exist in the registry, no duplicate model names) live in `load.ts`.
 */
import { Schema } from "effect"
import { MODEL_KINDS } from "../domain/model-profile.js"
import { CAPABILITIES, SPECIALISATIONS, TASK_TYPES, type TaskType } from "../domain/task.js"
import { TIERS } from "../domain/tier.js"
import { DurationMs } from "./duration.js"
import { NonNegative, Positive, PositiveInt, Probability, withDefault } from "./schema-parts.js"

const Fraction = Schema.Number.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(1))
const Complexity = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(10))

export const TierSchema = Schema.Literals(TIERS)
export const TaskTypeSchema = Schema.Literals(TASK_TYPES)
export const CapabilitySchema = Schema.Literals(CAPABILITIES)
export const SpecialisationSchema = Schema.Literals(SPECIALISATIONS)
export const ModelName = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._\-/]*(:[A-Za-z0-9._-]+)?$/),
)

/** A struct with one optional key per task type (unknown task names are rejected). */
const perTask = <S extends Schema.Top>(value: S) =>
  Schema.Struct(
    Object.fromEntries(TASK_TYPES.map((t) => [t, Schema.optionalKey(value)])) as {
      [K in TaskType]: Schema.optionalKey<S>
    },
  )

// ---------------------------------------------------------------- models.yaml

export const ModelEntry = Schema.Struct({
  name: ModelName,
  /** `chat` (routed to) or `embedding` (serves /v1/embeddings and /api/embed; never routed to). */
  kind: Schema.Literals(MODEL_KINDS).pipe(withDefault("chat")),
  sizeB: Positive,
  contextWindow: PositiveInt,
  /** At least one for a chat model (checked in load.ts); embedding models need none. */
  capabilities: Schema.Array(CapabilitySchema).pipe(withDefault([])),
  tier: TierSchema,
  specialisations: Schema.Array(SpecialisationSchema).pipe(withDefault([])),
  memoryGb: Positive,
  tokensPerSec: Positive,
  parallel: PositiveInt.pipe(withDefault(1)),
  numCtx: Schema.optionalKey(PositiveInt),
  pinned: Schema.Boolean.pipe(withDefault(false)),
  /** Requests routed to it per minute at most (a rate limit: beyond it QueueFull with a retry-after). */
  requestsPerMinute: Schema.optionalKey(Positive),
  quantisation: Schema.String.pipe(withDefault("Q4_K_M")),
})
export type ModelEntry = typeof ModelEntry.Type

export const ModelsFile = Schema.Struct({
  models: Schema.Array(ModelEntry).check(Schema.isMinLength(1)),
})
export type ModelsFile = typeof ModelsFile.Type

// ---------------------------------------------------------------- personas.yaml

const TaskOverrideSchema = Schema.Union([
  Schema.Struct({ tier: TierSchema }),
  Schema.Struct({ model: ModelName }),
])

const PersonaRuleSchema = Schema.Struct({
  when: Schema.Struct({
    tasks: Schema.optionalKey(Schema.Array(TaskTypeSchema).check(Schema.isMinLength(1))),
    complexityBelow: Schema.optionalKey(Complexity),
    complexityAtLeast: Schema.optionalKey(Complexity),
  }),
  action: Schema.Union([
    Schema.Struct({ tier: TierSchema }),
    Schema.Struct({ adjust: Schema.Literals(["up", "down"]) }),
  ]),
})

export const PersonaEntry = Schema.Struct({
  description: Schema.String.pipe(withDefault("")),
  preferredTier: Schema.optionalKey(TierSchema),
  downgradeThreshold: Schema.optionalKey(Complexity),
  upgradeThreshold: Schema.optionalKey(Complexity),
  taskOverrides: perTask(TaskOverrideSchema).pipe(withDefault({})),
  rules: Schema.Array(PersonaRuleSchema).pipe(withDefault([])),
  minContextWindow: Schema.optionalKey(PositiveInt),
  specialisedModels: perTask(Schema.Array(ModelName).check(Schema.isMinLength(1))).pipe(withDefault({})),
})
export type PersonaEntry = typeof PersonaEntry.Type

export const PersonasFile = Schema.Struct({
  personas: Schema.Record(Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9_-]*$/)), PersonaEntry),
})
export type PersonasFile = typeof PersonasFile.Type

// ---------------------------------------------------------------- conductor.yaml

const TaskRuleSchema = Schema.Struct({
  minTier: Schema.optionalKey(TierSchema),
  maxTier: Schema.optionalKey(TierSchema),
  /** Prefer models specialised for the task even over a larger general model of the same tier. */
  preferSpecialised: Schema.optionalKey(Schema.Boolean),
})

export const RoutingSection = Schema.Struct({
  /** Complexity at or above `balanced` routes to balanced, at or above `quality` to quality. */
  tierThresholds: Schema.Struct({
    balanced: Complexity.pipe(withDefault(3.5)),
    quality: Complexity.pipe(withDefault(7.0)),
  }).pipe(withDefault({})),
  tasks: perTask(TaskRuleSchema).pipe(
    withDefault({
      code_generation: { minTier: "balanced", preferSpecialised: true },
      reasoning: { minTier: "balanced" },
      mathematical: { preferSpecialised: true },
      query_rewriting: { maxTier: "fast" },
    }),
  ),
  /** Persona applied when a request names none. */
  defaultPersona: Schema.optionalKey(Schema.String),
  /**
   * The routing classifier's weights (decision 16): a path (relative to the config directory),
   * `off` for the rules alone; default the shipped `data/routing/model.json`.
   */
  classifier: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  /** Embedding model for embedding requests that name none (default: resident, else the smallest). */
  embeddingModel: Schema.optionalKey(ModelName),
  /**
   * Load-aware choice: among the chosen tier's candidates scoring within `margin` of the best,
   * prefer the one whose score minus `costPerSecond` × expected wait (queue and load) is highest.
   */
  warm: Schema.Struct({
    margin: NonNegative.pipe(withDefault(1)),
    costPerSecond: NonNegative.pipe(withDefault(0.1)),
  }).pipe(withDefault({})),
})

export const FallbacksSection = Schema.Struct({
  enabled: Schema.Boolean.pipe(withDefault(true)),
  maxLength: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(10)).pipe(
    withDefault(3),
  ),
  /**
   * `graceful_degradation`: every fallback has fewer parameters than the primary (cheaper to load,
   * quicker to answer). `best_effort`: same-tier peers of any size may come first.
   */
  strategy: Schema.Literals(["graceful_degradation", "best_effort"]).pipe(
    withDefault("graceful_degradation"),
  ),
  /**
   * When a model fails after streaming part of an answer: `restart` tells the client to discard
   * it and the next model answers afresh; `continue` has the next model carry on from it.
   */
  mode: Schema.Literals(["restart", "continue"]).pipe(withDefault("restart")),
})

export const HardwareSection = Schema.Struct({
  /** Override detected GPU memory, in GB (10^9 bytes). */
  vramGb: Schema.optionalKey(Positive),
  /** Override detected system RAM, in GB. */
  systemRamGb: Schema.optionalKey(Positive),
  /** Apple silicon style unified memory (GPU shares system RAM). */
  unifiedMemory: Schema.optionalKey(Schema.Boolean),
  /** Fraction of GPU memory Conductor may plan with. */
  utilisation: Fraction.pipe(withDefault(0.95)),
  /** GB kept free on top of the utilisation cut (desktop, CUDA context). */
  reserveGb: NonNegative.pipe(withDefault(0.25)),
})

/** One GPU host (an Ollama server) of several (docs/scheduling.md, "Several hosts"). */
export const HostSchema = Schema.Struct({
  /** Its name in snapshots, events and the `host` metric label. */
  name: Schema.String.check(Schema.isNonEmpty()),
  /** Ollama's address: `host`, `host:port` or a URL. */
  url: Schema.String.check(Schema.isNonEmpty()),
  /** Its GPU memory in GB (needed when it is another machine: detection reads this one). */
  vramGb: Schema.optionalKey(Positive),
  /** Its OLLAMA_MAX_LOADED_MODELS (default `backend.maxLoadedModels`, else 3 per GPU). */
  maxLoadedModels: Schema.optionalKey(PositiveInt),
  /** Preference among hosts that are otherwise equal (higher first; default 1). */
  weight: Schema.optionalKey(Positive),
})

export const BackendSection = Schema.Struct({
  /**
   * Ollama's address; default `OLLAMA_HOST`, else http://127.0.0.1:11434. A comma-separated list
   * (`A,B`) is several hosts, named by their addresses.
   */
  host: Schema.optionalKey(Schema.String.check(Schema.isNonEmpty())),
  /** Several GPU hosts under one Conductor (overrides `host`); one owner per host. */
  hosts: Schema.optionalKey(Schema.Array(HostSchema).check(Schema.isMinLength(1))),
  /** How long a control call (list, show, ps, load, unload) may take. */
  callTimeout: DurationMs.pipe(withDefault("30s")),
  /** How long loading one model may take before it counts as failed. */
  loadTimeout: DurationMs.pipe(withDefault("5m")),
  /** After an unload, how long the GPU takes to report the memory free again. */
  unloadSettle: DurationMs.pipe(withDefault("1s")),
  /** The server's OLLAMA_MAX_LOADED_MODELS; unset: Ollama's default, 3 per GPU. */
  maxLoadedModels: Schema.optionalKey(PositiveInt),
  /**
   * Beside other loaded models, Ollama (≥ 0.30) loads a model only if it needs at most this
   * fraction of the free GPU memory, else it evicts one of its own choosing; Conductor makes that
   * room itself first. 1 for older Ollama.
   */
  loadHeadroom: Fraction.pipe(withDefault(0.8)),
})

export const SchedulerSection = Schema.Struct({
  /** Requests waiting for a model, across all models; beyond it requests fail with QueueFull. */
  maxQueued: PositiveInt.pipe(withDefault(1000)),
  /** An idle model is unloaded after this long (pinned models never are). */
  idleTimeout: DurationMs.pipe(withDefault("5m")),
  /** swap-aware: a freshly loaded model is not evicted to make room before this. */
  minResidency: DurationMs.pipe(withDefault("10s")),
  /** swap-aware: a request waiting this long may drain a busy model to get its own loaded. */
  maxWait: DurationMs.pipe(withDefault("90s")),
  /** How often residency is checked against the backend's running models. */
  reconcileInterval: DurationMs.pipe(withDefault("15s")),
})

export const HealthSection = Schema.Struct({
  /** The breaker opens when this percentage of a model's recent attempts failed… */
  errorThresholdPercentage: Schema.Number.check(
    Schema.isGreaterThan(0),
    Schema.isLessThanOrEqualTo(100),
  ).pipe(withDefault(50)),
  /** …and at least this many attempts were made in the window. */
  volumeThreshold: PositiveInt.pipe(withDefault(5)),
  /** The rolling window failures are counted in. */
  window: DurationMs.pipe(withDefault("60s")),
  /** First recovery probe after the breaker opens; doubles after each failed probe… */
  probeAfter: DurationMs.pipe(withDefault("10s")),
  /** …up to this. */
  maxProbeAfter: DurationMs.pipe(withDefault("5m")),
  /** Weight of the newest attempt in the moving averages (0–1]. */
  ewmaAlpha: Fraction.pipe(withDefault(0.2)),
  /**
   * A model's shared breaker opens only when the failures in the window come from at least this
   * many distinct tenants (1: any one tenant can open it); a tenant failing alone gets its own.
   */
  minTenants: PositiveInt.pipe(withDefault(2)),
  /** (tenant, model) breakers kept at most; the least recently used are forgotten first. */
  maxTenantBreakers: PositiveInt.pipe(withDefault(4096)),
})

const ValidationRuleSchema = Schema.Struct({
  /** The answer has visible text. */
  nonEmpty: Schema.optionalKey(Schema.Boolean),
  /** Accept an answer the length limit cut off (a client's own num_predict always is). */
  allowTruncated: Schema.optionalKey(Schema.Boolean),
  /** Reject answers that end in a loop of one phrase or line. */
  repetition: Schema.optionalKey(Schema.Boolean),
  /** Reject answers that open by refusing. */
  refusal: Schema.optionalKey(Schema.Boolean),
  /** The answer must hold code. */
  codePresent: Schema.optionalKey(Schema.Boolean),
})
export type ValidationRule = typeof ValidationRuleSchema.Type

export const ValidationSection = Schema.Struct({
  default: Schema.Struct({
    nonEmpty: Schema.Boolean.pipe(withDefault(true)),
    allowTruncated: Schema.Boolean.pipe(withDefault(false)),
    repetition: Schema.Boolean.pipe(withDefault(true)),
    refusal: Schema.Boolean.pipe(withDefault(true)),
    codePresent: Schema.Boolean.pipe(withDefault(false)),
  }).pipe(withDefault({})),
  tasks: perTask(ValidationRuleSchema).pipe(withDefault({ code_generation: { codePresent: true } })),
})

const DeadlineSet = Schema.Struct({
  firstToken: Schema.optionalKey(DurationMs),
  stall: Schema.optionalKey(DurationMs),
  total: Schema.optionalKey(DurationMs),
})
export type DeadlineOverrides = typeof DeadlineSet.Type

export const RequestsSection = Schema.Struct({
  /** Requests accepted and not yet ended; beyond it submissions fail with QueueFull. */
  maxInFlight: PositiveInt.pipe(withDefault(512)),
  deadlines: Schema.Struct({
    /** From the start of generation to the first token. */
    firstToken: DurationMs.pipe(withDefault("60s")),
    /** The longest gap between two tokens. */
    stall: DurationMs.pipe(withDefault("30s")),
    /** The whole request, queueing and loading included. */
    total: DurationMs.pipe(withDefault("10m")),
    /** Per tier (the served model's), then per task type, overriding the above. */
    tiers: Schema.Struct({
      fast: Schema.optionalKey(DeadlineSet),
      balanced: Schema.optionalKey(DeadlineSet),
      quality: Schema.optionalKey(DeadlineSet),
    }).pipe(withDefault({ quality: { firstToken: "120s", total: "20m" } })),
    tasks: perTask(DeadlineSet).pipe(withDefault({})),
  }).pipe(withDefault({})),
})

export const ServerSection = Schema.Struct({
  host: Schema.String.check(Schema.isNonEmpty()).pipe(withDefault("127.0.0.1")),
  port: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(65535)).pipe(
    withDefault(8080),
  ),
  /** On SIGTERM/SIGINT, how long in-flight requests may take to finish before they are cancelled, ms. */
  drainMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).pipe(withDefault(30_000)),
  /** Largest WebSocket message accepted, bytes. */
  maxPayloadBytes: PositiveInt.pipe(withDefault(1_048_576)),
  /** Largest HTTP request body (OpenAI- and Ollama-compatible APIs; images make them large), bytes. */
  maxRequestBytes: PositiveInt.pipe(withDefault(16_777_216)),
  /** Requests one connection may have in flight. */
  maxInFlightPerConnection: PositiveInt.pipe(withDefault(32)),
  /** WebSocket connections one client (remote address) may have open; more are refused with 429. */
  maxConnectionsPerClient: PositiveInt.pipe(withDefault(64)),
  /** Messages a connection may send per second (sustained), and in a burst. */
  messagesPerSecond: Positive.pipe(withDefault(50)),
  messageBurst: PositiveInt.pipe(withDefault(100)),
  /** Ping interval; a connection that misses a pong by the next ping is closed. */
  heartbeat: DurationMs.pipe(withDefault("30s")),
  /**
   * Origins allowed to open WebSockets (browsers send one; other clients do not). Entries are
   * origins (`https://app.example.com`) or `*`; localhost and 127.0.0.1 on any port are allowed by default.
   */
  allowedOrigins: Schema.Array(Schema.String).pipe(withDefault(["http://localhost", "http://127.0.0.1"])),
  /**
   * Host names the server answers to besides IP addresses and localhost (DNS-rebinding guard):
   * e.g. `conductor.lan`, `.example.com` for its subdomains, or `*` for any.
   */
  allowedHosts: Schema.Array(Schema.String).pipe(withDefault([])),
  slowConsumer: Schema.Struct({
    /** Above this many bytes waiting in a socket, token events are merged. */
    highWaterBytes: PositiveInt.pipe(withDefault(1_048_576)),
    /** A consumer still above the high-water mark after this long — or above 16 × it — is closed (1013). */
    closeAfter: DurationMs.pipe(withDefault("10s")),
  }).pipe(withDefault({})),
})

export const LoggingSection = Schema.Struct({
  level: Schema.Literals(["debug", "info", "warn", "error"]).pipe(withDefault("info")),
  /** Log prompt and answer text (off: logs carry ids, models and timings only). */
  prompts: Schema.Boolean.pipe(withDefault(false)),
})

export const TenantEntry = Schema.Struct({
  /** Fair-share weight: twice the weight, twice the share of contended slots and residency. */
  weight: Positive.pipe(withDefault(1)),
  /** Requests accepted and not yet ended at most; beyond it QueueFull with a retry-after. */
  maxInFlight: Schema.optionalKey(PositiveInt),
  /** Requests accepted per minute at most (a token bucket holding `burst`); beyond it QueueFull. */
  requestsPerMinute: Schema.optionalKey(Positive),
  /** Requests the bucket holds (default: 10 seconds' worth, at least 1). */
  burst: Schema.optionalKey(PositiveInt),
})
export type TenantEntry = typeof TenantEntry.Type

/**
 * Tenants by name (a request's `tenant`: `library`, `console`, an OpenAI `user`, …); `default`
 * applies to every tenant not named. Metric labels use the names given here, else `other`.
 */
export const TenantsSection = Schema.Record(
  Schema.String.check(Schema.isPattern(/^[\x21-\x7e]{1,128}$/)),
  TenantEntry,
)

export const LEARNING_MODES = ["off", "shadow", "on"] as const

/** Learned routing (docs/learning.md): outcomes in SQLite, a Thompson-sampling learner over the rules. */
export const LearningSection = Schema.Struct({
  /**
   * `off`: the rules alone, nothing recorded. `shadow`: outcomes recorded and the learner's choice
   * shown and stored, the rules still route. `on`: the learner chooses among the rules' fit candidates.
   */
  mode: Schema.Literals(LEARNING_MODES).pipe(withDefault("off")),
  /**
   * The outcome database (SQLite, WAL). Default `$XDG_STATE_HOME/conductor/outcomes.db`, else
   * `~/.local/state/conductor/outcomes.db`; `:memory:` keeps it in memory (lost at exit).
   */
  store: Schema.optionalKey(Schema.String.check(Schema.isNonEmpty())),
  /** Outcomes older than this are deleted (checked at start and hourly). */
  retention: DurationMs.pipe(withDefault("30d")),
  /** An outcome's weight halves every halfLife, so the learner follows a model that changes. */
  halfLife: DurationMs.pipe(withDefault("1d")),
  /** Share of decisions that draw from the posteriors (Thompson sampling) instead of taking the best mean. */
  exploration: Probability.pipe(withDefault(0.1)),
  /** How many outcomes the rules' prior is worth. */
  priorWeight: Positive.pipe(withDefault(10)),
  /** Reward lost per GPU-second an answer is expected to cost (quality is 0–1). */
  costWeight: NonNegative.pipe(withDefault(0.005)),
  /** Reward lost per second of expected wait and generation (latency is scored). */
  latencyWeight: NonNegative.pipe(withDefault(0.001)),
  /** When a cost limit binds, the cheapest candidate within this much quality of the best wins. */
  qualityMargin: Probability.pipe(withDefault(0.05)),
  /** Tiers the learner may move a class of queries up or down from the rules' tier (0 keeps the tier). */
  tierReach: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(2)).pipe(
    withDefault(1),
  ),
  /** Daily GPU-second budgets per tenant (a rolling 24 hours); `default` for tenants not listed. */
  budgets: Schema.Struct({
    default: Schema.optionalKey(Positive),
    tenants: Schema.Record(Schema.String.check(Schema.isNonEmpty()), Positive).pipe(withDefault({})),
  }).pipe(withDefault({})),
  /** Seed of the learner's random draws (default: a fresh one each start). */
  seed: Schema.optionalKey(Schema.Int),
})

export const ConductorFile = Schema.Struct({
  routing: RoutingSection.pipe(withDefault({})),
  fallbacks: FallbacksSection.pipe(withDefault({})),
  hardware: HardwareSection.pipe(withDefault({})),
  backend: BackendSection.pipe(withDefault({})),
  scheduler: SchedulerSection.pipe(withDefault({})),
  health: HealthSection.pipe(withDefault({})),
  validation: ValidationSection.pipe(withDefault({})),
  requests: RequestsSection.pipe(withDefault({})),
  server: ServerSection.pipe(withDefault({})),
  logging: LoggingSection.pipe(withDefault({})),
  tenants: TenantsSection.pipe(withDefault({})),
  learning: LearningSection.pipe(withDefault({})),
})
export type ConductorFile = typeof ConductorFile.Type
export type TenantsConfig = ConductorFile["tenants"]
export type RoutingConfig = ConductorFile["routing"]
export type FallbacksConfig = ConductorFile["fallbacks"]
/** What building a fallback chain needs (the mode is the request's business). */
export type ChainConfig = Pick<FallbacksConfig, "enabled" | "maxLength" | "strategy">
export type HardwareConfig = ConductorFile["hardware"]
export type BackendConfig = ConductorFile["backend"]
export type HostConfig = typeof HostSchema.Type
export type SchedulerConfig = ConductorFile["scheduler"]
export type HealthConfig = ConductorFile["health"]
export type ValidationConfig = ConductorFile["validation"]
export type RequestsConfig = ConductorFile["requests"]
export type ServerConfig = ConductorFile["server"]
export type LoggingConfig = ConductorFile["logging"]
export type LearningConfig = ConductorFile["learning"]
