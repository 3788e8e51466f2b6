/**
 * The composition root and the library API. `createConductor` loads the configuration, picks the
 * backend (Ollama, or the embedded simulator), discovers models, measures the GPU budget and
 * builds the owners — one per GPU host (budget, residency, scheduler, breaker) under the host set,
 * and health — as plain classes on one clock, with the backend port on an Effect runtime
 * (docs/architecture.md, "One shape per concept"). Each
 * submitted request becomes one XState actor (machines/request.machine.ts), kept in a map while
 * it runs; its events flow through the event bus to its handle, to `events()` subscribers, to
 * metrics and logs. Every accepted request ends with exactly one of completed, failed, cancelled.
 */
import { randomUUID } from "node:crypto"
import { Cause, Effect, Layer, ManagedRuntime, Result } from "effect"
import { createActor } from "xstate"
import { type MachineClock, machineClock } from "../machines/clock.js"
import {
  makeRequestMachine,
  type RequestInput,
  type RequestMachine,
  type RequestOutput,
  type RequestServices,
} from "../machines/request.machine.js"
import { Backend, type BackendModelDetails } from "./backends/port.js"
import { type HostBackend, selectBackends } from "./backends/select.js"
import type { SimEngine } from "./backends/sim/engine.js"
import { type Config, loadConfig } from "./config/load.js"
import type { DecisionReason } from "./domain/decision.js"
import { type ConductorError, conductorError, isConductorError } from "./domain/errors.js"
import type {
  Attempt,
  ConductorEvent,
  FinishReason,
  RequestEvent,
  Timings,
  ToolCall,
  Topic,
  Usage,
} from "./domain/events.js"
import { TERMINAL_TYPES } from "./domain/events.js"
import { GB, type ModelProfile, memoryBytes } from "./domain/model-profile.js"
import type { TaskType } from "./domain/task.js"
import { DEFAULT_TENANT } from "./domain/tenant.js"
import type { Tier } from "./domain/tier.js"
import { type EventBusShape, makeEventBus } from "./events/bus.js"
import { Replay, Subscription } from "./events/stream.js"
import type { HardwareReport } from "./gpu/hardware.js"
import { HostSet, type HostSnapshot } from "./gpu/host-set.js"
import { mergeModels, mergeQueues } from "./gpu/hosts-view.js"
import { openHost } from "./gpu/open-host.js"
import { makePolicy } from "./gpu/policies/index.js"
import { type ModelResidency, type ResidencyCore, residentSpecs } from "./gpu/residency.js"
import type { QueueSnapshot, SchedulerCore } from "./gpu/scheduler.js"
import { HealthCore, healthOptionsOf, type ModelHealth } from "./health/health.js"
import { type Learning, openLearning } from "./learning/learning.js"
import { discover, factsOf } from "./registry/discover.js"
import { estimateFootprintBytes } from "./registry/footprint.js"
import { ModelRegistry, normaliseName } from "./registry/registry.js"
import { attemptActors } from "./requests/actors.js"
import { deadlinesFor } from "./requests/deadlines.js"
import {
  checkEmbedRequest,
  type EmbedRequest,
  type EmbedResponse,
  embeddingModelFor,
  embedProgram,
} from "./requests/embed.js"
import { Quotas } from "./requests/quotas.js"
import { type ConductorRequest, prepareRequest } from "./requests/request.js"
import type { RoutingClassifier } from "./routing/classifier.js"
import { route } from "./routing/router.js"
import { preferWarm } from "./routing/warm.js"
import { classifierFor } from "./routing/weights.js"
import { runPromiseHere } from "./runtime/run-promise.js"
import type { TimeSource } from "./time/clock.js"
import { Time } from "./time/effect-clock.js"
import { ruleFor } from "./validate/validate.js"

export type { ConductorRequest, EmbedRequest, EmbedResponse }

export interface ConductorOptions {
  /** Configuration directory (default: `CONDUCTOR_CONFIG_DIR`, else the bundled `config/`). */
  readonly configDir?: string
  /** Settings merged over conductor.yaml, in its shapes (durations as "30s"). */
  readonly config?: Readonly<Record<string, unknown>>
  /** `ollama`, or the embedded simulator; default: Ollama if it answers, else the simulator. */
  readonly backend?: "ollama" | "sim"
  /** Simulator profile name or file (default `workstation-24gb`); a comma-separated list is one simulated host each. */
  readonly simProfile?: string
  /** Simulated GPU hosts (default one per listed profile; profiles repeat). */
  readonly simHosts?: number
  /**
   * Ollama's address (default `backend.hosts`, else `backend.host`, else OLLAMA_HOST, else
   * 127.0.0.1:11434); a comma-separated list is several GPU hosts.
   */
  readonly ollamaHost?: string
  /** Time for everything: a ManualClock in tests, a ScaledClock in load tests. Default real time. */
  readonly clock?: TimeSource
  /** Simulator only, without `clock`: run this many times faster than real time (default the profile's). */
  readonly timeScale?: number
  /** The simulator's seed (text and probabilistic faults). */
  readonly seed?: number
  /** Environment for configuration overrides (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv
}

export interface ConductorResult {
  readonly id: string
  readonly text: string
  readonly model: string
  readonly tier: Tier
  readonly taskType: TaskType
  /** Why the router chose the first model. */
  readonly reason: DecisionReason
  /** `tool_calls` when the answer is calls to the request's tools (then in `toolCalls`). */
  readonly finishReason: FinishReason
  readonly toolCalls: ReadonlyArray<ToolCall>
  /** A thinking model's reasoning ("" when it gave none). */
  readonly thinking: string
  readonly attempts: ReadonlyArray<Attempt>
  /** Routing notes (a tier relaxed, an unknown model ignored). */
  readonly warnings: ReadonlyArray<string>
  /** What to check before relying on the answer: `verify_calculations`, `review_code`, `high_stakes:<domain>`. */
  readonly labels: ReadonlyArray<string>
  readonly usage: Usage
  readonly timings: Timings
}

