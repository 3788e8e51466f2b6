/**
 * `npm run loadtest -- --scenario FILE [--policies ollama,swap-aware] [--out FILE.json]
 * [--duration SECONDS] [--target ws://HOST:PORT/ws] [--clock virtual|scaled] [--time-scale N]
 * [--no-sweep] [--ground-truth FILE]`
 *
 * Without `--target`, replays the scenario's seeded trace once per policy against a fresh
 * Conductor on the simulator (in this process, or a `conductor serve` child over WebSockets when
 * the scenario says `transport: ws`), then once more with unlimited VRAM (the bound). With
 * `--target`, drives that running server over WebSockets. Every policy reruns at the scenario's
 * other load costs (the sweep; `--no-sweep` skips it); `--clock` overrides the scenario's choice of
 * virtual time or the scaled real clock, `--time-scale` the scaled clock's speed-up (the scenario's
 * `timeScale`, e.g. 10 instead of 50 for a run less sensitive to a busy machine). A scenario with a `learning`
 * section runs learned routing against the static rules instead (loadtest/learning/run-learning.ts;
 * `--ground-truth` picks another hidden truth). Prints a Markdown table; `--out` writes
 * the JSON report. Exit 1 when a request was lost or the simulator over-committed, 2 on bad usage.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import { parseArgs } from "node:util"
import { STREAM_SLOWDOWN } from "../src/backends/sim/engine.js"
import { loadProfile } from "../src/backends/sim/profile.js"
import { resolveProfilePath } from "../src/backends/sim/profile-path.js"
import { listFlag, numberFlag, UsageError, withUsage } from "../src/cli/args.js"
import { runLearning } from "./learning/run-learning.js"
import { type HostFigures, hostFigures, hostsMarkdown, multihostCeiling } from "./multihost.js"
import type { PolicyResult } from "./recorder.js"
import {
  ceilingOf,
  checkSlos,
  compare,
  machine,
  markdown,
  type Report,
  violations,
  withCeilingFractions,
} from "./report.js"
import { baselineContext, runDirect } from "./run-direct.js"
import { runDirectHosts } from "./run-direct-hosts.js"
import { type Progress, type RunOptions, runLocal } from "./run-local.js"
import { runWs } from "./run-ws.js"
import { LOADTEST_POLICIES, type LoadtestPolicy, loadScenario, type Scenario, variantOf } from "./scenario.js"
import { type SweepPoint, sweepPoint } from "./sweep.js"
import { checkTargets } from "./targets.js"

const USAGE =
  "usage: npm run loadtest -- --scenario FILE [--policies ollama,swap-aware] [--out FILE.json]\n" +
  "                           [--duration SECONDS] [--target ws://HOST:PORT/ws] [--no-bound]\n" +
  "                           [--clock virtual|scaled] [--time-scale N] [--no-sweep]\n" +
  "                           [--ground-truth FILE]  (learning scenarios)"

export interface Io {
  readonly out: (s: string) => void
  readonly err: (s: string) => void
  /** Draw a progress bar (stderr is a terminal). */
  readonly tty: boolean
}

interface Args {
  readonly scenario: Scenario
  readonly policies: ReadonlyArray<LoadtestPolicy>
  readonly durationSec: number
  readonly out: string | undefined
  readonly target: string | undefined
  readonly bound: boolean
  readonly groundTruth: string | undefined
  readonly sweep: ReadonlyArray<number>
}

const parse = (argv: ReadonlyArray<string>): Args => {
  const { values } = withUsage(
    () =>
      parseArgs({
        args: [...argv],
        options: {
          scenario: { type: "string" },
          policies: { type: "string" },
          out: { type: "string" },
          duration: { type: "string" },
          target: { type: "string" },
          "no-bound": { type: "boolean" },
          "ground-truth": { type: "string" },
          "no-sweep": { type: "boolean" },
          clock: { type: "string" },
          "time-scale": { type: "string" },
        },
        strict: true,
        allowPositionals: false,
      }),
    USAGE,
  )
  if (values.scenario === undefined) throw new UsageError(`--scenario: required\n\n${USAGE}`)
  let scenario: Scenario
  try {
    scenario = loadScenario(values.scenario)
  } catch (e) {
    throw new UsageError(`--scenario: ${(e as Error).message}`)
  }
  if (values.clock !== undefined) {
    if (values.clock !== "virtual" && values.clock !== "scaled")
      throw new UsageError(`--clock: expected virtual or scaled, got '${values.clock}'`)
    scenario = { ...scenario, virtualTime: values.clock === "virtual" }
  }
  const timeScale = numberFlag("time-scale", values["time-scale"], 1)
  if (timeScale !== undefined) scenario = { ...scenario, timeScale }
  const listed = listFlag(values.policies)
  for (const p of listed ?? []) {
    if (!(LOADTEST_POLICIES as ReadonlyArray<string>).includes(p)) {
      throw new UsageError(`--policies: unknown policy '${p}' (expected ${LOADTEST_POLICIES.join(", ")})`)
    }
  }
  if (listed !== undefined && listed.length === 0)
    throw new UsageError("--policies: name at least one policy")
  const duration = numberFlag("duration", values.duration, Number.MIN_VALUE)
  const target = values.target
  if (values["ground-truth"] !== undefined && scenario.learning === undefined) {
    throw new UsageError("--ground-truth: only for a scenario with a learning section")
  }
  if (target !== undefined && scenario.learning !== undefined) {
    throw new UsageError("--target: a learning scenario runs its own Conductors (in-process)")
  }
  if (target !== undefined && scenario.chaos !== undefined) {
    throw new UsageError("--target: a chaos scenario kills its own simulated host (in-process)")
  }
  if (target !== undefined && !/^wss?:\/\/[^/]+/.test(target)) {
    throw new UsageError(`--target: expected a WebSocket URL like ws://127.0.0.1:8080/ws, got '${target}'`)
  }
  return {
    scenario,
    policies: (listed ?? scenario.policies) as ReadonlyArray<LoadtestPolicy>,
    durationSec: duration ?? scenario.duration,
    out: values.out,
    target,
    bound: scenario.bound && values["no-bound"] !== true && target === undefined,
    groundTruth: values["ground-truth"],
    sweep: values["no-sweep"] === true || target !== undefined ? [] : scenario.loadCostSweep,
  }
}

