/**
 * Load scenarios (`loadtest/scenarios/*.yaml`): which simulated host and how fast its clock runs,
 * how long, who sends what — closed-loop clients (each sends its next query when the last ends,
 * after a think time) or open-loop arrivals (a Poisson rate, with bursts) — the request mix as
 * prompt templates by task, faults on the simulated models, the policies to compare, the
 * Conductor settings to run with, and the SLOs to report against. Several populations (tenants
 * with their own clients or arrivals, mix and priority) may share one run; `variants` rerun
 * Conductor without priorities or without some populations, for comparisons. A `learning`
 * section makes the run score learned routing against a hidden ground truth instead
 * (loadtest/learning/); a `chaos` section kills a host mid-run and restarts it (loadtest/chaos.ts).
 * Every problem in a file is reported with its path.
 */
import { readFileSync } from "node:fs"
import { dirname, isAbsolute, resolve } from "node:path"
import { Result, Schema, SchemaIssue } from "effect"
import { parse } from "yaml"
import { FaultSettings } from "../src/backends/sim/profile.js"
import { TaskTypeSchema } from "../src/config/schema.js"
import { NonNegative, Positive, PositiveInt, withDefault } from "../src/config/schema-parts.js"
import { PRIORITIES } from "../src/domain/tenant.js"
import { LearningSettings } from "./learning/settings.js"

const Range = Schema.Tuple([NonNegative, NonNegative])

/**
 * What a run compares: `ollama` — the baseline, the clients talking to the simulated Ollama
 * directly (run-direct.ts) — and `swap-aware`, Conductor in between.
 */
export const LOADTEST_POLICIES = ["ollama", "swap-aware"] as const
export type LoadtestPolicy = (typeof LOADTEST_POLICIES)[number]

const MixEntry = Schema.Struct({
  /** A name for the report. */
  name: Schema.String,
  task: Schema.optionalKey(TaskTypeSchema),
  /** Relative share of requests. */
  weight: Positive.pipe(withDefault(1)),
  /** Send to this model (agents that target a model); otherwise Conductor routes. */
  model: Schema.optionalKey(Schema.String),
  persona: Schema.optionalKey(Schema.String),
  /** Prompt templates; `{topic}` is filled from `topics`. */
  prompts: Schema.Array(Schema.String).check(Schema.isMinLength(1)),
  topics: Schema.Array(Schema.String).pipe(withDefault(["databases", "compilers", "caching", "graphs"])),
  /** Answer length cap, drawn uniformly from [min, max]. */
  maxTokens: Range.pipe(withDefault([64, 256])),
  /** `interactive` or `batch` (default: the population's). */
  priority: Schema.optionalKey(Schema.Literals(PRIORITIES)),
})
export type MixEntry = typeof MixEntry.Type

const Clients = Schema.Struct({
  count: PositiveInt,
  /** Think time between a client's answer and its next query, seconds, uniform in [min, max]. */
  thinkSec: Range.pipe(withDefault([0, 0])),
})

const Arrivals = Schema.Struct({
  /** Poisson arrivals per second. */
  rate: Positive,
  /** Every `every` seconds, `count` extra requests at once. */
  bursts: Schema.optionalKey(Schema.Struct({ every: Positive, count: PositiveInt })),
})

/** One group of senders: a tenant with its clients or arrivals, its mix and its priority. */
const Population = Schema.Struct({
  name: Schema.String.check(Schema.isPattern(/^[A-Za-z0-9_.-]{1,64}$/)),
  /** The tenant its requests run for (default: the population's name). */
  tenant: Schema.optionalKey(Schema.String),
  priority: Schema.Literals(PRIORITIES).pipe(withDefault("interactive")),
  clients: Schema.optionalKey(Clients),
  arrivals: Schema.optionalKey(Arrivals),
  mix: Schema.Array(MixEntry).check(Schema.isMinLength(1)),
  /** Sends only within [startSec, endSec) of the run (a flood that comes and goes). */
  startSec: NonNegative.pipe(withDefault(0)),
  endSec: Schema.optionalKey(Positive),
})
export type Population = Omit<typeof Population.Type, "tenant"> & {
  /** The tenant its requests run for; undefined: the library's (the default population). */
  readonly tenant: string | undefined
}

/** A rerun of Conductor with the trace changed, for a comparison the report makes. */
const Variant = Schema.Struct({
  name: Schema.String,
  /** Every request interactive (what swap-aware does without priorities). */
  dropPriorities: Schema.Boolean.pipe(withDefault(false)),
  /** Leave these populations out (e.g. the flooder). */
  dropPopulations: Schema.Array(Schema.String).pipe(withDefault([])),
})