export interface RequestHandle {
  readonly id: string
  /** This request's events, from `accepted` to its terminal event (late readers see them all). */
  readonly events: AsyncIterable<ConductorEvent>
  /** The answer; rejects with a ConductorError when the request fails or is cancelled. */
  readonly result: Promise<ConductorResult>
  /**
   * Call `listener` with each of this request's events — those so far at once, then as they
   * come — synchronously, in order. Returns the function that stops it.
   */
  observe(listener: (event: ConductorEvent) => void): () => void
  /** Cancel: stops generation on the GPU, returns the lease, leaves the queue. */
  cancel(): void
  /** Rate the answer from 0 (useless) to 1 (right); the learner learns from it (docs/learning.md). */
  feedback(score: number): void
}

export interface ConductorSnapshot {
  readonly backend: {
    readonly kind: "ollama" | "sim"
    readonly description: string
    /** Why this backend: configured, or what the automatic choice found. */
    readonly choice: string
    /** It answered the last time Conductor asked (discovery, reconciliation). */
    readonly reachable: boolean
  }
  readonly policy: string
  /** Models the backend keeps loaded at most (OLLAMA_MAX_LOADED_MODELS, or `backend.maxLoadedModels`). */
  readonly maxLoadedModels: number
  readonly hardware: HardwareReport
  readonly models: ReadonlyArray<
    Pick<
      ModelResidency,
      "name" | "state" | "bytes" | "leases" | "slots" | "pinned" | "external" | "loadMs" | "loadFailures"
    > & {
      /** The backend has it (registry models it lacks are listed, and never routed to). */
      readonly available: boolean
    }
  >
  readonly vram: { readonly used: number; readonly budget: number; readonly capacity: number }
  readonly queues: ReadonlyArray<QueueSnapshot>
  readonly breakers: ReadonlyArray<{
    readonly model: string
    readonly state: ModelHealth["breaker"]
    readonly nextProbeAt: number | undefined
  }>
  readonly health: ReadonlyArray<ModelHealth>
  readonly requests: { readonly inFlight: number; readonly maxInFlight: number; readonly queued: number }
  /**
   * Every GPU host: its breaker (`up`), its VRAM, the models it holds or is about to. One entry
   * with one host; with several, `models`, `vram` and `queues` above are their sums.
   */
  readonly hosts: ReadonlyArray<HostSnapshot>
  /** The simulated hosts' own accounting (summed), when the backend is the simulator. */
  readonly simulator?: {
    readonly overcommits: number
    readonly peakBytes: number
    readonly loads: number
    readonly unloads: number
    /** Victims the simulated Ollama chose itself (0 when Conductor made all the room). */
    readonly evictions: number
  }
}

/** A registry model as clients see it (`/v1/models`, `/api/tags`). */
export interface ModelInfo {
  readonly name: string
  readonly kind: ModelProfile["kind"]
  readonly tier: Tier
  readonly sizeB: number
  readonly contextWindow: number
  readonly capabilities: ModelProfile["capabilities"]
  readonly quantisation: string
  readonly memoryGb: number
  /** The context size Conductor loads it with. */
  readonly numCtx: number
  /** The backend has it (registry models it lacks are listed, and never routed to). */
  readonly available: boolean
  /** What the backend said of it at discovery (absent when it did not describe it). */
  readonly backend?: {
    readonly family: string
    readonly parameterSize: string
    readonly parameterCount: number
    /** The weights' size on disk. */
    readonly sizeBytes: number
    readonly contextLength: number
    readonly embeddingLength: number
    /** Ollama's capabilities: completion, tools, vision, insert, thinking, embedding… */
    readonly capabilities: ReadonlyArray<string>
  }
}

