/**
 * The scheduler: per-model queues of requests waiting for a slot on their model, served in the
 * policy's order (priority, the tenants' fair share, age). A request leaves its queue with a
 * lease (its model resident, one of its parallel slots taken) or with an error; cancelling it
 * removes it. The total queue is bounded: beyond `maxQueued`, requests fail at once with
 * QueueFull and a retry-after hint. The scheduler commits to at most one load at a time
 * (residency allows one per host): it makes the evictions the policy asks for, then waits for the
 * memory and loads. Every decision is made synchronously in `pump`, on each change and when the
 * policy asks to look again later. Granted slot time is charged to the tenants' fair share.
 */
import { type ConductorError, conductorError } from "../domain/errors.js"
import type { ConductorEvent } from "../domain/events.js"
import { DEFAULT_TENANT, type Priority } from "../domain/tenant.js"
import type { TimeSource } from "../time/clock.js"
import { ModelEstimates } from "./estimates.js"
import { FairShare } from "./fair-share.js"
import type { ModelView, OrderContext, SchedulerView, SchedulingPolicy, WaitingRequest } from "./policy.js"
import type { Lease, ModelResidency, ResidencyCore } from "./residency.js"

export interface GrantedLease extends Lease {
  /** Time spent waiting in the queue (including any load). */
  readonly waitedMs: number
  /** Time this request waited for its model to load (0 when it was resident). */
  readonly loadMs: number
}

export interface AcquireOptions {
  /** Correlates `queued`, `loading` and `loaded` events with the request. */
  readonly requestId?: string | undefined
  /** Whom it runs for (fair share); default `library`. */
  readonly tenant?: string | undefined
  /** `interactive` (default) goes before `batch`, within the aging bound. */
  readonly priority?: Priority | undefined
  /** Leaves the queue. */
  readonly signal?: AbortSignal | undefined
  /** Called once if the request starts waiting for its model's load. */
  readonly onLoading?: (() => void) | undefined
}

export interface SchedulerOptions {
  readonly maxQueued: number
  /** Models the backend keeps loaded at most (OLLAMA_MAX_LOADED_MODELS). */
  readonly maxLoaded: number
  /** A tenant's fair-share weight (`tenants.<name>.weight`); default 1. */
  readonly weightOf?: (tenant: string) => number
}

export interface SchedulerDeps {
  readonly residency: ResidencyCore
  readonly policy: SchedulingPolicy
  readonly time: TimeSource
  readonly publish: (event: ConductorEvent) => void
  readonly options: SchedulerOptions
}

interface Ticket extends WaitingRequest {
  readonly requestId: string | undefined
  readonly onLoading: (() => void) | undefined
  readonly since: number
  readonly resolve: (lease: GrantedLease) => void
  readonly reject: (error: ConductorError) => void
  loadMs: number
  /** When it started waiting for its model's load (a `loading` event was published), if it did. */
  loadingSince: number | undefined
  /** Last position published in a `queued` event. */
  position: number
}

interface Commit {
  readonly model: string
  readonly abandon: AbortController
  /** Busy models drained for this load (restored if it is abandoned before loading). */
  readonly drained: Set<string>
}

export interface QueueSnapshot {
  readonly model: string
  readonly depth: number
  readonly inflight: number
  readonly oldestWaitMs: number | undefined
  /** Waiting requests by priority, and by tenant. */
  readonly byPriority: Readonly<Record<Priority, number>>
  readonly byTenant: Readonly<Record<string, number>>
}

export interface SchedulerSnapshot {
  readonly policy: string
  readonly queued: number
  readonly maxQueued: number
  readonly loading: string | undefined
  readonly queues: ReadonlyArray<QueueSnapshot>
}

/** Charged for a grant on a model whose service time is not known yet. */
const DEFAULT_SERVICE_MS = 1000
/** (model, tenant, priority) groups whose last grant is remembered at most. */
const MAX_GRANT_GROUPS = 4096
const grantKey = (model: string, tenant: string, priority: Priority): string =>
  `${model}\u0000${tenant}\u0000${priority}`
