/**
 * Residency and scheduler over the in-process simulator on one ManualClock: Conductor's timers
 * and the simulated GPU's share virtual time, so tests advance both deterministically.
 */
import { Effect } from "effect"
import { makeSimBackend } from "../../src/backends/sim/adapter.js"
import { loadProfile, resolveProfilePath, SimEngine, type SimProfile } from "../../src/backends/sim/index.js"
import type { ConductorEvent } from "../../src/domain/events.js"
import { VramBudget } from "../../src/gpu/budget.js"
import { swapAwarePolicy } from "../../src/gpu/policies/swap-aware.js"
import type { SchedulingPolicy } from "../../src/gpu/policy.js"
import { ResidencyCore, type ResidencyOptions, type ResidentModelSpec } from "../../src/gpu/residency.js"
import { SchedulerCore } from "../../src/gpu/scheduler.js"
import { factsOf } from "../../src/registry/discover.js"
import { estimateFootprintBytes } from "../../src/registry/footprint.js"
import { makeRunPromise } from "../../src/runtime/run-promise.js"
import { ManualClock } from "../../src/time/clock.js"
import { Time } from "../../src/time/effect-clock.js"

export const GB = 1e9

export interface GpuEnvOptions {
  readonly profile?: SimProfile
  /** The budget, GB; default the simulated GPU's memory. */
  readonly budgetGb?: number
  readonly policy?: SchedulingPolicy
  readonly maxQueued?: number
  readonly pinned?: ReadonlyArray<string>
  readonly residency?: Partial<ResidencyOptions>
}

export const tinyCi = (): SimProfile => loadProfile(resolveProfilePath("tiny-ci"))

export const gpuEnv = async (options: GpuEnvOptions = {}) => {
  const profile = options.profile ?? tinyCi()
  const clock = new ManualClock()
  const engine = new SimEngine(profile, { clock, seed: 1 })
  const backend = makeSimBackend(engine)
  const run = makeRunPromise(Effect.runSync(Effect.context<Time>().pipe(Effect.provide(Time.layer(clock)))))
  const specs: ResidentModelSpec[] = []
  for (const m of profile.models) {
    const details = await run(backend.describeModel(m.name))
    specs.push({
      name: m.name,
      kind: "chat",
      numCtx: m.numCtx,
      slots: m.parallel,
      pinned: options.pinned?.includes(m.name) ?? false,
      estimateBytes: estimateFootprintBytes(factsOf(details), m.numCtx, m.parallel),
    })
  }
  const capacity = (options.budgetGb ?? profile.gpus.reduce((s, g) => s + g.vramGb, 0)) * GB
  const budget = new VramBudget(capacity)
  const events: ConductorEvent[] = []
  const publish = (e: ConductorEvent) => {
    events.push({ ...e, at: clock.now() })
  }
  const residency = new ResidencyCore({
    backend,
    run,
    time: clock,
    budget,
    publish,
    options: {
      idleTimeoutMs: 300_000,
      loadTimeoutMs: 60_000,
      reconcileIntervalMs: 15_000,
      physicalBytes: profile.gpus.reduce((s, g) => s + g.vramGb * GB, 0),
      maxLoaded: profile.server.maxLoadedModels * profile.gpus.length,
      // The simulated Ollama (v0.30+) loads beside others only what needs ≤ 80% of free memory.
      loadHeadroom: 0.8,
      ...options.residency,
    },
  })
  residency.register(specs)
  const scheduler = new SchedulerCore({
    residency,
    policy: options.policy ?? swapAwarePolicy({ minResidencyMs: 0, maxWaitMs: 30_000 }),
    time: clock,
    publish,
    options: {
      maxQueued: options.maxQueued ?? 100,
      maxLoaded: profile.server.maxLoadedModels * profile.gpus.length,
    },
  })
  /** Simulated memory in use, including models still unloading. */
  const simUsed = () => engine.state().vram.usedBytes
  const ofType = <T extends ConductorEvent["type"]>(type: T) =>
    events.filter((e): e is Extract<ConductorEvent, { type: T }> => e.type === type)
  return { clock, engine, backend, run, budget, residency, scheduler, events, ofType, simUsed, specs }
}

/** A promise's outcome without awaiting it (for checks while virtual time stands still). */
export const track = <T>(p: Promise<T>) => {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false }
  p.then(
    (value) => {
      state.value = value
      state.settled = true
    },
    (error: unknown) => {
      state.error = error
      state.settled = true
    },
  )
  return state
}