export interface Conductor {
  readonly config: Config
  /** Every registry model (chat and embedding), in registry order. Cheap: no residency or health. */
  models(): ReadonlyArray<ModelInfo>
  /** The backend's version (Ollama's, or the simulator's); fails with Unavailable when it does not answer. */
  backendVersion(): Promise<string>
  /** The (first) simulated GPU host when the backend is the simulator (fault injection, state). */
  readonly simulator: SimEngine | undefined
  /** Every simulated GPU host, in host order (empty on Ollama). */
  readonly simulators: ReadonlyArray<SimEngine>
  submit(request: ConductorRequest): RequestHandle
  generate(request: ConductorRequest): Promise<ConductorResult>
  /**
   * Embed text on an embedding model, scheduled under the VRAM budget like any request (its
   * events: accepted, queued/loading, started, then completed, failed or cancelled). Aborting
   * `signal` cancels it.
   */
  embed(request: EmbedRequest, options?: { readonly signal?: AbortSignal }): Promise<EmbedResponse>
  events(options?: {
    readonly topics?: ReadonlyArray<Topic>
    readonly capacity?: number
  }): AsyncIterable<ConductorEvent>
  /**
   * Load a model now (an operator's request, an Ollama client's empty prompt): it queues with
   * the requests and loads through the scheduler and the VRAM budget like any of them, and
   * resolves once the model is resident. Aborting `signal` leaves the queue.
   */
  load(
    model: string,
    options?: { readonly signal?: AbortSignal },
  ): Promise<{ readonly model: string; readonly loadMs: number }>
  /** Unload a model: now when idle, else once its requests end (`draining`). Pinned models stay. */
  unload(model: string): { readonly model: string; readonly state: "unloading" | "draining" | "not_loaded" }
  /** Pin (never evicted) or unpin a registry model. */
  pin(model: string, pinned: boolean): { readonly model: string; readonly pinned: boolean }
  /**
   * What routing plans against now: the registry (with the backend's own models and the
   * footprints it reported), the models the backend has (undefined until it has answered) and the
   * VRAM budget. `conductor route --backend` explains decisions against it.
   */
  planning(): {
    readonly registry: ModelRegistry
    readonly available: ReadonlyArray<string> | undefined
    readonly budgetBytes: number
  }
  /** Rate request `requestId`'s answer from 0 to 1 (learning.mode shadow or on; BadRequest otherwise). */
  feedback(requestId: string, score: number): void
  /** Call `listener` synchronously with every event (or those of some topics); returns the stop. */
  subscribe(listener: (event: ConductorEvent) => void, topics?: ReadonlyArray<Topic>): () => void
  snapshot(): ConductorSnapshot
  /** Would a query submitted now be served? And if not, why not (`/readyz`). */
  readiness(): Readiness
  /**
   * Stop accepting; let requests finish for `drainMs` (default 0), cancel the rest, shut down.
   * `drainMs` is on Conductor's clock (simulated when it is scaled or manual) unless `wallClock`:
   * the server drains on real time, because the requests it protects are real clients'.
   */
  close(options?: { readonly drainMs?: number; readonly wallClock?: boolean }): Promise<void>
}

/** Whether a query would be served now: what `/readyz` answers. */
export interface Readiness {
  /** Not closing, the backend answered its last check, and some routable model's breaker admits work. */
  readonly ready: boolean
  readonly backend: "reachable" | "unreachable"
  readonly closing: boolean
  /** Chat models routing may choose (in the registry, on the backend, within the VRAM budget). */
  readonly routable: number
  /** Routable models whose shared breaker admits work now (closed, or half-open with no probe out). */
  readonly admitting: number
  /** Routable models whose shared breaker is open or probing, with when each lets a probe through. */
  readonly refusing: ReadonlyArray<{
    readonly model: string
    readonly state: ModelHealth["breaker"]
    readonly nextProbeAt: number | undefined
  }>
  /** Why not ready, one sentence each (empty when ready). */
  readonly reasons: ReadonlyArray<string>
}

/** A request in flight: a chat's actor, or an embedding's fiber. */
interface Running {
  cancel(): void
}

class Handle implements RequestHandle {
  readonly replay = new Replay<ConductorEvent>()
  readonly result: Promise<ConductorResult>
  resolve!: (r: ConductorResult) => void
  reject!: (e: ConductorError) => void
  terminal = false

  constructor(
    readonly id: string,
    private readonly onCancel: () => void,
    private readonly onFeedback: (score: number) => void,
  ) {
    this.result = new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    // A caller that only reads events must not see an unhandled rejection.
    this.result.catch(() => undefined)
  }

  get events(): AsyncIterable<ConductorEvent> {
    return this.replay
  }

  observe(listener: (event: ConductorEvent) => void): () => void {
    return this.replay.observe(listener)
  }

  cancel(): void {
    this.onCancel()
  }

  feedback(score: number): void {
    this.onFeedback(score)
  }
}