/** Queue positions up to this are all published; beyond it, every tenth. */
const POSITIONS_ALWAYS = 10
const RETRY_MIN_MS = 1000
/** The soonest a policy's wake-up is scheduled after now. */
const MIN_WAKE_MS = 1
const RETRY_MAX_MS = 30_000

export class SchedulerCore {
  private readonly queues = new Map<string, Ticket[]>()
  // Invariant: queuedCount = Σ queue lengths.
  private queuedCount = 0
  private seq = 0
  private commit: Commit | undefined
  private pumping = false
  private again = false
  private wake: { at: number; ctl: AbortController } | undefined
  private readonly estimates = new ModelEstimates()
  // Invariant: every ticket waiting or holding a lease has joined its tenant's fair share once.
  private readonly fair: FairShare
  /** When each (model, tenant, priority) group was last granted a slot: its progress. */
  private readonly lastGrant = new Map<string, number>()
  /** Interactive leases held per model (the rest are batch). */
  private readonly interactiveInflight = new Map<string, number>()
  /** The depth and leases last published in a `queue` event, per model. */
  private readonly published = new Map<string, { depth: number; inflight: number }>()
  private readonly unsubscribe: () => void
  private closed = false

  constructor(private readonly deps: SchedulerDeps) {
    const weightOf = deps.options.weightOf ?? (() => 1)
    this.fair = new FairShare({ weightOf })
    this.unsubscribe = deps.residency.onChange(() => this.pump())
  }

  /**
   * Wait for a slot on `model`. Rejects with ModelNotFound (not a model residency can load),
   * OutOfMemory (it can never fit beside the pinned models), QueueFull (with retry-after),
   * Cancelled (`signal`), or the error that failed its load.
   */
  acquire(model: string, options: AcquireOptions = {}): Promise<GrantedLease> {
    const spec = this.deps.residency.get(model)
    const refused = this.refusal(model, spec)
    if (refused !== undefined) return Promise.reject(refused)
    const signal = options.signal
    if (signal?.aborted) return Promise.reject(cancelled(model))
    return new Promise<GrantedLease>((resolve, reject) => {
      // The grant may come before `enqueue` returns (a free slot): then no listener is added.
      let leave: (() => void) | undefined
      let settled = false
      const settle = () => {
        settled = true
        if (leave !== undefined) signal?.removeEventListener("abort", leave)
      }
      leave = this.enqueue(
        model,
        spec as ModelResidency,
        options,
        (lease) => {
          settle()
          resolve(lease)
        },
        (error) => {
          settle()
          reject(error)
        },
      )
      if (!settled) signal?.addEventListener("abort", leave, { once: true })
    })
  }

  /**
   * `acquire` with callbacks and no promise or AbortSignal (the attempt actor's hot path): exactly
   * one of `granted` and `refused` is called, once — possibly before this returns (a refusal, or
   * a grant on a resident model with a free slot). The returned function leaves the queue (then
   * `refused` gets Cancelled); after the grant it does nothing.
   */
  request(
    model: string,
    options: Omit<AcquireOptions, "signal">,
    granted: (lease: GrantedLease) => void,
    refused: (error: ConductorError) => void,
  ): () => void {
    const spec = this.deps.residency.get(model)
    const error = this.refusal(model, spec)
    if (error !== undefined) {
      refused(error)
      return () => undefined
    }
    return this.enqueue(model, spec as ModelResidency, options, granted, refused)
  }

  /** Why a request for `model` cannot wait at all, if it cannot. */
  private refusal(model: string, spec: ModelResidency | undefined): ConductorError | undefined {
    if (this.closed) return conductorError("Unavailable", "the scheduler is shut down")
    if (spec === undefined || !spec.servable) {
      return conductorError("ModelNotFound", `model '${model}' is not in the registry`, { model })
    }
    const room = this.roomBesidePinned(spec)
    if (spec.state === "unloaded" && spec.bytes > room) {
      return conductorError(
        "OutOfMemory",
        `${model} needs ${gb(spec.bytes)} but only ${gb(room)} of the ${gb(this.deps.residency.budget.capacity)} VRAM budget can be freed for it`,
        { model, details: { requiredBytes: spec.bytes, availableBytes: room } },
      )
    }
    if (this.queuedCount >= this.deps.options.maxQueued) {
      return conductorError("QueueFull", `${this.queuedCount} requests are already waiting`, {
        model,
        retryAfterMs: this.retryAfter(spec),
      })
    }
    return undefined
  }

