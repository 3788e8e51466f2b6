/**
 * The `ollama` baseline on several GPU hosts: what a user has without Conductor — one Ollama per
 * host (here each host is the simulator's own replica of Ollama's scheduler, in-process, on the
 * run's clock), and a plain load balancer in front spreading requests round-robin across them
 * (LiteLLM's shuffle, nginx). Each host schedules alone, so every host loads whatever it is sent.
 * As in run-direct.ts: no routing, deadlines, fallbacks or retries; Ollama's defaults; queue and
 * load time from each host's own accounting. Per-host figures go to `onHosts`.
 */
import { fromThrown } from "../src/backends/errors.js"
import { SimEngine, type SimState } from "../src/backends/sim/engine.js"
import { loadProfile } from "../src/backends/sim/profile.js"
import { ScaledClock, type TimeSource } from "../src/time/clock.js"
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
  const progress = reportProgress(recorder, clock, options.onProgress)
  let next = 0
  try {
    await drive(
      scenario,
      {
        now: () => clock.now(),
        sleep: (ms) => clock.sleep(ms),
        send: async (_client, id, request) => {
          const model = modelOf(request)
          const h = next++ % engines.length
          const engine = engines[h] as SimEngine
          const sentAt = clock.now()
          recorder.event({ type: "accepted", id })
          if (model === undefined) {
            recorder.event({
              type: "failed",
              id,
              reason: "NoModelAvailable",
              message: "no model for it",
              attempts: [],
            })
            return
          }
          recorder.event({ type: "started", id, model, attempt: 1 })
          let firstTokenAt: number | undefined
          try {
            const response = await engine.generate({
              model,
              prompt: request.prompt ?? "",
              stream: true,
              ...(request.options?.numPredict !== undefined
                ? { options: { num_predict: request.options.numPredict } }
                : {}),
            })
            if (response.kind === "single") throw new Error("stream ended without a done chunk")
            let part = response.first
            for (;;) {
              if (firstTokenAt === undefined && (part.response !== "" || (part.thinking ?? "") !== "")) {
                firstTokenAt = clock.now()
              }
              if (part.done) {
                await response.cancel()
                break
              }
              const step = await response.rest.next()
              if (step.done === true) throw new Error("stream ended without a done chunk")
              part = step.value
            }
            const done = part as typeof part & {
              load_duration?: number
              total_duration?: number
              prompt_eval_count?: number
              prompt_eval_duration?: number
              eval_count?: number
              eval_duration?: number
            }
            const now = clock.now()
            const gotRunnerAt = sentAt + (done.load_duration ?? 0) / 1e6
            const loadMs = loadingWithin(h, model, sentAt, gotRunnerAt)
            recorder.event({
              type: "completed",
              id,
              model,
              tier: "fast",
              taskType: "general_qa",
              text: "",
              reason: "explicit_override",
              finishReason: done.done_reason === "length" ? "length" : "stop",
              usage: { promptTokens: done.prompt_eval_count ?? 0, evalTokens: done.eval_count ?? 0 },
              timings: {
                queueMs: Math.max(0, gotRunnerAt - sentAt - loadMs),
                loadMs,
                firstTokenMs: firstTokenAt === undefined ? undefined : firstTokenAt - sentAt,
                totalMs: now - sentAt,
                backendMs: Math.max(0, (done.total_duration ?? 0) / 1e6 - (done.load_duration ?? 0) / 1e6),
                promptEvalMs: (done.prompt_eval_duration ?? 0) / 1e6,
                evalMs: (done.eval_duration ?? 0) / 1e6,
              },
              attempts: [{ model, outcome: "completed" }],
              warnings: [],
              labels: [],
            })
          } catch (e) {
            const error = fromThrown(e, model)
            recorder.event({
              type: "failed",
              id,
              reason: error.reason,
              message: error.message,
              attempts: [{ model, outcome: "failed", reason: error.reason, message: error.message }],
            })
          }
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