export const createConductor = async (options: ConductorOptions = {}): Promise<Conductor> => {
  const loaded = loadConfig({
    dir: options.configDir,
    overrides: options.config,
    ...(options.env ? { env: options.env } : {}),
  })
  if (Result.isFailure(loaded)) throw loaded.failure
  const config = loaded.success
  const c = config.conductor
  // The routing classifier's weights load at start; a missing or corrupt file fails here.
  const classifier = classifierFor(config)
  if (Result.isFailure(classifier)) throw classifier.failure

  // ---- backend, time and hosts (src/backends/select.ts)
  const env = options.env ?? process.env
  const selected = await selectBackends(
    {
      backend: options.backend,
      simProfile: options.simProfile,
      simHosts: options.simHosts,
      ollamaHost: options.ollamaHost,
      clock: options.clock,
      timeScale: options.timeScale,
      seed: options.seed,
      env,
    },
    c,
  )
  const { kind, choice, time } = selected
  const first = selected.hosts[0] as HostBackend
  const backend = first.backend
  const several = selected.hosts.length > 1
  const bus = makeEventBus(() => time.now())
  const base = Layer.mergeAll(Time.layer(time), Layer.succeed(Backend, backend))

  // ---- models: the registry, what the backends have, footprints from /api/show
  let registry = new ModelRegistry(config.models)
  let details: ReadonlyMap<string, BackendModelDetails> = new Map()
  let available: ReadonlyArray<string> | undefined
  const perHost = await Promise.all(
    selected.hosts.map((h) => Effect.runPromise(Effect.result(discover(h.backend, registry)))),
  )
  const answered = perHost.filter(Result.isSuccess)
  if (answered.length > 0) {
    const merged = new Map<string, BackendModelDetails>()
    for (const found of answered)
      for (const [k, d] of found.success.details) if (!merged.has(k)) merged.set(k, d)
    details = merged
    registry = withEstimates((answered[0] as (typeof answered)[number]).success.registry, details)
    available = registry.names.filter((n) => details.has(normaliseName(n)))
  }
  const found = answered.length > 0

  // ---- services: one owner per host (src/gpu/host.ts), host-set placement above them
  const modelRates = new Map(
    config.models.flatMap((m) => (m.requestsPerMinute !== undefined ? [[m.name, m.requestsPerMinute]] : [])),
  )
  const quotas = new Quotas(c.tenants, modelRates, () => time.now())
  const baseRuntime = ManagedRuntime.make(base)
  const run = await baseRuntime.runPromise(runPromiseHere)
  const specs = residentSpecs(registry.all, details)
  const hostList = await Promise.all(
    selected.hosts.map((h, i) =>
      openHost(h, {
        run,
        time,
        publish: bus.publish,
        models: specs,
        config: c,
        policy: () => makePolicy(c.scheduler),
        weightOf: (tenant) => quotas.weightOf(tenant),
        several,
        available: perHostAvailable(perHost[i], registry),
      }),
    ),
  )
  const hosts = new HostSet(hostList)
  const home = hosts.first
  const health = new HealthCore({ time, publish: bus.publish, options: healthOptionsOf(c.health) })
  // Breakers the backend's outage opened may probe as soon as it is back.
  const unsubscribeHealth = bus.subscribe(
    (e) => {
      if (e.type === "backend" && e.state === "up") health.backendRecovered()
    },
    ["models"],
  )
  // The requests' runtime (attempt and embedding fibers): disposing it interrupts them all before
  // the hosts close; the hosts' own control calls run on `baseRuntime`, which outlives them.
  const runtime = ManagedRuntime.make(base)
  await runtime.context()
  const machine = makeRequestMachine(attemptActors(runtime, hosts, time))
  const hardware = home.hardware
  const engine = first.engine
  const closeHosts = async () => {
    await runtime.dispose()
    unsubscribeHealth()
    health.close()
    await hosts.close()
    await baseRuntime.dispose()
  }

  // ---- learned routing (src/learning): the outcome store, the recorder, the learner
  let learning: Learning
  try {
    learning = openLearning({
      config: c.learning,
      routing: c.routing,
      env: options.env ?? process.env,
      time,
      bus,
      registry: () => registry,
      budgetBytes: hosts.budgetBytes,
      residency: home.residency,
      // With several hosts: on the host placement would send one more request to.
      readiness: (model) => hosts.readiness(model),
    })
  } catch (e) {
    await closeHosts()
    throw e
  }
  // ---- end learned routing

  return new ConductorImpl({
    config,
    classifier: classifier.success?.classifier,
    kind,
    engine,
    time,
    bus,
    hardware,
    runtime,
    machine,
    residency: home.residency,
    scheduler: home.scheduler,
    hosts,
    closeHosts,
    health,
    getRegistry: () => registry,
    getAvailable: () => available,
    details,
    policy: home.scheduler.snapshot().policy,
    quotas,
    backendDescription: hostList.map((h) => h.backend.description).join("; "),
    backendChoice: choice,
    reachable: found,
    learning,
  })
}

/** Profiles sized by the same footprint estimate residency uses, where the backend described them. */
/** The registry models host discovery found (undefined when the host did not answer). */
const perHostAvailable = (
  found: Result.Result<{ readonly details: ReadonlyMap<string, BackendModelDetails> }, unknown> | undefined,
  registry: ModelRegistry,
): ReadonlySet<string> | undefined =>
  found !== undefined && Result.isSuccess(found)
    ? new Set(registry.names.filter((n) => found.success.details.has(normaliseName(n))))
    : undefined

const withEstimates = (
  registry: ModelRegistry,
  details: ReadonlyMap<string, BackendModelDetails>,
): ModelRegistry =>
  new ModelRegistry(
    registry.all.map((p): ModelProfile => {
      const d = details.get(normaliseName(p.name))
      if (d === undefined) return p
      const bytes = estimateFootprintBytes(factsOf(d), p.numCtx, p.parallel)
      return { ...p, memoryGb: Math.round((bytes / GB) * 100) / 100 }
    }),
  )

interface Parts {
  readonly config: Config
  readonly classifier: RoutingClassifier | undefined
  readonly kind: "ollama" | "sim"
  readonly engine: SimEngine | undefined
  readonly time: TimeSource
  readonly bus: EventBusShape
  readonly hardware: HardwareReport
  readonly runtime: ManagedRuntime.ManagedRuntime<Backend | Time, never>
  readonly machine: RequestMachine
  /** The default (first) host's residency and scheduler. */
  readonly residency: ResidencyCore
  readonly scheduler: SchedulerCore
  /** Every GPU host (one owner each) and placement across them. */
  readonly hosts: HostSet
  readonly closeHosts: () => Promise<void>
  readonly health: HealthCore
  readonly getRegistry: () => ModelRegistry
  readonly getAvailable: () => ReadonlyArray<string> | undefined
  /** What the backend described at discovery, by normalised name. */
  readonly details: ReadonlyMap<string, BackendModelDetails>
  readonly policy: string
  readonly quotas: Quotas
  readonly backendDescription: string
  readonly backendChoice: string
  readonly reachable: boolean
  readonly learning: Learning
}