export const Scenario = Schema.Struct({
  name: Schema.String,
  description: Schema.String.pipe(withDefault("")),
  /** Simulator profile: a bundled name or a path relative to the scenario file. */
  profile: Schema.String,
  /** Identical simulated GPU hosts, each with the profile (multihost.ts; `ollama` balances round-robin). */
  hosts: PositiveInt.pipe(withDefault(1)),
  /** How much faster than real time the simulated host (and Conductor) run. */
  timeScale: Positive.pipe(withDefault(1)),
  /**
   * Multiplies the simulated host's calibrated load times (its profile's `loadCostScale` too):
   * 0.5, 1 and 2 sweep how much model loads cost (docs/simulator.md, "Load time").
   */
  loadCostScale: Positive.pipe(withDefault(1)),
  /**
   * The load-cost sweep every report gives (multiples of `loadCostScale`; 1 is the main run), so
   * a conclusion is seen not to hang on the calibrated load times. `--no-sweep` skips it.
   */
  loadCostSweep: Schema.Array(Positive).pipe(withDefault([0.5, 1, 2])),
  /**
   * OLLAMA_CONTEXT_LENGTH for the `ollama` baseline's server: by default Conductor's context
   * (8192), as a user who sets it would run; `auto` leaves Ollama's VRAM-based default (32k on 24 GB).
   */
  baselineContextLength: Schema.Union([PositiveInt, Schema.Literal("auto")]).pipe(withDefault(8192)),
  /**
   * In-process runs on virtual time instead: deterministic and as fast as the CPU allows (for
   * correctness and memory runs; Conductor's own overhead is then not measured).
   */
  virtualTime: Schema.Boolean.pipe(withDefault(false)),
  /** Length of the run in simulated seconds (no new requests after it). */
  duration: Positive,
  /** …or stop after this many requests, whichever comes first. */
  requests: Schema.optionalKey(PositiveInt),
  seed: Schema.Int.pipe(withDefault(1)),
  /** One population: closed-loop `clients` or open-loop `arrivals`, and its `mix`… */
  clients: Schema.optionalKey(Clients),
  arrivals: Schema.optionalKey(Arrivals),
  mix: Schema.optionalKey(Schema.Array(MixEntry).check(Schema.isMinLength(1))),
  /** …or several (tenants with their own senders, mix and priority). */
  populations: Schema.optionalKey(Schema.Array(Population).check(Schema.isMinLength(1))),
  variants: Schema.Array(Variant).pipe(withDefault([])),
  /**
   * A host killed mid-run and restarted, in Conductor's runs (not the bound's; loadtest/chaos.ts):
   * host `host` (1-based) stops answering at `downAtSec` and answers again at `upAtSec`.
   */
  chaos: Schema.optionalKey(Schema.Struct({ host: PositiveInt, downAtSec: NonNegative, upAtSec: Positive })),
  /** Faults per simulated model (probabilities per request or load). */
  faults: Schema.Record(Schema.String, FaultSettings).pipe(withDefault({})),
  policies: Schema.Array(Schema.Literals(LOADTEST_POLICIES)).pipe(withDefault(["ollama", "swap-aware"])),
  /** Also run the trace with unlimited VRAM (the throughput ceiling); `--no-bound` skips it. */
  bound: Schema.Boolean.pipe(withDefault(true)),
  /** Settings merged over conductor.yaml for the run (same shapes). */
  conductor: Schema.Record(Schema.String, Schema.Unknown).pipe(withDefault({})),
  /**
   * Registry entries merged over models.yaml by model name (same shapes: `parallel`, `numCtx`, …),
   * e.g. to give Conductor as many slots as the simulated server has; a name not in the registry
   * adds a model (then every required field must be given). Used by the `ws` transport, which
   * writes the server's config directory.
   */
  registry: Schema.Record(Schema.String, Schema.Record(Schema.String, Schema.Unknown)).pipe(withDefault({})),
  /** `in-process` calls Conductor directly; `ws` starts `conductor serve` and connects over WebSockets. */
  transport: Schema.Literals(["in-process", "ws"]).pipe(withDefault("in-process")),
  /** Sample heap and RSS every this many real seconds (soak runs). */
  memorySampleSec: Schema.optionalKey(Positive),
  /** Learned routing against the static rules, feedback drawn from a hidden ground truth. */
  learning: Schema.optionalKey(LearningSettings),
  slo: Schema.Struct({
    p99LatencyMs: Schema.optionalKey(Positive),
    /** Requests whose chain holds a model without faults must all complete. */
    healthyChainsComplete: Schema.optionalKey(Schema.Boolean),
  }).pipe(withDefault({})),
})
export type Scenario = Omit<typeof Scenario.Type, "populations"> & {
  readonly file: string
  readonly profilePath: string
  /** Who sends what: the `populations`, or the one the top-level clients/arrivals and mix make. */
  readonly populations: ReadonlyArray<Population>
}

