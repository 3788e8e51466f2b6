/**
 * The `ollama` baseline on several GPU hosts: what a user has without Conductor — one Ollama per
 * host (here each host is the simulator's own replica of Ollama's scheduler, in-process, on the
 * run's clock), and a plain load balancer in front spreading requests round-robin across them
 * (LiteLLM's shuffle, nginx). Each host schedules alone, so every host loads whatever it is sent.
 * As in run-direct.ts: no routing, deadlines, fallbacks or retries; Ollama's defaults; queue and
 * load time from each host's own accounting. Per-host figures go to `onHosts`.
 */
import { SimEngine, type SimState } from "../src/backends/sim/engine.js"
import { loadProfile } from "../src/backends/sim/profile.js"
import { ScaledClock, type TimeSource } from "../src/time/clock.js"
import { type DirectSend, sendDirect } from "./direct-send.js"
import { drive } from "./drive.js"
import { type HostFacts, type PolicyResult, Recorder } from "./recorder.js"
import { staticModel } from "./run-direct.js"
import { onVirtualTime, profileFile, type RunOptions, reportProgress } from "./run-local.js"
import { type Scenario, windowEndMs } from "./scenario.js"

export interface HostsRunOptions extends RunOptions {
  readonly onHosts?: (names: ReadonlyArray<string>, states: ReadonlyArray<SimState>) => void
}

export const runDirectHosts = (scenario: Scenario, options: HostsRunOptions): Promise<PolicyResult> => {
  if (options.clock !== undefined || !scenario.virtualTime) {
    return directOn(scenario, options, options.clock ?? new ScaledClock(scenario.timeScale))
  }
  return onVirtualTime((clock) => directOn(scenario, options, clock))
}

const directOn = async (
  scenario: Scenario,
  options: HostsRunOptions,
  clock: TimeSource,
): Promise<PolicyResult> => {
  const file = profileFile(scenario, { unlimitedVram: options.unlimitedVram === true, withFaults: true })
  const profile = loadProfile(file)
  const engines = Array.from(
    { length: scenario.hosts },
    (_, i) => new SimEngine(profile, { clock, seed: scenario.seed + i }),
  )
  const names = engines.map((_, i) => `sim-${i + 1}`)
  const recorder = new Recorder(() => clock.now(), scenario.timeScale, new Set())
  const modelOf = staticModel(scenario, new Set(profile.models.map((m) => m.name)))
  /** Per host, each model's loads as [start, end) on the clock. */
  const loads = engines.map(() => new Map<string, Array<{ start: number; end: number }>>())
  const loadingSince = engines.map(() => new Map<string, number>())
  const vram = () => {
    const states = engines.map((e) => e.state())
    const used = states.reduce((s, x) => s + x.vram.usedBytes, 0)
    const capacity = states.reduce((s, x) => s + x.vram.capacityBytes, 0)
    recorder.event({ type: "vram", usedBytes: used, budgetBytes: capacity, capacityBytes: capacity })
  }
  const unsubscribes = engines.map((engine, h) =>
    engine.subscribe((e) => {
      switch (e.type) {
        case "load_started":
          loadingSince[h]?.set(e.model, e.at)
          return vram()
        case "loaded": {
          const start = loadingSince[h]?.get(e.model) ?? e.at - e.loadMs
          loadingSince[h]?.delete(e.model)
          const list = loads[h]?.get(e.model) ?? []
          list.push({ start, end: e.at })
          loads[h]?.set(e.model, list)
          recorder.event({ type: "model_loaded", model: e.model, bytes: e.bytes, loadMs: e.loadMs })
          return vram()
        }
        case "load_failed":
          loadingSince[h]?.delete(e.model)
          return vram()
        case "unload_started":
          recorder.event({
            type: "model_evicted",
            model: e.model,
            reason: e.reason === "expired" ? "idle" : "make_room",
            bytes: 0,
          })
          return
        case "unloaded":
        case "crashed":
          return vram()
        default:
          return
      }
    }),
  )
  const loadingWithin = (h: number, model: string, from: number, to: number): number => {
    let ms = 0
    for (const l of loads[h]?.get(model) ?? [])
      ms += Math.max(0, Math.min(to, l.end) - Math.max(from, l.start))
    return ms
  }
  const directs: DirectSend[] = engines.map((engine, h) => ({
    engine,
    clock,
    recorder,
    loadingWithin: (model, from, to) => loadingWithin(h, model, from, to),
  }))
  const progress = reportProgress(recorder, clock, options.onProgress)
  let next = 0
  try {
    await drive(
      scenario,
      {
        now: () => clock.now(),
        sleep: (ms) => clock.sleep(ms),
        send: (_client, id, request) => {
          // A plain load balancer: round-robin over the hosts.
          const h = next++ % engines.length
          return sendDirect(directs[h] as DirectSend, id, modelOf(request), request)
        },
      },
      recorder,
      { label: "ollama", durationSec: options.durationSec },
    )
    const endMs = windowEndMs(scenario, options.durationSec, clock.now())
    const states = engines.map((e) => e.state())
    options.onHosts?.(names, states)
    // One host's facts (the hosts are identical): the ceiling is per host, times the hosts.
    const first = states[0] as SimState
    const host: HostFacts = {
      budgetBytes: first.vram.capacityBytes,
      maxLoaded: profile.server.maxLoadedModels * profile.gpus.length,
      models: Object.fromEntries(
        profile.models.map((m) => [m.name, { bytes: m.vramGb * 1e9, slots: m.parallel }]),
      ),
    }
    return recorder.result(
      0,
      endMs,
      states.reduce((s, x) => s + x.overcommits, 0),
      host,
    )
  } finally {
    for (const u of unsubscribes) u()
    if (progress !== undefined) clearInterval(progress)
    for (const e of engines) e.close()
  }
}