class ConductorImpl implements Conductor {
  // Invariant: a request is in this map from acceptance until its terminal event.
  private readonly running = new Map<string, Running>()
  private closing = false
  private closed: Promise<void> | undefined
  private readonly idle = new Set<() => void>()
  private reachable: boolean
  /** What every request actor needs from Conductor: the same for all of them. */
  private readonly services: RequestServices
  /** One clock for every request actor (its timer ids are unique across actors). */
  private readonly clock: MachineClock
  private readonly personaNames: ReadonlySet<string>

  constructor(private readonly p: Parts) {
    this.reachable = p.reachable
    this.personaNames = new Set(p.config.personas.keys())
    const c = p.config.conductor
    this.services = {
      now: () => p.time.now(),
      publish: (e) => p.bus.publish(e),
      admit: (m, tenant) => p.health.admit(m, tenant),
      record: (ticket, outcome) => p.health.record(ticket, outcome),
      rule: (d) => ruleFor(c.validation, d.taskType, d.confidence),
      numCtxOf: (m) => p.getRegistry().get(m)?.numCtx ?? 8192,
      // The backend's word where it described the model, else the registry's.
      thinks: (m) =>
        p.details.get(normaliseName(m))?.capabilities.includes("thinking") ??
        p.getRegistry().get(m)?.capabilities.includes("chain_of_thought") ??
        false,
      fallbackMode: c.fallbacks.mode,
      anotherHost: (id, model) => p.hosts.anotherHost(id, model),
    }
    this.clock = machineClock(p.time)
    p.bus.subscribe(
      (e) => {
        if (e.type === "backend") this.reachable = e.state === "up"
      },
      ["models"],
    )
  }

  get config(): Config {
    return this.p.config
  }

  get simulator(): SimEngine | undefined {
    return this.p.engine
  }

  get simulators(): ReadonlyArray<SimEngine> {
    return this.p.hosts.hosts.flatMap((h) => (h.p.engine !== undefined ? [h.p.engine] : []))
  }

  models(): ReadonlyArray<ModelInfo> {
    const list = this.p.getAvailable()
    const available = list === undefined ? undefined : new Set(list)
    return this.p.getRegistry().all.map((m) => ({
      name: m.name,
      kind: m.kind,
      tier: m.tier,
      sizeB: m.sizeB,
      contextWindow: m.contextWindow,
      capabilities: m.capabilities,
      quantisation: m.quantisation,
      memoryGb: m.memoryGb,
      numCtx: m.numCtx,
      available: available === undefined || available.has(m.name),
      ...backendFacts(this.p.details.get(normaliseName(m.name))),
    }))
  }

  backendVersion(): Promise<string> {
    return this.p.runtime.runPromise(
      Effect.gen(function* () {
        const backend = yield* Backend
        return yield* backend.ping
      }),
    )
  }

  submit(request: ConductorRequest): RequestHandle {
    if (this.closing) throw conductorError("Unavailable", "Conductor is shutting down")
    const prepared = prepareRequest(request, { personas: this.personaNames })
    if (!prepared.ok) throw prepared.error
    const id = prepared.value.request.id ?? randomUUID()
    const refused = this.admission(id)
    if (refused !== undefined) throw refused
    const c = this.p.config.conductor
    // Routing chooses among models pulled and loadable beside the pinned ones (else the load
    // could never start); a model named explicitly gets its own clear error instead.
    const pulled = this.p.getAvailable()
    const available =
      prepared.value.routing.model !== undefined
        ? pulled
        : (pulled ?? this.p.getRegistry().names).filter((m) => this.p.hosts.loadable(m))
    const routed = route(
      { ...prepared.value.routing, ...(available !== undefined ? { available } : {}) },
      {
        registry: this.p.getRegistry(),
        personas: this.p.config.personas,
        routing: c.routing,
        fallbacks: c.fallbacks,
        budgetBytes: this.p.hosts.budgetBytes,
        classifier: this.p.classifier,
      },
    )
    // A request routing calls bad (a persona it does not know) is refused, never accepted.
    if (Result.isFailure(routed) && routed.failure.reason === "BadRequest") throw routed.failure
    // route → preferWarm → the learner (src/learning)
    const decision = Result.isSuccess(routed)
      ? this.p.learning.decide(
          id,
          preferWarm(
            routed.success,
            (m) => ({
              resident: this.p.hosts.resident(m),
              expectedWaitMs: this.p.hosts.expectedWaitMs(m),
            }),
            c.routing.warm,
          ),
          prepared.value,
        )
      : undefined
    // Limits: the tenant's requests in flight and rate, the chosen model's rate.
    const tenant = prepared.value.tenant
    const quota = this.p.quotas.check(tenant, decision?.model)
    if (!quota.ok) throw quota.error
    quota.commit()
    const input: RequestInput = {
      id,
      prepared: prepared.value,
      routed:
        decision !== undefined
          ? { ok: true, decision }
          : { ok: false, error: (routed as Result.Failure<never, ConductorError>).failure },
      deadlines: deadlinesFor(
        c.requests.deadlines,
        decision?.tier ?? "balanced",
        decision?.taskType ?? "general_qa",
      ),
      services: this.services,
    }
    const actor = createActor(this.p.machine, { input, clock: this.clock })
    const handle = new Handle(
      id,
      () => actor.send({ type: "CANCEL" }),
      (score) => this.p.learning.feedback(id, score),
    )
    const unsubscribe = this.p.bus.subscribeRequest(id, (e) => {
      handle.replay.push(e)
      if (TERMINAL_TYPES.has(e.type)) handle.terminal = true
    })
    this.running.set(id, { cancel: () => actor.send({ type: "CANCEL" }) })
    const client = prepared.value.request.client
    this.p.bus.publish({
      type: "accepted",
      id,
      ...(client !== undefined ? { client } : {}),
      tenant: prepared.value.tenant,
    })
    if (decision !== undefined) this.p.bus.publish({ type: "routed", id, decision })
    // The total deadline, on the TimeSource (see RequestMachineEvent): armed once the actor has
    // started, unless it already ended; disarmed when it ends.
    let disarmTotal: (() => void) | undefined
    const finish = (output: RequestOutput | undefined, crash?: unknown) => {
      disarmTotal?.()
      if (!handle.terminal) {
        // The machine broke without ending the request: it still ends, once, as failed.
        const message = `internal error: ${crash instanceof Error ? crash.message : String(crash)}`
        this.p.bus.publish({
          type: "failed",
          id,
          reason: "Crashed",
          message,
          attempts: output?.attempts ?? [],
        })
      }
      unsubscribe()
      handle.replay.end()
      this.running.delete(id)
      this.p.hosts.forget(id)
      this.p.quotas.ended(tenant)
      settle(handle, id, output, crash, decision?.warnings ?? [])
      if (this.running.size === 0) for (const w of this.idle) w()
    }
    actor.subscribe({
      complete: () => finish(actor.getSnapshot().output),
      error: (e) => finish(undefined, e),
    })
    actor.start()
    // `finish` leaves the request terminal, so a request that ended inside `start` arms nothing.
    if (!handle.terminal)
      disarmTotal = this.p.time.schedule(input.deadlines.totalMs, () => actor.send({ type: "TOTAL_ELAPSED" }))
    return handle
  }