/** One line redrawn in place: how far the run is, what was sent and what ended. */
const progressBar = (io: Io, label: string, durationSec: number) => (p: Progress) => {
  const f = Math.min(1, p.simSeconds / durationSec)
  const width = 24
  const done = Math.round(f * width)
  io.err(
    `\r[${label}] ${"█".repeat(done)}${"░".repeat(width - done)} ${String(Math.round(f * 100)).padStart(3)}% ` +
      `${Math.round(p.simSeconds)}/${durationSec} sim s · sent ${p.sent} · ended ${p.ended} · in flight ${p.inFlight}   `,
  )
}

const run = async (args: Args, io: Io, label: string, options: RunOptions): Promise<PolicyResult> => {
  const started = performance.now()
  const opts: RunOptions = io.tty
    ? { ...options, onProgress: progressBar(io, label, args.durationSec) }
    : options
  const result =
    args.target !== undefined
      ? await runWs(args.scenario, { ...opts, target: args.target })
      : options.policy === "ollama" && options.unlimitedVram !== true
        ? // The baseline: the clients talk to the simulated Ollama directly (round-robin across
          // several hosts, as a plain load balancer would), no Conductor between.
          args.scenario.hosts > 1
          ? await runDirectHosts(args.scenario, opts)
          : await runDirect(args.scenario, opts)
        : args.scenario.transport === "ws"
          ? await runWs(args.scenario, opts)
          : await runLocal(args.scenario, opts)
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  io.err(
    `${io.tty ? "\r\x1b[2K" : ""}[${label}] ${result.completed}/${result.requests} completed in ${seconds} s\n`,
  )
  return result
}

/** The server's policy, from its status endpoint (for a `--target` run's label). */
const targetPolicy = async (target: string): Promise<string | undefined> => {
  const url = new URL(target)
  url.protocol = url.protocol === "wss:" ? "https:" : "http:"
  url.pathname = "/v1/status"
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) })
    const body = (await res.json()) as { policy?: unknown }
    return typeof body.policy === "string" ? body.policy : undefined
  } catch {
    return undefined
  }
}