/** The population the top-level `clients` or `arrivals` and `mix` make (its trace as before). */
export const DEFAULT_POPULATION = "default"

/** The scenario a variant runs: its populations dropped, its priorities all interactive. */
export const variantOf = (scenario: Scenario, v: (typeof Scenario.Type)["variants"][number]): Scenario => ({
  ...scenario,
  populations: scenario.populations
    .filter((p) => !v.dropPopulations.includes(p.name))
    .map((p) =>
      v.dropPriorities
        ? { ...p, priority: "interactive", mix: p.mix.map(({ priority: _priority, ...m }) => m) }
        : p,
    ),
})

/**
 * Where a run's throughput window ends: at the duration when every population is closed-loop (it
 * sends until then); else when the last request ended (open-loop arrivals are all counted).
 */
export const windowEndMs = (scenario: Scenario, durationSec: number, nowMs: number): number =>
  scenario.populations.every((p) => p.clients !== undefined) ? durationSec * 1000 : nowMs

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** Load and check a scenario file; throws with every problem, each with its path. */
export const loadScenario = (file: string): Scenario => {
  const text = readFileSync(file, "utf8")
  const decoded = Schema.decodeUnknownResult(Scenario)(parse(text), {
    errors: "all",
    onExcessProperty: "error",
  })
  if (Result.isFailure(decoded)) {
    const problems = formatter(decoded.failure.issue).issues.map(
      (i) => `  ${(i.path ?? []).map(String).join(".") || "(top)"}: ${i.message}`,
    )
    throw new Error(`${file}: invalid scenario:\n${problems.join("\n")}`)
  }
  const s = decoded.success
  const problems: string[] = []
  if (s.populations === undefined) {
    if ((s.clients === undefined) === (s.arrivals === undefined))
      problems.push("(top): give exactly one of clients and arrivals")
    if (s.mix === undefined) problems.push("mix: required (or give populations)")
  } else if (s.clients !== undefined || s.arrivals !== undefined || s.mix !== undefined) {
    problems.push("(top): give either populations or clients/arrivals and mix, not both")
  }
  for (const [i, p] of (s.populations ?? []).entries()) {
    if ((p.clients === undefined) === (p.arrivals === undefined)) {
      problems.push(`populations.${i}: give exactly one of clients and arrivals`)
    }
  }
  const names = new Set((s.populations ?? []).map((p) => p.name))
  for (const [i, v] of s.variants.entries()) {
    for (const n of v.dropPopulations)
      if (!names.has(n)) problems.push(`variants.${i}.dropPopulations: no population '${n}'`)
  }
  if (s.chaos !== undefined) {
    if (s.chaos.host > s.hosts)
      problems.push(`chaos.host: ${s.chaos.host}, but the scenario has ${s.hosts} host(s)`)
    if (s.hosts < 2) problems.push("chaos: needs at least two hosts (one stays up)")
    if (s.transport !== "in-process") problems.push("chaos: only in-process runs kill a simulated host")
    if (s.chaos.upAtSec <= s.chaos.downAtSec) problems.push("chaos.upAtSec: must be after downAtSec")
    if (s.chaos.downAtSec >= s.duration) problems.push("chaos.downAtSec: must be within the duration")
  }
  if (problems.length > 0)
    throw new Error(`${file}: invalid scenario:\n${problems.map((p) => `  ${p}`).join("\n")}`)
  const populations: Population[] =
    s.populations !== undefined
      ? s.populations.map((p) => ({ ...p, tenant: p.tenant ?? p.name }))
      : [
          {
            name: DEFAULT_POPULATION,
            tenant: undefined,
            priority: "interactive",
            ...(s.clients !== undefined ? { clients: s.clients } : {}),
            ...(s.arrivals !== undefined ? { arrivals: s.arrivals } : {}),
            mix: s.mix ?? [],
            startSec: 0,
          },
        ]
  const profilePath =
    s.profile.endsWith(".yaml") || s.profile.includes("/")
      ? isAbsolute(s.profile)
        ? s.profile
        : resolve(dirname(file), s.profile)
      : s.profile
  return { ...s, file, profilePath, populations }
}