  embed(request: EmbedRequest, options: { readonly signal?: AbortSignal } = {}): Promise<EmbedResponse> {
    if (this.closing) return Promise.reject(conductorError("Unavailable", "Conductor is shutting down"))
    const checked = checkEmbedRequest(request)
    if (!checked.ok) return Promise.reject(checked.error)
    const req = checked.value
    const id = req.id ?? randomUUID()
    const refused = this.admission(id)
    if (refused !== undefined) return Promise.reject(refused)
    const available = this.p.getAvailable()
    const models = this.p
      .getRegistry()
      .all.filter((m) => available === undefined || available.includes(m.name))
    const picked = embeddingModelFor(req.model, models, {
      ...(this.p.config.conductor.routing.embeddingModel !== undefined
        ? { preferred: this.p.config.conductor.routing.embeddingModel }
        : {}),
      resident: (m) => this.p.hosts.resident(m),
    })
    if (!picked.ok) return Promise.reject(picked.error)
    const model = picked.model
    const tenant = req.tenant ?? DEFAULT_TENANT
    const quota = this.p.quotas.check(tenant, model.name)
    if (!quota.ok) return Promise.reject(quota.error)
    quota.commit()
    const bus = this.p.bus
    const c = this.p.config.conductor
    bus.publish({
      type: "accepted",
      id,
      ...(req.client !== undefined ? { client: req.client } : {}),
      tenant,
    })
    const acceptedAt = this.p.time.now()
    const totalMs = deadlinesFor(c.requests.deadlines, model.tier, "general_qa").totalMs
    const program = embedProgram(id, model, req, {
      publish: (e) => bus.publish(e),
      now: () => this.p.time.now(),
      admit: (m, tenant) => this.p.health.admit(m, tenant),
      record: (ticket, outcome) => this.p.health.record(ticket, outcome),
      hosts: this.p.hosts,
    }).pipe(
      Effect.timeoutOrElse({
        duration: totalMs,
        orElse: () =>
          Effect.fail(
            conductorError("Timeout", `request took longer than ${totalMs} ms`, { model: model.name }),
          ),
      }),
    )
    return new Promise<EmbedResponse>((resolve, reject) => {
      const fiber = this.p.runtime.runFork(program)
      const cancel = () => fiber.interruptUnsafe()
      options.signal?.addEventListener("abort", cancel, { once: true })
      this.running.set(id, { cancel })
      fiber.addObserver((exit) => {
        options.signal?.removeEventListener("abort", cancel)
        this.running.delete(id)
        this.p.quotas.ended(tenant)
        const attempt = (outcome: Attempt["outcome"], reason?: ConductorError): Attempt => ({
          model: model.name,
          outcome,
          ...(reason !== undefined ? { reason: reason.reason, message: reason.message } : {}),
        })
        if (exit._tag === "Success") {
          const r = exit.value
          const now = this.p.time.now()
          const timings: Timings = {
            queueMs: 0,
            loadMs: r.loadMs,
            firstTokenMs: undefined,
            totalMs: Math.round((now - acceptedAt) * 1000) / 1000,
            backendMs: r.totalMs,
            // Ollama reports an embedding's total and load only: the rest is the prompt's.
            promptEvalMs: Math.max(0, r.totalMs - r.loadMs),
            evalMs: 0,
          }
          bus.publish({
            type: "completed",
            id,
            model: model.name,
            tier: model.tier,
            taskType: "embedding",
            text: "",
            reason: picked.named ? "explicit_override" : "default_embedding_model",
            finishReason: "stop",
            usage: { promptTokens: r.promptTokens, evalTokens: 0 },
            timings,
            attempts: [attempt("completed")],
            warnings: [],
            labels: [],
          })
          resolve({
            id,
            model: model.name,
            embeddings: r.embeddings,
            usage: { promptTokens: r.promptTokens },
            timings,
          })
        } else {
          const failure = Cause.findErrorOption(exit.cause)
          if (failure._tag === "None") {
            bus.publish({ type: "cancelled", id, attempts: [attempt("cancelled")] })
            reject(conductorError("Cancelled", "the request was cancelled", { model: model.name }))
          } else {
            const error = failure.value
            bus.publish({
              type: "failed",
              id,
              reason: error.reason,
              message: error.message,
              attempts: [attempt("failed", error)],
            })
            reject(error)
          }
        }
        if (this.running.size === 0) for (const w of this.idle) w()
      })
    })
  }

