/**
 * Several simulated GPU hosts under one host set (src/gpu/host-set.ts), each its own owner
 * (open-host.ts), on one ManualClock the test advances: placement, per-host budgets and loads,
 * and host failure, deterministically and without HTTP.
 */
import { Effect, Result } from "effect"
import { makeSimBackend } from "../../src/backends/sim/adapter.js"
import { loadProfile, resolveProfilePath, SimEngine } from "../../src/backends/sim/index.js"
import { loadConfig } from "../../src/config/load.js"
import type { ConductorEvent } from "../../src/domain/events.js"
import { GB } from "../../src/domain/model-profile.js"
import { simulatedHardware } from "../../src/gpu/hardware.js"
import { HostSet } from "../../src/gpu/host-set.js"
import { openHost } from "../../src/gpu/open-host.js"
import { swapAwarePolicy } from "../../src/gpu/policies/swap-aware.js"
import type { ResidentModelSpec } from "../../src/gpu/residency.js"
import { factsOf } from "../../src/registry/discover.js"
import { estimateFootprintBytes } from "../../src/registry/footprint.js"
import { makeRunPromise } from "../../src/runtime/run-promise.js"
import { ManualClock } from "../../src/time/clock.js"
import { Time } from "../../src/time/effect-clock.js"

export const hostsEnv = async (options: { profile?: string; hosts?: number; seed?: number } = {}) => {
  const loaded = loadConfig({ env: {} })
  if (Result.isFailure(loaded)) throw loaded.failure
  const config = loaded.success.conductor
  const clock = new ManualClock()
  const run = makeRunPromise(Effect.runSync(Effect.context<Time>().pipe(Effect.provide(Time.layer(clock)))))
  const profile = loadProfile(resolveProfilePath(options.profile ?? "workstation-24gb"))
  const engines = Array.from(
    { length: options.hosts ?? 2 },
    (_, i) => new SimEngine(profile, { clock, seed: (options.seed ?? 1) + i }),
  )
  const specs: ResidentModelSpec[] = []
  const backend0 = makeSimBackend(engines[0] as SimEngine)
  for (const m of profile.models.filter((m) => !m.name.includes("embed"))) {
    const details = await run(backend0.describeModel(m.name))
    specs.push({
      name: m.name,
      kind: "chat",
      numCtx: m.numCtx,
      slots: m.parallel,
      pinned: false,
      estimateBytes: estimateFootprintBytes(factsOf(details), m.numCtx, m.parallel),
    })
  }
  const events: ConductorEvent[] = []
  const hardware = simulatedHardware(
    profile.gpus.map((g) => ({ name: g.name, vramBytes: g.vramGb * GB })),
    profile.systemRamGb * GB,
    { ...config.hardware, utilisation: 1, reserveGb: 0.2 },
  )
  const hosts = await Promise.all(
    engines.map((engine, i) =>
      openHost(
        {
          spec: {
            name: `h${i + 1}`,
            url: `sim://h${i + 1}`,
            vramGb: undefined,
            maxLoadedModels: undefined,
            weight: 1,
          },
          backend: makeSimBackend(engine),
          hardware,
          maxLoaded: profile.server.maxLoadedModels * profile.gpus.length,
          engine,
        },
        {
          run,
          time: clock,
          publish: (e) => events.push({ ...e, at: clock.now() }),
          models: specs,
          config: { ...config, health: { ...config.health, probeAfter: 1000, maxProbeAfter: 4000 } },
          policy: () => swapAwarePolicy({ minResidencyMs: 0, maxWaitMs: 30_000 }),
          weightOf: () => 1,
          several: engines.length > 1,
          available: undefined,
        },
      ),
    ),
  )
  return { clock, engines, set: new HostSet(hosts), events, specs }
}