export const runLoadtest = async (argv: ReadonlyArray<string>, io: Io): Promise<number> => {
  let args: Args
  try {
    args = parse(argv)
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`loadtest: ${e.message}\n`)
      return e.exitCode
    }
    throw e
  }
  const { scenario } = args
  if (scenario.learning !== undefined) return learningRun(args, io)
  const policies: Record<string, PolicyResult> = {}
  // Several hosts: each run's per-host figures (multihost.ts).
  const perHost: Record<string, HostFigures[]> = {}
  const withHosts = (label: string, options: RunOptions): RunOptions =>
    scenario.hosts > 1
      ? {
          ...options,
          onHosts: (names, states) => {
            perHost[label] = hostFigures(names, states)
          },
        }
      : options
  if (args.target !== undefined) {
    // A running server has one policy: one run, named after it.
    const label =
      (args.policies.length === 1 ? args.policies[0] : undefined) ?? (await targetPolicy(args.target))
    const policy = (label ?? "swap-aware") as LoadtestPolicy
    policies[label ?? "target"] = await run(args, io, label ?? "target", {
      policy,
      durationSec: args.durationSec,
    })
  } else {
    for (const policy of args.policies) {
      policies[policy] = await run(
        args,
        io,
        policy,
        withHosts(policy, { policy, durationSec: args.durationSec }),
      )
    }
  }
  // Conductor again on a changed trace: without priorities, without some populations.
  const variants: Record<string, PolicyResult> = {}
  if (args.target === undefined) {
    for (const v of scenario.variants) {
      variants[v.name] = await run({ ...args, scenario: variantOf(scenario, v) }, io, v.name, {
        policy: "swap-aware",
        durationSec: args.durationSec,
      })
    }
  }
  let bound: Report["bound"] = {
    throughputRps: null,
    why:
      args.target !== undefined
        ? "a --target server's VRAM cannot be lifted"
        : scenario.bound
          ? "--no-bound"
          : "the scenario sets bound: false",
  }
  if (args.bound) {
    const policy = args.policies.includes("swap-aware") ? "swap-aware" : (args.policies[0] as LoadtestPolicy)
    bound = {
      policy,
      ...(await run(args, io, "bound", { policy, durationSec: args.durationSec, unlimitedVram: true })),
    }
  }
  const profile = loadProfile(resolveProfilePath(scenario.profilePath))
  const rates = Object.fromEntries(
    profile.models.map((m) => [
      m.name,
      { tokensPerSec: m.tokensPerSec, promptTokensPerSec: m.promptTokensPerSec },
    ]),
  )
  // The simulated GPU slows every generation for each other one running at once.
  const ceiling =
    scenario.hosts > 1
      ? multihostCeiling(
          scenario.hosts,
          Object.values(policies).find((r) => r.host !== undefined)?.host,
          "requests" in bound ? bound : undefined,
          rates,
          STREAM_SLOWDOWN,
        )
      : ceilingOf(policies, "requests" in bound ? bound : undefined, rates, STREAM_SLOWDOWN)
  // The same runs at other load costs (1× is the main run above).
  const loadCostSweep: SweepPoint[] = []
  for (const factor of [...new Set(args.sweep)].sort((a, b) => a - b)) {
    if (factor === 1) {
      loadCostSweep.push(sweepPoint(1, policies, ceiling?.throughputRps))
      continue
    }
    const swept = { ...args, scenario: { ...scenario, loadCostScale: scenario.loadCostScale * factor } }
    const runs: Record<string, PolicyResult> = {}
    for (const policy of args.policies)
      runs[policy] = await run(swept, io, `${policy} ×${factor}`, { policy, durationSec: args.durationSec })
    loadCostSweep.push(sweepPoint(factor, runs, ceiling?.throughputRps))
  }
  const withFractions = withCeilingFractions(policies, ceiling)
  const report: Report = {
    scenario: scenario.name,
    description: scenario.description,
    durationSec: args.durationSec,
    timeScale: scenario.timeScale,
    target: args.target ?? (scenario.transport === "ws" ? "conductor serve over /ws" : "in-process"),
    policies: withFractions,
    ...(Object.keys(variants).length > 0 ? { variants } : {}),
    bound,
    ...optional("ceiling", ceiling),
    ...optional("comparison", compare(policies, bound.throughputRps)),
    ...(args.policies.includes("ollama") && args.target === undefined
      ? { baseline: { ollama: profile.version, contextLength: baselineContext(scenario, profile) } }
      : {}),
    ...(loadCostSweep.length > 0 ? { loadCostSweep } : {}),
    targets: checkTargets({ scenario, policies: withFractions, variants, sweep: loadCostSweep }),
    slo: checkSlos(scenario, policies),
    machine: machine(),
    at: new Date().toISOString(),
  }
  return finish(args, io, report, scenario.hosts > 1 ? perHost : undefined)
}

/** Print the report, write it with `--out`, and say why the run fails (if it does). */
const finish = (args: Args, io: Io, report: Report, perHost?: Record<string, HostFigures[]>): number => {
  io.out(markdown(report))
  if (perHost !== undefined) io.out(hostsMarkdown(perHost))
  if (args.out !== undefined) {
    mkdirSync(dirname(args.out), { recursive: true })
    const json = perHost !== undefined ? { ...report, hosts: args.scenario.hosts, perHost } : report
    writeFileSync(args.out, `${JSON.stringify(json, null, 2)}\n`)
    io.err(`report written to ${args.out}\n`)
  }
  const problems = violations(report)
  for (const p of problems) io.err(`loadtest: ${p}\n`)
  return problems.length > 0 ? 1 : 0
}

/** A learning scenario: learned routing and the static rules on one trace, scored against the ground truth. */
const learningRun = async (args: Args, io: Io): Promise<number> => {
  const started = performance.now()
  const out = await runLearning(args.scenario, {
    durationSec: args.durationSec,
    ...(args.groundTruth !== undefined ? { groundTruth: args.groundTruth } : {}),
    onProgress: (label) => (io.tty ? progressBar(io, label, args.durationSec) : undefined),
    log: (line) => io.err(`${io.tty ? "\r\x1b[2K" : ""}${line}\n`),
  })
  io.err(`learning scenario ran in ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
  return finish(args, io, {
    scenario: args.scenario.name,
    description: args.scenario.description,
    durationSec: args.durationSec,
    timeScale: args.scenario.timeScale,
    target: "in-process",
    policies: out.policies,
    bound: { throughputRps: null, why: "a learning scenario compares routing, not memory" },
    slo: [...checkSlos(args.scenario, out.policies), ...out.slo],
    learning: out.learning,
    machine: machine(),
    at: new Date().toISOString(),
  })
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href
if (isMain) {
  runLoadtest(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    tty: process.stderr.isTTY === true,
  }).then(
    (code) => {
      process.exitCode = code
    },
    (e: unknown) => {
      process.stderr.write(`loadtest: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
      process.exitCode = 1
    },
  )
}