  async load(
    model: string,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<{ readonly model: string; readonly loadMs: number }> {
    if (this.closing) throw conductorError("Unavailable", "Conductor is shutting down")
    const name = this.registered(model)
    const { lease } = await this.p.hosts.acquire(
      name,
      options.signal !== undefined ? { signal: options.signal } : {},
    )
    lease.release()
    return { model: name, loadMs: lease.loadMs }
  }

  unload(model: string): { readonly model: string; readonly state: "unloading" | "draining" | "not_loaded" } {
    const name = this.registered(model)
    const states = this.p.hosts.hosts.map((h) => h.residency.requestUnload(name))
    const state = states.includes("pinned")
      ? "pinned"
      : ((["unloading", "draining"] as const).find((s) => states.includes(s)) ?? "not_loaded")
    if (state === "pinned") {
      throw conductorError("BadRequest", `model: '${name}' is pinned; unpin it first`, { model: name })
    }
    return { model: name, state }
  }

  pin(model: string, pinned: boolean): { readonly model: string; readonly pinned: boolean } {
    const name = this.registered(model)
    for (const h of this.p.hosts.hosts) h.residency.setPinned(name, pinned)
    return { model: name, pinned }
  }

  /** The registry name of `model` (`name` and `name:latest` are one), or ModelNotFound. */
  private registered(model: string): string {
    const p = this.p.getRegistry().get(model)
    if (p === undefined)
      throw conductorError("ModelNotFound", `model: '${model}' is not in the registry`, { model })
    return p.name
  }

  /** Why a new request cannot be accepted now (an id in flight, too many in flight), if it cannot. */
  private admission(id: string): ConductorError | undefined {
    if (this.running.has(id)) return conductorError("BadRequest", `id: '${id}' is already in flight`)
    const max = this.p.config.conductor.requests.maxInFlight
    if (this.running.size >= max) {
      return conductorError(
        "QueueFull",
        `${this.running.size} requests are in flight (requests.maxInFlight)`,
        {
          retryAfterMs: 1000,
        },
      )
    }
    return undefined
  }

  generate(request: ConductorRequest): Promise<ConductorResult> {
    try {
      return this.submit(request).result
    } catch (e) {
      return Promise.reject(e)
    }
  }

  events(
    options: { readonly topics?: ReadonlyArray<Topic>; readonly capacity?: number } = {},
  ): AsyncIterable<ConductorEvent> {
    let unsubscribe: () => void = () => undefined
    const sub = new Subscription<ConductorEvent>(options.capacity ?? 100_000, () => unsubscribe())
    unsubscribe = this.p.bus.subscribe((e) => sub.push(e), options.topics)
    return sub
  }

  subscribe(listener: (event: ConductorEvent) => void, topics?: ReadonlyArray<Topic>): () => void {
    return this.p.bus.subscribe(listener, topics)
  }

  planning() {
    return {
      registry: this.p.getRegistry(),
      available: this.p.getAvailable(),
      budgetBytes: this.p.hosts.budgetBytes,
    }
  }

  feedback(requestId: string, score: number): void {
    this.p.learning.feedback(requestId, score)
  }

  snapshot(): ConductorSnapshot {
    const list = this.p.getAvailable()
    const available = list === undefined ? undefined : new Set(list)
    const health = this.p.health.snapshot()
    const hosts = this.p.hosts
    const scheds = hosts.hosts.map((h) => h.scheduler.snapshot())
    const hostViews = hosts.snapshot()
    const models = hosts.several
      ? mergeModels(hosts.hosts.map((h) => h.residency.models()))
      : this.p.residency.models()
    return {
      backend: {
        kind: this.p.kind,
        description: this.p.backendDescription,
        choice: this.p.backendChoice,
        reachable: this.isReachable(),
      },
      policy: this.p.policy,
      maxLoadedModels: hosts.hosts.reduce((s, h) => s + h.p.maxLoaded, 0),
      hardware: this.p.hardware,
      models: models.map((m) => ({
        name: m.name,
        available: available === undefined || available.has(m.name) || m.external,
        state: m.state,
        bytes: m.bytes,
        leases: m.leases,
        slots: m.slots,
        pinned: m.pinned,
        external: m.external,
        loadMs: m.loadMs,
        loadFailures: m.loadFailures,
      })),
      vram: {
        used: hostViews.reduce((s, h) => s + h.vram.used, 0),
        budget: hostViews.reduce((s, h) => s + h.vram.budget, 0),
        capacity: hostViews.reduce((s, h) => s + h.vram.capacity, 0),
      },
      queues: hosts.several ? mergeQueues(scheds.flatMap((q) => q.queues)) : (scheds[0]?.queues ?? []),
      breakers: health.map((h) => ({ model: h.model, state: h.breaker, nextProbeAt: h.nextProbeAt })),
      health,
      requests: {
        inFlight: this.running.size,
        maxInFlight: this.p.config.conductor.requests.maxInFlight,
        queued: scheds.reduce((s, q) => s + q.queued, 0),
      },
      hosts: hostViews,
      ...(this.p.engine !== undefined ? { simulator: simulatorState(this.simulators) } : {}),
    }
  }

  /** With several hosts: some host is up; with one: its backend answered the last check. */
  private isReachable(): boolean {
    return this.p.hosts.several ? this.p.hosts.anyUp : this.reachable
  }

  readiness(): Readiness {
    const list = this.p.getAvailable()
    const available = list === undefined ? undefined : new Set(list)
    const budget = this.p.hosts.budgetBytes
    const routable = this.p
      .getRegistry()
      .all.filter(
        (m) =>
          m.kind === "chat" && (available === undefined || available.has(m.name)) && memoryBytes(m) <= budget,
      )
      .map((m) => m.name)
    const health = new Map(this.p.health.snapshot().map((h) => [h.model, h]))
    const refusing: Array<Readiness["refusing"][number]> = []
    let admitting = 0
    for (const model of routable) {
      if (this.p.health.admitsWork(model)) {
        admitting++
        continue
      }
      const h = health.get(model)
      refusing.push({ model, state: h?.breaker ?? "open", nextProbeAt: h?.nextProbeAt })
    }
    const reasons: string[] = []
    if (this.closing) reasons.push("Conductor is shutting down")
    const reachable = this.isReachable()
    if (!reachable)
      reasons.push(this.p.hosts.several ? "no GPU host is up" : "the backend did not answer its last check")
    if (routable.length === 0) reasons.push("no chat model is available on the backend")
    else if (admitting === 0) {
      reasons.push(
        `every routable model's breaker refuses work: ${refusing.map((r) => `${r.model} (${r.state})`).join(", ")}`,
      )
    }
    return {
      ready: reasons.length === 0,
      backend: reachable ? "reachable" : "unreachable",
      closing: this.closing,
      routable: routable.length,
      admitting,
      refusing,
      reasons,
    }
  }

  close(options: { readonly drainMs?: number; readonly wallClock?: boolean } = {}): Promise<void> {
    if (this.closed !== undefined) return this.closed
    this.closing = true
    this.closed = (async () => {
      const drainMs = options.drainMs ?? 0
      if (drainMs > 0 && this.running.size > 0) {
        const ctl = new AbortController()
        const elapsed =
          options.wallClock === true
            ? new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, drainMs)
                ctl.signal.addEventListener("abort", () => clearTimeout(timer), { once: true })
              })
            : this.p.time.sleep(drainMs, ctl.signal).catch(() => undefined)
        await Promise.race([elapsed, new Promise<void>((resolve) => this.idle.add(resolve))])
        ctl.abort()
      }
      for (const r of [...this.running.values()]) r.cancel()
      await this.p.closeHosts()
      this.p.learning.close()
    })()
    return this.closed
  }
}

