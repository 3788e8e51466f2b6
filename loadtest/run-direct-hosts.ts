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
import { type DirectSend, followEngine, sendDirect } from "./direct-send.js"
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
  const vram = () => {
    const states = engines.map((e) => e.state())
    const used = states.reduce((s, x) => s + x.vram.usedBytes, 0)
    const capacity = states.reduce((s, x) => s + x.vram.capacityBytes, 0)
    recorder.event({ type: "vram", usedBytes: used, budgetBytes: capacity, capacityBytes: capacity })
  }
  const followed = engines.map((engine) => followEngine(engine, clock, recorder, vram))
  const directs = followed.map((f) => f.direct)
  const unsubscribes = followed.map((f) => f.unsubscribe)
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
