/**
 * Load scenarios (`loadtest/scenarios/*.yaml`): which simulated host and how fast its clock runs,
 * how long, who sends what — closed-loop clients (each sends its next query when the last ends,
 * after a think time) or open-loop arrivals (a Poisson rate, with bursts) — the request mix as
 * prompt templates by task, faults on the simulated models, the policies to compare, the
 * Conductor settings to run with, and the SLOs to report against. Every problem in a file is
 * reported with its path.
 */
import { readFileSync } from "node:fs"
import { dirname, isAbsolute, resolve } from "node:path"
import { Result, Schema, SchemaIssue } from "effect"
import { parse } from "yaml"
import { FaultSettings } from "../src/backends/sim/profile.js"
import { SCHEDULING_POLICIES, TaskTypeSchema } from "../src/config/schema.js"
import { NonNegative, Positive, PositiveInt, withDefault } from "../src/config/schema-parts.js"

const Range = Schema.Tuple([NonNegative, NonNegative])

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
})
export type MixEntry = typeof MixEntry.Type

export const Scenario = Schema.Struct({
  name: Schema.String,
  description: Schema.String.pipe(withDefault("")),
  /** Simulator profile: a bundled name or a path relative to the scenario file. */
  profile: Schema.String,
  /** How much faster than real time the simulated host (and Conductor) run. */
  timeScale: Positive.pipe(withDefault(1)),
  /**
   * Multiplies the simulated host's calibrated load times (its profile's `loadCostScale` too):
   * 0.5, 1 and 2 sweep how much model loads cost (docs/simulator.md, "Load time").
   */
  loadCostScale: Positive.pipe(withDefault(1)),
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
  clients: Schema.optionalKey(
    Schema.Struct({
      count: PositiveInt,
      /** Think time between a client's answer and its next query, seconds, uniform in [min, max]. */
      thinkSec: Range.pipe(withDefault([0, 0])),
    }),
  ),
  arrivals: Schema.optionalKey(
    Schema.Struct({
      /** Poisson arrivals per second. */
      rate: Positive,
      /** Every `every` seconds, `count` extra requests at once. */
      bursts: Schema.optionalKey(Schema.Struct({ every: Positive, count: PositiveInt })),
    }),
  ),
  mix: Schema.Array(MixEntry).check(Schema.isMinLength(1)),
  /** Faults per simulated model (probabilities per request or load). */
  faults: Schema.Record(Schema.String, FaultSettings).pipe(withDefault({})),
  policies: Schema.Array(Schema.Literals(SCHEDULING_POLICIES)).pipe(withDefault(["ollama", "swap-aware"])),
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
  slo: Schema.Struct({
    p99LatencyMs: Schema.optionalKey(Positive),
    /** Requests whose chain holds a model without faults must all complete. */
    healthyChainsComplete: Schema.optionalKey(Schema.Boolean),
  }).pipe(withDefault({})),
})
export type Scenario = typeof Scenario.Type & { readonly file: string; readonly profilePath: string }

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
  if ((s.clients === undefined) === (s.arrivals === undefined)) {
    throw new Error(`${file}: invalid scenario:\n  (top): give exactly one of clients and arrivals`)
  }
  const profilePath =
    s.profile.endsWith(".yaml") || s.profile.includes("/")
      ? isAbsolute(s.profile)
        ? s.profile
        : resolve(dirname(file), s.profile)
      : s.profile
  return { ...s, file, profilePath }
}
