/**
 * Building one host's owner (host.ts) from its backend and hardware: its own VRAM budget,
 * residency table (models registered, what the host already holds adopted, reconciled on a
 * period), scheduler (the policy, the queue bound, its loaded-model limit) and breaker. With
 * several hosts each one's model, VRAM and queue events carry its name (`host`), and a failed
 * reconciliation is told to its breaker.
 */
import type { HostBackend } from "../backends/select.js"
import type { ConductorFile } from "../config/schema.js"
import type { ConductorEvent } from "../domain/events.js"
import type { RunPromise } from "../runtime/run-promise.js"
import type { TimeSource } from "../time/clock.js"
import { VramBudget } from "./budget.js"
import { GpuHost } from "./host.js"
import type { SchedulingPolicy } from "./policy.js"
import { ResidencyCore, type ResidentModelSpec } from "./residency.js"
import { SchedulerCore } from "./scheduler.js"

export interface OpenHostDeps {
  readonly run: RunPromise
  readonly time: TimeSource
  readonly publish: (event: ConductorEvent) => void
  readonly models: ReadonlyArray<ResidentModelSpec>
  readonly config: ConductorFile
  readonly policy: () => SchedulingPolicy
  readonly weightOf: (tenant: string) => number
  /** The registry models this host has (undefined: it did not answer discovery). */
  readonly available: ReadonlySet<string> | undefined
  /** Several hosts: tag events with the host's name and arm its breaker. */
  readonly several: boolean
}

export const openHost = async (b: HostBackend, deps: OpenHostDeps): Promise<GpuHost> => {
  const c = deps.config
  let host: GpuHost | undefined
  const publish = deps.several
    ? (e: ConductorEvent) => {
        if (e.type === "backend") host?.backendState(e.state, e.message)
        deps.publish({ ...e, host: b.spec.name })
      }
    : deps.publish
  const residency = new ResidencyCore({
    backend: b.backend,
    run: deps.run,
    time: deps.time,
    budget: new VramBudget(b.hardware.budgetBytes),
    publish,
    options: {
      physicalBytes: b.hardware.vramBytes,
      idleTimeoutMs: c.scheduler.idleTimeout,
      loadTimeoutMs: c.backend.loadTimeout,
      maxLoaded: b.maxLoaded,
      reconcileIntervalMs: c.scheduler.reconcileInterval,
      loadHeadroom: c.backend.loadHeadroom,
    },
  })
  residency.register(deps.models)
  const scheduler = new SchedulerCore({
    residency,
    policy: deps.policy(),
    time: deps.time,
    publish,
    options: { maxQueued: c.scheduler.maxQueued, maxLoaded: b.maxLoaded, weightOf: deps.weightOf },
  })
  host = new GpuHost({
    spec: b.spec,
    backend: b.backend,
    hardware: b.hardware,
    maxLoaded: b.maxLoaded,
    residency,
    scheduler,
    run: deps.run,
    time: deps.time,
    publish: deps.publish,
    breaker: {
      probeAfterMs: c.health.probeAfter,
      maxProbeAfterMs: c.health.maxProbeAfter,
      checkTimeoutMs: Math.min(c.backend.callTimeout, 5000),
    },
    engine: b.engine,
    available: deps.available,
  })
  await residency.reconcile()
  residency.start()
  return host
}