  /** A ticket for `spec` (which `refusal` let through) joins its queue; returns how to leave it. */
  private enqueue(
    model: string,
    spec: ModelResidency,
    options: Omit<AcquireOptions, "signal">,
    resolve: (lease: GrantedLease) => void,
    reject: (error: ConductorError) => void,
  ): () => void {
    this.estimates.noteRequest(spec.name, this.now())
    const tenant = options.tenant ?? DEFAULT_TENANT
    const ticket: Ticket = {
      seq: this.seq++,
      model: spec.name,
      tenant,
      priority: options.priority ?? "interactive",
      requestId: options.requestId,
      onLoading: options.onLoading,
      since: this.now(),
      resolve,
      reject,
      loadMs: 0,
      loadingSince: undefined,
      position: 0,
    }
    this.fair.join(tenant)
    this.queueOf(spec.name).push(ticket)
    this.queuedCount++
    this.publishPositions(spec.name)
    if (spec.state === "loading") this.noteLoading(ticket)
    this.pump()
    return () => {
      if (this.remove(ticket)) {
        this.fair.leave(ticket.tenant)
        ticket.reject(cancelled(model))
        this.pump()
      }
    }
  }

  /**
   * How long a new request for `model` would wait before it starts: the queue ahead of it at the
   * model's recent service time, plus loading when the model is not resident.
   */
  /**
   * Whether `model` can load at all beside the pinned models (within the VRAM budget). Routing
   * leaves out models that cannot; `acquire` refuses them.
   */
  loadable(model: string): boolean {
    const spec = this.deps.residency.get(model)
    return spec !== undefined && (spec.state !== "unloaded" || spec.bytes <= this.roomBesidePinned(spec))
  }

  expectedWaitMs(model: string): number {
    const m = this.deps.residency.get(model)
    if (m === undefined) return Number.POSITIVE_INFINITY
    const slots = Math.max(1, m.slots)
    const ahead = (this.queues.get(m.name)?.length ?? 0) + m.leases
    const queueing =
      ahead >= slots ? (Math.floor((ahead - slots) / slots) + 1) * (this.estimates.serviceMs(m.name) ?? 0) : 0
    return m.state === "resident" ? queueing : queueing + m.loadMs
  }

  snapshot(): SchedulerSnapshot {
    const now = this.now()
    const queues: QueueSnapshot[] = []
    for (const m of this.deps.residency.models()) {
      const q = this.queues.get(m.name) ?? []
      if (q.length === 0 && m.leases === 0) continue
      const byTenant: Record<string, number> = {}
      let interactive = 0
      for (const t of q) {
        byTenant[t.tenant] = (byTenant[t.tenant] ?? 0) + 1
        if (t.priority === "interactive") interactive++
      }
      queues.push({
        model: m.name,
        depth: q.length,
        inflight: m.leases,
        oldestWaitMs: q[0] === undefined ? undefined : now - q[0].since,
        byPriority: { interactive, batch: q.length - interactive },
        byTenant,
      })
    }
    return {
      policy: this.deps.policy.name,
      queued: this.queuedCount,
      maxQueued: this.deps.options.maxQueued,
      loading: this.deps.residency.loading,
      queues,
    }
  }

  /** The ordering context: now, and the tenants' fair-share levels. */
  private order(): OrderContext {
    return {
      now: this.now(),
      level: (tenant) => this.fair.level(tenant),
      lastGrantAt: (model, tenant, priority) => this.lastGrant.get(grantKey(model, tenant, priority)),
    }
  }

  /** The ticket of `q` that goes first, and its index. */
  private best(ctx: OrderContext, q: ReadonlyArray<Ticket>): number {
    let best = -1
    for (let i = 0; i < q.length; i++) {
      if (best < 0 || this.deps.policy.before(ctx, q[i] as Ticket, q[best] as Ticket)) best = i
    }
    return best
  }

