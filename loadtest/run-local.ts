/**
 * One policy's run in this process: a Conductor on the simulator engine (the scenario's profile,
 * faults and time scale), driven by the scenario's trace. With `unlimitedVram` the same host gets
 * memory for every model at once — the throughput ceiling (`bound`). A scenario's `chaos` kills a
 * host mid-run and restarts it (not in the bound run), and the result carries what it showed.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { parse, stringify } from "yaml"
import type { SimState } from "../src/backends/sim/engine.js"
import { resolveProfilePath } from "../src/backends/sim/profile-path.js"
import { createConductor, type RequestHandle } from "../src/conductor.js"
import { mergeDeep } from "../src/config/load.js"
import { bundledConfigDir } from "../src/config/paths.js"
import { isConductorError } from "../src/domain/errors.js"
import type { ConductorEvent } from "../src/domain/events.js"
import { ManualClock, ScaledClock, type TimeSource } from "../src/time/clock.js"
import { ChaosWatch, scheduleHostKill } from "./chaos.js"
import { drive } from "./drive.js"
import { type HostFacts, type PolicyResult, Recorder } from "./recorder.js"
import { type LoadtestPolicy, type Scenario, windowEndMs } from "./scenario.js"

export interface RunOptions {
  readonly policy: LoadtestPolicy
  readonly durationSec: number
  readonly unlimitedVram?: boolean
  readonly onProgress?: (p: Progress) => void
  /** The clock to run on (default: the scenario's time scale on the real clock); tests pass virtual time. */
  readonly clock?: TimeSource
  /** Every event of the run, as it happens (diagnostics). */
  readonly onEvent?: (e: ConductorEvent) => void
  /**
   * Follows each accepted request instead of just awaiting its end (the learning scenario rates
   * answers through `handle.feedback`); the request counts as ended when this resolves.
   */
  readonly follow?: (id: string, handle: RequestHandle) => Promise<void>
  /** At the end: each simulated host's name and own accounting (multihost.ts). */
  readonly onHosts?: (names: ReadonlyArray<string>, states: ReadonlyArray<SimState>) => void
}

export interface Progress {
  readonly sent: number
  readonly ended: number
  readonly inFlight: number
  readonly simSeconds: number
}

/**
 * The scenario's profile as a file: faults added, its load-cost scale applied, or every model
 * given room (bound runs).
 */
export const profileFile = (
  scenario: Scenario,
  options: { unlimitedVram?: boolean; withFaults?: boolean },
): string => {
  const raw = parse(readFileSync(resolveProfilePath(scenario.profilePath), "utf8")) as Record<string, unknown>
  if (scenario.loadCostScale !== 1) {
    raw.loadCostScale =
      (typeof raw.loadCostScale === "number" ? raw.loadCostScale : 1) * scenario.loadCostScale
  }
  if (options.unlimitedVram === true) {
    raw.gpus = [{ name: "unlimited", vramGb: 100_000 }]
    raw.server = { ...(raw.server as Record<string, unknown>), maxLoadedModels: 1000 }
  }
  if (options.withFaults === true) {
    for (const m of raw.models as Array<Record<string, unknown>>) {
      const f = scenario.faults[m.name as string]
      if (f !== undefined) m.faults = f
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "conductor-loadtest-"))
  const file = join(dir, "profile.yaml")
  writeFileSync(file, stringify(raw))
  return file
}

/** Settings for the run: the scenario's, with limits high enough to measure the scheduler. */
export const runConfig = (scenario: Scenario): Record<string, unknown> =>
  mergeDeep(
    { requests: { maxInFlight: 100_000 }, scheduler: { maxQueued: 100_000 } },
    scenario.conductor as Record<string, unknown>,
  )

/**
 * A config directory for one run: the bundled files, with `extra` and the run's settings merged
 * over conductor.yaml and the scenario's `registry` entries over models.yaml.
 */