const backendFacts = (d: BackendModelDetails | undefined): Pick<ModelInfo, "backend"> =>
  d === undefined
    ? {}
    : {
        backend: {
          family: d.family,
          parameterSize: d.parameterSize,
          parameterCount: d.parameterCount,
          sizeBytes: d.sizeBytes,
          contextLength: d.contextLength,
          embeddingLength: d.embeddingLength,
          capabilities: d.capabilities,
        },
      }

const simulatorState = (engines: ReadonlyArray<SimEngine>): NonNullable<ConductorSnapshot["simulator"]> => {
  const states = engines.map((e) => e.state())
  const sum = (f: (s: (typeof states)[number]) => number) => states.reduce((n, s) => n + f(s), 0)
  return {
    overcommits: sum((s) => s.overcommits),
    peakBytes: Math.max(...states.map((s) => s.vram.peakBytes)),
    loads: sum((s) => s.loads),
    unloads: sum((s) => s.unloads),
    evictions: sum((s) => s.evictions),
  }
}

/** Resolve or reject a handle's result from the machine's output. */
const settle = (
  handle: Handle,
  id: string,
  output: RequestOutput | undefined,
  crash: unknown,
  warnings: ReadonlyArray<string>,
): void => {
  if (output === undefined) {
    handle.reject(
      isConductorError(crash)
        ? crash
        : conductorError("Crashed", `internal error: ${String(crash)}`, { cause: crash }),
    )
    return
  }
  switch (output.outcome) {
    case "completed":
      handle.resolve({
        id,
        text: output.text,
        model: output.model,
        tier: output.decision.tier,
        taskType: output.decision.taskType,
        reason: output.decision.reason,
        finishReason: output.finishReason,
        toolCalls: output.toolCalls,
        thinking: output.thinking,
        attempts: output.attempts,
        warnings,
        labels: output.decision.labels,
        usage: output.usage,
        timings: output.timings,
      })
      return
    case "failed":
      handle.reject(output.error)
      return
    case "cancelled":
      handle.reject(
        conductorError("Cancelled", "the request was cancelled", { details: { attempts: output.attempts } }),
      )
  }
}

export type { RequestEvent }