  /** The view a policy decides on. */
  view(): SchedulerView {
    const ctx = this.order()
    const budget = this.deps.residency.budget
    return {
      ...ctx,
      capacityBytes: budget.capacity,
      physicalBytes: this.deps.residency.physicalBytes,
      loadHeadroom: this.deps.residency.loadHeadroom,
      usedBytes: budget.used,
      maxLoaded: this.deps.options.maxLoaded,
      models: this.deps.residency.models().map((m) => this.modelView(ctx, m)),
    }
  }

  private modelView(ctx: OrderContext, m: ModelResidency): ModelView {
    const q = this.queues.get(m.name)
    const oldest = q?.[0]
    const b = q === undefined || q.length === 0 ? -1 : this.best(ctx, q)
    let queuedInteractive = 0
    for (const t of q ?? []) if (t.priority === "interactive") queuedInteractive++
    return {
      name: m.name,
      state: m.state,
      bytes: m.bytes,
      inflight: m.leases,
      slots: m.slots,
      queued: q?.length ?? 0,
      oldestSince: oldest?.since,
      oldestSeq: oldest?.seq,
      head: b < 0 ? undefined : (q?.[b] as Ticket),
      queuedInteractive,
      inflightInteractive: this.interactiveInflight.get(m.name) ?? 0,
      pinned: m.pinned,
      external: m.external,
      loadedAt: m.loadedAt,
      lastUsedAt: m.lastUsedAt,
      loadMs: m.loadMs,
      demand: this.estimates.demandOf(m.name, ctx.now),
    }
  }

  /**
   * Fail every waiting request with `error` and keep deciding (its host went down: the requests
   * fail over elsewhere). Abandons a load not yet begun.
   */
  failQueued(error: (model: string) => ConductorError): void {
    this.commit?.abandon.abort()
    for (const q of this.queues.values()) {
      for (const t of q.splice(0)) {
        this.fair.leave(t.tenant)
        t.reject(error(t.model))
      }
    }
    this.queuedCount = 0
    this.pump()
  }

  /** Fail every waiting request and stop deciding (shutdown). */
  close(reason = "shutting down"): void {
    this.closed = true
    this.unsubscribe()
    this.wake?.ctl.abort()
    this.commit?.abandon.abort()
    for (const q of this.queues.values()) {
      for (const t of q.splice(0)) {
        this.fair.leave(t.tenant)
        t.reject(conductorError("Unavailable", reason, { model: t.model }))
      }
    }
    this.queuedCount = 0
  }

  // ---------------------------------------------------------------- decisions

  /** Decide everything that can be decided now. Re-entrant calls fold into the running one. */
  pump(): void {
    if (this.closed) return
    if (this.pumping) {
      this.again = true
      return
    }
    this.pumping = true
    try {
      do {
        this.again = false
        this.dispatch()
        this.planLoad()
      } while (this.again)
      this.armWake()
      this.publishQueues()
    } finally {
      this.pumping = false
    }
  }

  /** Start waiting requests on models that can take them, each model's in the policy's order. */
  private dispatch(): void {
    if (this.queuedCount === 0) return // nobody waits: no view to build
    // The views of the models requests wait for, in residency's order (the others have nothing
    // to start: building theirs on every lease was most of the scheduler's cost).
    const ctx = this.order()
    const waiting: ModelView[] = []
    this.deps.residency.eachLeases((name) => {
      if ((this.queues.get(name)?.length ?? 0) === 0) return
      const r = this.deps.residency.get(name)
      if (r !== undefined) waiting.push(this.modelView(ctx, r))
    })
    for (const m of waiting) {
      const q = this.queues.get(m.name)
      if (q === undefined || q.length === 0) continue
      let granted = 0
      for (let free = this.deps.policy.concurrency(m) - m.inflight; free > 0 && q.length > 0; free--) {
        const lease = this.deps.residency.lease(m.name)
        if (lease === undefined) break
        // Levels change with every grant: the next one is chosen afresh.
        const i = this.best(this.order(), q)
        const t = q.splice(i, 1)[0] as Ticket
        this.queuedCount--
        this.grant(t, lease)
        granted++
      }
      if (granted > 0) this.publishPositions(m.name)
    }
  }