export const configDir = (scenario: Scenario, extra: Record<string, unknown> = {}): string => {
  const dir = mkdtempSync(join(tmpdir(), "conductor-loadtest-config-"))
  const bundled = bundledConfigDir()
  for (const f of readdirSync(bundled)) if (f.endsWith(".yaml")) copyFileSync(join(bundled, f), join(dir, f))
  const file = join(dir, "conductor.yaml")
  const base = (parse(readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>
  writeFileSync(file, stringify(mergeDeep(mergeDeep(base, extra), runConfig(scenario))))
  const overlay = Object.entries(scenario.registry)
  if (overlay.length > 0) {
    const modelsFile = join(dir, "models.yaml")
    const raw = (parse(readFileSync(modelsFile, "utf8")) ?? {}) as { models?: Array<Record<string, unknown>> }
    const models = [...(raw.models ?? [])]
    for (const [name, over] of overlay) {
      const i = models.findIndex((m) => m.name === name)
      if (i >= 0) models[i] = mergeDeep(models[i] as Record<string, unknown>, over)
      else models.push({ name, ...over })
    }
    writeFileSync(modelsFile, stringify({ ...raw, models }))
  }
  return dir
}

/** Calls `onProgress` four times a (real) second with what the run has done so far; clear it at the end. */
export const reportProgress = (
  recorder: Recorder,
  clock: { now(): number },
  onProgress: ((p: Progress) => void) | undefined,
): ReturnType<typeof setInterval> | undefined =>
  onProgress === undefined
    ? undefined
    : setInterval(
        () =>
          onProgress({
            sent: recorder.sentCount,
            ended: recorder.ended,
            inFlight: recorder.inFlight,
            simSeconds: clock.now() / 1000,
          }),
        250,
      )

const totalVram = (v: { used: number; budget: number; capacity: number }): ConductorEvent => ({
  type: "vram",
  usedBytes: v.used,
  budgetBytes: v.budget,
  capacityBytes: v.capacity,
})

/** The host's VRAM budget, loaded-model limit and model footprints, from a snapshot or `/v1/status`. */
export const hostFacts = (snap: {
  readonly vram: { readonly budget: number }
  readonly maxLoadedModels?: number
  readonly models: ReadonlyArray<{ readonly name: string; readonly bytes: number; readonly slots: number }>
}): HostFacts | undefined =>
  snap.maxLoadedModels === undefined
    ? undefined
    : {
        budgetBytes: snap.vram.budget,
        maxLoaded: snap.maxLoadedModels,
        models: Object.fromEntries(snap.models.map((m) => [m.name, { bytes: m.bytes, slots: m.slots }])),
      }

export const runLocal = (scenario: Scenario, options: RunOptions): Promise<PolicyResult> => {
  if (options.clock !== undefined || !scenario.virtualTime) {
    return runOn(scenario, options, options.clock ?? new ScaledClock(scenario.timeScale))
  }
  return onVirtualTime((clock) => runOn(scenario, options, clock))
}

/** Run `f` on a virtual clock moved forward whenever everything in flight is waiting on it. */
export const onVirtualTime = async <A>(f: (clock: ManualClock) => Promise<A>): Promise<A> => {
  const clock = new ManualClock()
  let done = false
  const run = f(clock).finally(() => {
    done = true
  })
  while (!done) await clock.advance(VIRTUAL_STEP_MS)
  return run
}

/** How far virtual time moves per step: small enough not to batch unrelated timers' effects much. */
const VIRTUAL_STEP_MS = 250

const runOn = async (scenario: Scenario, options: RunOptions, clock: TimeSource): Promise<PolicyResult> => {
  const unlimited = options.unlimitedVram === true
  const profile = profileFile(scenario, { unlimitedVram: unlimited, withFaults: true })
  const config = configDir(scenario)
  const conductor = await createConductor({
    backend: "sim",
    simProfile: profile,
    simHosts: scenario.hosts,
    configDir: config,
    clock,
    seed: scenario.seed,
    env: {},
  }).finally(() => {
    rmSync(dirname(profile), { recursive: true, force: true })
    rmSync(config, { recursive: true, force: true })
  })
  const healthy = new Set(
    conductor
      .snapshot()
      .models.filter((m) => m.available && scenario.faults[m.name] === undefined)
      .map((m) => m.name),
  )
  const recorder = new Recorder(() => clock.now(), scenario.timeScale, healthy)
  conductor.subscribe((e) => {
    // Several hosts: VRAM is the sum across them (each host's event carries its own).
    recorder.event(e.type === "vram" && e.host !== undefined ? totalVram(conductor.snapshot().vram) : e)
    options.onEvent?.(e)
  })
  const memory =
    scenario.memorySampleSec !== undefined
      ? setInterval(() => recorder.sampleMemory(), scenario.memorySampleSec * 1000)
      : undefined
  recorder.sampleMemory()
  const progress = reportProgress(recorder, clock, options.onProgress)
  const chaosStop = new AbortController()
  const chaos =
    scenario.chaos !== undefined && !unlimited
      ? new ChaosWatch(
          scenario.chaos,
          conductor.snapshot().hosts.map((h) => h.name),
          () => clock.now(),
        )
      : undefined
  if (chaos !== undefined && scenario.chaos !== undefined) {
    conductor.subscribe((e) => chaos.event(e))
    scheduleHostKill(scenario.chaos, conductor.simulators, clock, chaosStop.signal, () => chaos.killed())
  }
  try {
    await drive(
      scenario,
      {
        now: () => clock.now(),
        sleep: (ms) => clock.sleep(ms),
        send: async (_client, id, request) => {
          let handle: ReturnType<typeof conductor.submit>
          try {
            handle = conductor.submit({ ...request, id })
          } catch (e) {
            recorder.rejected(id)
            if (isConductorError(e) && e.retryAfterMs !== undefined) await clock.sleep(e.retryAfterMs)
            return
          }
          await (options.follow?.(id, handle) ?? handle.result.catch(() => undefined))
        },
      },
      recorder,
      { label: options.policy, durationSec: options.durationSec },
    )
    const endMs = windowEndMs(scenario, options.durationSec, clock.now())
    recorder.sampleMemory()
    const snap = conductor.snapshot()
    const overcommits = snap.simulator?.overcommits ?? 0
    options.onHosts?.(
      snap.hosts.map((h) => h.name),
      conductor.simulators.map((s) => s.state()),
    )
    await conductor.close()
    // Several hosts: one host's facts (identical hosts; the ceiling multiplies).
    const first = snap.hosts[0]
    const facts =
      snap.hosts.length > 1 && first !== undefined
        ? hostFacts({ ...snap, vram: first.vram, maxLoadedModels: first.maxLoadedModels })
        : hostFacts(snap)
    const result = recorder.result(0, endMs, overcommits, facts)
    return chaos !== undefined ? { ...result, chaos: chaos.report() } : result
  } finally {
    chaosStop.abort()
    if (memory !== undefined) clearInterval(memory)
    if (progress !== undefined) clearInterval(progress)
  }
}
