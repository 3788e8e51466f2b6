/**
 * The `ollama` baseline: what a user has without Conductor — the scenario's clients talking to
 * Ollama directly (here the simulator's own replica of Ollama's scheduler, in-process, on the
 * run's clock), with nothing in between: no routing, no deadlines, no fallbacks, no retries. A
 * request that names no model goes to the model Conductor's rules would pick for it, chosen once
 * per request as a user would configure each client. Clients send Ollama's defaults (no
 * keep_alive, no num_ctx) and only the answer cap the trace gives; the server runs with
 * OLLAMA_CONTEXT_LENGTH set to Conductor's context (8192, the scenario's `baselineContextLength`),
 * as a user who sets it would — Ollama's VRAM-based default (32k on 24 GB) would make every
 * model bigger and the baseline worse than it need be. Queue wait and load time come
 * from the simulator's own accounting: a request waited from its arrival until it got its runner
 * (`load_duration`) and then for a slot on it (Ollama's runner queues requests beyond its
 * parallel slots); the part of that wait its own model spent loading is its load time, the rest
 * its queue wait, and its prompt evaluation and generation are its service time.
 */
import { Result } from "effect"
import { SimEngine } from "../src/backends/sim/engine.js"
import { loadProfile, type SimProfile } from "../src/backends/sim/profile.js"
import type { ConductorRequest } from "../src/conductor.js"
import { loadConfig } from "../src/config/load.js"
import { ModelRegistry } from "../src/registry/registry.js"
import { route } from "../src/routing/router.js"
import { ScaledClock, type TimeSource } from "../src/time/clock.js"
import { followEngine, sendDirect } from "./direct-send.js"
import { drive } from "./drive.js"
import { type HostFacts, type PolicyResult, Recorder } from "./recorder.js"
import { onVirtualTime, profileFile, type RunOptions, reportProgress } from "./run-local.js"
import { type Scenario, windowEndMs } from "./scenario.js"

export const runDirect = (scenario: Scenario, options: RunOptions): Promise<PolicyResult> => {
  if (options.clock !== undefined || !scenario.virtualTime) {
    return directOn(scenario, options, options.clock ?? new ScaledClock(scenario.timeScale))
  }
  return onVirtualTime((clock) => directOn(scenario, options, clock))
}

/**
 * The server's context for requests that set none (OLLAMA_CONTEXT_LENGTH): the scenario's
 * `baselineContextLength`, by default Conductor's 8192; `auto` keeps the profile's setting.
 */
export const baselineContext = (scenario: Scenario, profile: SimProfile): number | "auto" => {
  if (scenario.baselineContextLength !== "auto") return scenario.baselineContextLength
  return profile.server.contextLength ?? "auto"
}

const baselineProfile = (profile: SimProfile, scenario: Scenario): SimProfile => {
  const ctx = baselineContext(scenario, profile)
  return ctx === "auto" ? profile : { ...profile, server: { ...profile.server, contextLength: ctx } }
}

/** The model a client without Conductor sends a request to: the one it names, else the rules' pick. */
export const staticModel = (
  scenario: Scenario,
  served: ReadonlySet<string>,
): ((request: ConductorRequest) => string | undefined) => {
  const loaded = loadConfig({ overrides: scenario.conductor, env: {} })
  if (Result.isFailure(loaded)) throw loaded.failure
  const config = loaded.success
  const registry = new ModelRegistry(config.models)
  const available = registry.names.filter((n) => served.has(n))
  const cache = new Map<string, string | undefined>()
  return (request) => {
    if (request.model !== undefined) return request.model
    const query = request.prompt ?? ""
    if (!cache.has(query)) {
      const decided = route(
        { query, available, ...(request.persona !== undefined ? { persona: request.persona } : {}) },
        {
          registry,
          personas: config.personas,
          routing: config.conductor.routing,
          fallbacks: config.conductor.fallbacks,
        },
      )
      cache.set(query, Result.isSuccess(decided) ? decided.success.model : undefined)
    }
    return cache.get(query)
  }
}

const directOn = async (
  scenario: Scenario,
  options: RunOptions,
  clock: TimeSource,
): Promise<PolicyResult> => {
  const file = profileFile(scenario, { unlimitedVram: options.unlimitedVram === true, withFaults: true })
  const profile = baselineProfile(loadProfile(file), scenario)
  const engine = new SimEngine(profile, { clock, seed: scenario.seed })
  const recorder = new Recorder(() => clock.now(), scenario.timeScale, new Set())
  const modelOf = staticModel(scenario, new Set(profile.models.map((m) => m.name)))
  const vram = () => {
    const s = engine.state()
    recorder.event({
      type: "vram",
      usedBytes: s.vram.usedBytes,
      budgetBytes: s.vram.capacityBytes,
      capacityBytes: s.vram.capacityBytes,
    })
  }
  const { direct, unsubscribe } = followEngine(engine, clock, recorder, vram)
  const progress = reportProgress(recorder, clock, options.onProgress)
  try {
    await drive(
      scenario,
      {
        now: () => clock.now(),
        sleep: (ms) => clock.sleep(ms),
        send: (_client, id, request) => sendDirect(direct, id, modelOf(request), request),
      },
      recorder,
      { label: "ollama", durationSec: options.durationSec },
    )
    const endMs = windowEndMs(scenario, options.durationSec, clock.now())
    const s = engine.state()
    const host: HostFacts = {
      budgetBytes: s.vram.capacityBytes,
      maxLoaded: profile.server.maxLoadedModels * profile.gpus.length,
      models: Object.fromEntries(
        profile.models.map((m) => [m.name, { bytes: m.vramGb * 1e9, slots: m.parallel }]),
      ),
    }
    return recorder.result(0, endMs, s.overcommits, host)
  } finally {
    unsubscribe()
    if (progress !== undefined) clearInterval(progress)
    engine.close()
  }
}