  private planLoad(): void {
    const residency = this.deps.residency
    const c = this.commit
    if (c !== undefined) {
      if ((this.queues.get(c.model)?.length ?? 0) === 0) {
        // Nobody waits for it any more: give up the load if it has not begun.
        c.abandon.abort()
        return
      }
      if (residency.get(c.model)?.waitingForMemory !== true) return
      const more = this.deps.policy.moreRoom(this.view(), c.model)
      if (more !== undefined) this.evict(more.now, more.whenIdle, c.drained)
      return
    }
    if (residency.loading !== undefined || !this.waitingForLoad()) return
    const plan = this.deps.policy.nextLoad(this.view())
    if (plan === undefined) return
    const commit: Commit = {
      model: plan.model,
      abandon: new AbortController(),
      drained: new Set(),
    }
    this.commit = commit
    this.evict(plan.now, plan.whenIdle, commit.drained)
    for (const t of this.queues.get(plan.model) ?? []) this.noteLoading(t)
    residency.load(plan.model, commit.abandon.signal).then(
      () => this.loaded(),
      (e: ConductorError) => this.loadFailed(commit, e),
    )
  }

  private evict(now: ReadonlyArray<string>, whenIdle: ReadonlyArray<string>, drained: Set<string>): void {
    for (const name of now) this.deps.residency.evict(name, "make_room")
    for (const name of whenIdle) if (this.deps.residency.drain(name)) drained.add(name)
  }

  private loaded(): void {
    this.commit = undefined
    this.pump()
  }

  /** The ticket now waits for its model's load. */
  private noteLoading(t: Ticket): void {
    if (t.loadingSince !== undefined) return
    t.loadingSince = this.now()
    if (t.requestId !== undefined) this.deps.publish({ type: "loading", id: t.requestId, model: t.model })
    t.onLoading?.()
  }

  private loadFailed(c: Commit, error: ConductorError): void {
    this.commit = undefined
    for (const name of c.drained) this.deps.residency.undrain(name)
    if (error.reason !== "Cancelled") {
      // Its waiting requests fail now; falling back to another model is theirs to decide.
      const q = this.queues.get(c.model) ?? []
      this.queuedCount -= q.length
      for (const t of q.splice(0)) {
        this.fair.leave(t.tenant)
        t.reject(error)
      }
    }
    this.pump()
  }

  /**
   * Some request waits for a model that is not resident. Only then can a load be due or a wake-up
   * be needed (the policy contract: `nextLoad` and `wakeAt` are asked only then), so the other
   * pumps — one per lease and one per release on a resident model — build no view for them.
   */
  private waitingForLoad(): boolean {
    if (this.queuedCount === 0) return false
    for (const [name, q] of this.queues) {
      if (q.length > 0 && this.deps.residency.stateOf(name) !== "resident") return true
    }
    return false
  }

  private armWake(): void {
    const at = this.waitingForLoad() ? this.deps.policy.wakeAt(this.view()) : undefined
    if (at === undefined) {
      this.wake?.ctl.abort()
      this.wake = undefined
      return
    }
    if (this.wake !== undefined && this.wake.at === at) return
    this.wake?.ctl.abort()
    const ctl = new AbortController()
    this.wake = { at, ctl }
    // At least 1 ms ahead: a policy that compares times computed another way (now − since ≥ bound
    // versus since + bound) may see no change at exactly `at`, and a 0 ms wake would spin.
    this.deps.time.sleep(Math.max(MIN_WAKE_MS, at - this.now()), ctl.signal).then(
      () => {
        if (this.wake?.ctl !== ctl) return
        this.wake = undefined
        this.pump()
      },
      () => undefined,
    )
  }

  // ---------------------------------------------------------------- tickets

  /** Remember when this group was last served (the least recently served are forgotten past the cap). */
  private noteGrant(model: string, tenant: string, priority: Priority, at: number): void {
    const key = grantKey(model, tenant, priority)
    this.lastGrant.delete(key)
    this.lastGrant.set(key, at)
    // Insertion order is grant order: the first entries were served longest ago.
    for (const k of this.lastGrant.keys()) {
      if (this.lastGrant.size <= MAX_GRANT_GROUPS) return
      this.lastGrant.delete(k)
    }
  }

  private grant(t: Ticket, lease: Lease): void {
    const grantedAt = this.now()
    const model = t.model
    if (t.loadingSince !== undefined) {
      t.loadMs = grantedAt - t.loadingSince
      if (t.requestId !== undefined)
        this.deps.publish({ type: "loaded", id: t.requestId, model, loadMs: t.loadMs })
    }
    this.noteGrant(model, t.tenant, t.priority, grantedAt)
    // Charged now at the expected service time (the next grant must see it), corrected at release.
    const charged = this.estimates.serviceMs(model) ?? DEFAULT_SERVICE_MS
    this.fair.grant(t.tenant, charged)
    const interactive = t.priority === "interactive"
    if (interactive) this.interactiveInflight.set(model, (this.interactiveInflight.get(model) ?? 0) + 1)
    let released = false
    t.resolve({
      model,
      waitedMs: grantedAt - t.since,
      loadMs: t.loadMs,
      release: () => {
        lease.release()
        if (released) return
        released = true
        const took = this.now() - grantedAt
        this.estimates.noteService(model, took)
        this.fair.charge(t.tenant, took - charged)
        this.fair.leave(t.tenant)
        if (interactive) this.interactiveInflight.set(model, (this.interactiveInflight.get(model) ?? 1) - 1)
      },
    })
  }

  private remove(t: Ticket): boolean {
    const q = this.queues.get(t.model)
    const i = q?.indexOf(t) ?? -1
    if (q === undefined || i < 0) return false
    q.splice(i, 1)
    this.queuedCount--
    this.publishPositions(t.model)
    return true
  }

  private queueOf(model: string): Ticket[] {
    let q = this.queues.get(model)
    if (q === undefined) {
      q = []
      this.queues.set(model, q)
    }
    return q
  }

  // ---------------------------------------------------------------- estimates and events

  private publishPositions(model: string): void {
    const queue = this.queues.get(model)
    if (queue === undefined) return
    const m = this.deps.residency.get(model)
    const slots = Math.max(1, m?.slots ?? 1)
    const service = this.estimates.serviceMs(model) ?? 0
    const loading = m === undefined || m.state === "resident" || m.state === "draining" ? 0 : m.loadMs
    // Positions in the policy's order (the order requests will start in, as things stand).
    const ctx = this.order()
    const before = this.deps.policy.before
    const q =
      queue.length < 2
        ? queue
        : [...queue].sort((a, b) => (before(ctx, a, b) ? -1 : before(ctx, b, a) ? 1 : 0))
    q.forEach((t, i) => {
      const position = i + 1
      if (t.requestId === undefined || t.position === position) return
      // Far back in a long queue, every tenth place is news enough (keeps events O(n) per request).
      if (t.position !== 0 && position > POSITIONS_ALWAYS && position % 10 !== 0) return
      t.position = position
      this.deps.publish({
        type: "queued",
        id: t.requestId,
        model,
        position,
        estimatedWaitMs: Math.round(loading + Math.ceil(position / slots) * service),
        priority: t.priority,
        tenant: t.tenant,
      })
    })
  }

  private publishQueues(): void {
    this.deps.residency.eachLeases((model, inflight) => {
      const depth = this.queues.get(model)?.length ?? 0
      const last = this.published.get(model)
      if (
        last === undefined
          ? depth === 0 && inflight === 0
          : last.depth === depth && last.inflight === inflight
      )
        return
      if (last === undefined) this.published.set(model, { depth, inflight })
      else {
        last.depth = depth
        last.inflight = inflight
      }
      this.deps.publish({ type: "queue", model, depth, inflight })
    })
  }

  private retryAfter(m: ModelResidency): number {
    const service = this.estimates.serviceMs(m.name) ?? RETRY_MIN_MS
    return Math.round(Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, service / Math.max(1, m.slots))))
  }

  /** Budget left for `m` if every other unpinned model went. */
  private roomBesidePinned(m: ModelResidency): number {
    return this.deps.residency.budget.capacity - this.deps.residency.pinnedBytesBesides(m.name)
  }

  private now(): number {
    return this.deps.time.now()
  }
}

const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(1)} GB`

const cancelled = (model: string): ConductorError =>
  conductorError("Cancelled", "cancelled while waiting for the model", { model })
