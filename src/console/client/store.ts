/**
 * The console's state, kept from the `/v1/status` snapshot and the event stream: every registry
 * model's residency, slots, queue, breaker and health; GPU memory (per host); the requests seen
 * (all clients' over the `requests` topic, this tab's own with their text); and a short log of
 * system events. Pure: it touches no DOM and takes the time as an argument, so it is tested in
 * Node. It counts changes (per section, per request) so each renderer redraws once per frame only
 * what moved since it last drew, and counts token events instead of keeping other clients' text.
 */
import type {
  Attempt,
  BreakerState,
  Decision,
  RequestEvent,
  ResidencyState,
  ServerMessage,
  StatusSnapshot,
  SystemEvent,
} from "./wire.js"

type ModelEvent = Extract<SystemEvent, { type: `model_${string}` }>

export type Section = "meta" | "hosts" | "models" | "requests" | "log"

export interface ModelView {
  readonly name: string
  available: boolean
  state: ResidencyState
  bytes: number
  slots: number
  /** Slots in use (leases). */
  busy: number
  pinned: boolean
  external: boolean
  /** Expected load time, ms (measured by the server, else estimated). */
  expectedLoadMs: number
  /** When the load began, on the page's clock. */
  loadingSince: number | undefined
  lastLoadMs: number | undefined
  loadFailures: number
  lastError: string | undefined
  /** Why it drains or unloads. */
  why: string | undefined
  queueDepth: number
  /** The oldest wait the snapshot reported, as a start time on the page's clock. */
  oldestQueuedSince: number | undefined
  breaker: BreakerState
  health: { successRate: number; latencyMs: number | undefined; consecutiveFailures: number } | undefined
}

export type RequestState =
  | "accepted"
  | "routed"
  | "queued"
  | "loading"
  | "streaming"
  | "validating"
  | "completed"
  | "failed"
  | "cancelled"
  /** The connection dropped before its end arrived. */
  | "lost"

export const FINISHED: ReadonlySet<RequestState> = new Set(["completed", "failed", "cancelled", "lost"])

export interface RequestView {
  readonly id: string
  /** Bumped by every change. */
  version: number
  /** Order of first sight (newest is highest). */
  readonly seq: number
  /** Sent from this tab: its text is kept. */
  readonly mine: boolean
  client: string | undefined
  task: string | undefined
  tier: string | undefined
  model: string | undefined
  reason: string | undefined
  decision: Decision | undefined
  state: RequestState
  position: number | undefined
  estimatedWaitMs: number | undefined
  /** When it entered the queue, on the page's clock. */
  queuedSince: number | undefined
  /** Conductor's clock (`at`) for durations between events. */
  acceptedAt: number | undefined
  startedAt: number | undefined
  firstTokenAt: number | undefined
  lastTokenAt: number | undefined
  /** Token events (merged pieces count once) in all attempts, and in this one. */
  tokens: number
  attemptTokens: number
  attempt: number
  fallbacks: Array<{ from: string; to: string; reason: string }>
  validation: { ok: boolean; failures: ReadonlyArray<{ validator: string; message: string }> } | undefined
  error: { reason: string; message: string } | undefined
  attempts: ReadonlyArray<Attempt> | undefined
  timings: Extract<RequestEvent, { type: "completed" }>["timings"] | undefined
  usage: { promptTokens: number; evalTokens: number } | undefined
  /** The answer so far (this tab's requests only). */
  text: string
  thinking: string
}

export interface HostMemory {
  readonly name: string
  readonly used: number
  readonly budget: number
  readonly capacity: number
  readonly models: ReadonlyArray<{
    readonly name: string
    readonly bytes: number
    readonly state: ResidencyState
  }>
}

export interface LogEntry {
  readonly seq: number
  /** Wall-clock time on the page, ms since the epoch. */
  readonly time: number
  readonly level: "info" | "warn" | "error"
  readonly text: string
}

export interface StoreLimits {
  /** Requests kept (finished ones are dropped oldest first beyond it). */
  readonly requests: number
  readonly log: number
}

const GB = 1e9
const gb = (b: number) => `${(b / GB).toFixed(1)} GB`
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`

export class ConsoleStore {
  readonly models = new Map<string, ModelView>()
  vram = { used: 0, budget: 0, capacity: 0 }
  backend = ""
  policy = ""
  reachable = true
  personas: ReadonlyArray<string> = []
  readonly requests = new Map<string, RequestView>()
  readonly log: LogEntry[] = []
  /** Set by a `reconciled` event: the model table should be fetched afresh. */
  needsSnapshot = false
  /** Bumped by every change of a section: a renderer draws when it moved past what it drew. */
  readonly versions: Record<Section, number> = { meta: 0, hosts: 0, models: 0, requests: 0, log: 0 }
  private readonly mine = new Set<string>()
  private seq = 0
  private logSeq = 0
  private inFlight = 0

  constructor(
    private readonly limits: StoreLimits = { requests: 500, log: 60 },
    /** Wall-clock time for log entries. */
    private readonly wallClock: () => number = () => Date.now(),
  ) {}

  /** Requests not finished. */
  get inFlightCount(): number {
    return this.inFlight
  }

  /** This tab is about to send query `id`. */
  expect(id: string): void {
    this.mine.add(id)
  }

  applySnapshot(s: StatusSnapshot, now: number): void {
    this.backend = s.backend.description
    this.reachable = s.backend.reachable
    this.policy = s.policy
    if (s.personas !== undefined) this.personas = s.personas
    this.vram = { used: s.vram.used, budget: s.vram.budget, capacity: s.vram.capacity }
    const seen = new Set<string>()
    for (const m of s.models) {
      seen.add(m.name)
      const v = this.model(m.name)
      v.available = m.available
      if (v.state !== "loading" || m.state !== "loading")
        v.loadingSince = m.state === "loading" ? now : undefined
      v.state = m.state
      v.bytes = m.bytes
      v.slots = m.slots
      v.busy = m.leases
      v.pinned = m.pinned
      v.external = m.external
      v.expectedLoadMs = m.loadMs
      v.loadFailures = m.loadFailures
      v.queueDepth = 0
      v.oldestQueuedSince = undefined
    }
    for (const name of [...this.models.keys()]) if (!seen.has(name)) this.models.delete(name)
    for (const q of s.queues) {
      const v = this.models.get(q.model)
      if (v === undefined) continue
      v.queueDepth = q.depth
      v.busy = q.inflight
      v.oldestQueuedSince = q.oldestWaitMs !== undefined && q.depth > 0 ? now - q.oldestWaitMs : undefined
    }
    for (const b of s.breakers) {
      const v = this.models.get(b.model)
      if (v !== undefined) v.breaker = b.state
    }
    for (const h of s.health) {
      const v = this.models.get(h.model)
      if (v !== undefined && h.attempts > 0)
        v.health = {
          successRate: h.successRate,
          latencyMs: h.latencyMs,
          consecutiveFailures: h.consecutiveFailures,
        }
    }
    this.needsSnapshot = false
    this.touch("meta", "hosts", "models")
  }

  /** One message from the server. */
  apply(m: ServerMessage, now: number): void {
    switch (m.type) {
      case "hello":
        this.backend = m.backend
        this.policy = m.policy
        this.touch("meta")
        return
      case "subscribed":
        return
      case "error":
        if (m.id !== undefined && this.mine.has(m.id)) {
          const r = this.request(m.id)
          this.finish(r, "failed")
          r.error = { reason: m.code, message: m.message }
        }
        return
      default:
        if ("id" in m) this.applyRequest(m, now)
        else this.applySystem(m, now)
    }
  }

  /** The connection dropped: requests not finished will not be heard of again. */
  markLost(): void {
    for (const r of this.requests.values()) if (!FINISHED.has(r.state)) this.finish(r, "lost")
  }

  /** GPU memory per host (one host today; a `hosts` list in the snapshot maps onto this). */
  hosts(): ReadonlyArray<HostMemory> {
    const models = [...this.models.values()]
      .filter((m) => m.state !== "unloaded")
      .map((m) => ({ name: m.name, bytes: m.bytes, state: m.state }))
    return [{ name: this.backend || "GPU", ...this.vram, models }]
  }

  /** The newest `cap` requests, newest first. */
  visibleRequests(cap: number): RequestView[] {
    const all = [...this.requests.values()]
    const out: RequestView[] = []
    for (let i = all.length - 1; i >= 0 && out.length < cap; i--) out.push(all[i] as RequestView)
    return out
  }

  /** How long the oldest request known to wait for `model` has waited, ms (page clock). */
  oldestWaitMs(model: ModelView, now: number): number | undefined {
    let since = model.queueDepth > 0 ? model.oldestQueuedSince : undefined
    for (const r of this.requests.values()) {
      if (r.state === "queued" && r.model === model.name && r.queuedSince !== undefined)
        since = since === undefined ? r.queuedSince : Math.min(since, r.queuedSince)
    }
    return since === undefined ? undefined : now - since
  }

  // ---------------------------------------------------------------- models

  private model(name: string): ModelView {
    let v = this.models.get(name)
    if (v === undefined) {
      v = {
        name,
        available: true,
        state: "unloaded",
        bytes: 0,
        slots: 1,
        busy: 0,
        pinned: false,
        external: false,
        expectedLoadMs: 0,
        loadingSince: undefined,
        lastLoadMs: undefined,
        loadFailures: 0,
        lastError: undefined,
        why: undefined,
        queueDepth: 0,
        oldestQueuedSince: undefined,
        breaker: "closed",
        health: undefined,
      }
      this.models.set(name, v)
    }
    return v
  }

  private applySystem(e: SystemEvent, now: number): void {
    switch (e.type) {
      case "vram":
        this.vram = { used: e.usedBytes, budget: e.budgetBytes, capacity: e.capacityBytes }
        this.touch("hosts")
        return
      case "queue": {
        const v = this.model(e.model)
        v.queueDepth = e.depth
        v.busy = e.inflight
        if (e.depth === 0) v.oldestQueuedSince = undefined
        this.touch("models")
        return
      }
      case "health":
        this.model(e.model).health = {
          successRate: e.successRate,
          latencyMs: e.latencyMs,
          consecutiveFailures: e.consecutiveFailures,
        }
        this.touch("models")
        return
      case "breaker":
        this.model(e.model).breaker = e.state
        this.note(e.state === "closed" ? "info" : "warn", `${e.model}: breaker ${e.previous} → ${e.state}`)
        this.touch("models")
        return
      case "backend":
        this.reachable = e.state === "up"
        this.note(e.state === "up" ? "info" : "error", `backend ${e.state}: ${e.message}`)
        this.touch("meta")
        return
      case "reconciled":
        this.needsSnapshot = true
        this.note(
          "info",
          `reconciled with the backend: ${[
            e.adopted.length > 0 ? `adopted ${e.adopted.join(", ")}` : "",
            e.vanished.length > 0 ? `vanished ${e.vanished.join(", ")}` : "",
            e.corrected.length > 0 ? `sizes corrected ${e.corrected.join(", ")}` : "",
          ]
            .filter((s) => s !== "")
            .join("; ")}`,
        )
        return
      default:
        this.applyModelEvent(e, now)
    }
  }

  private applyModelEvent(e: ModelEvent, now: number): void {
    const v = this.model(e.model)
    switch (e.type) {
      case "model_loading":
        v.state = "loading"
        v.bytes = e.bytes
        v.loadingSince = now
        v.why = undefined
        this.note("info", `${e.model}: loading (${gb(e.bytes)})`)
        break
      case "model_loaded":
        v.state = "resident"
        v.bytes = e.bytes
        v.loadingSince = undefined
        v.lastLoadMs = e.loadMs
        v.expectedLoadMs = e.loadMs
        v.lastError = undefined
        this.note("info", `${e.model}: loaded in ${secs(e.loadMs)} (${gb(e.bytes)})`)
        break
      case "model_load_failed":
        v.state = "unloaded"
        v.loadingSince = undefined
        v.loadFailures++
        v.lastError = `${e.reason}: ${e.message}`
        this.note("error", `${e.model}: load failed — ${e.reason}: ${e.message}`)
        break
      case "model_draining":
        v.state = "draining"
        v.why = e.reason
        this.note("info", `${e.model}: draining (${e.reason}); unloads when its requests end`)
        break
      case "model_resumed":
        v.state = "resident"
        v.why = undefined
        this.note("info", `${e.model}: takes work again`)
        break
      case "model_pinned":
        v.pinned = e.pinned
        this.note("info", `${e.model}: ${e.pinned ? "pinned" : "unpinned"}`)
        break
      case "model_evicted":
        v.state = "unloading"
        v.why = e.reason
        this.note(
          e.reason === "crash" ? "warn" : "info",
          `${e.model}: evicted (${e.reason}), ${gb(e.bytes)} freed`,
        )
        break
      case "model_unloaded":
        v.state = "unloaded"
        v.busy = 0
        v.why = undefined
        break
    }
    this.touch("models", "hosts")
  }

  private note(level: LogEntry["level"], text: string): void {
    this.log.push({ seq: ++this.logSeq, time: this.wallClock(), level, text })
    if (this.log.length > this.limits.log) this.log.splice(0, this.log.length - this.limits.log)
    this.touch("log")
  }

  // ---------------------------------------------------------------- requests

  private request(id: string): RequestView {
    let r = this.requests.get(id)
    if (r === undefined) {
      r = {
        id,
        version: 0,
        seq: ++this.seq,
        mine: this.mine.has(id),
        client: undefined,
        task: undefined,
        tier: undefined,
        model: undefined,
        reason: undefined,
        decision: undefined,
        state: "accepted",
        position: undefined,
        estimatedWaitMs: undefined,
        queuedSince: undefined,
        acceptedAt: undefined,
        startedAt: undefined,
        firstTokenAt: undefined,
        lastTokenAt: undefined,
        tokens: 0,
        attemptTokens: 0,
        attempt: 0,
        fallbacks: [],
        validation: undefined,
        error: undefined,
        attempts: undefined,
        timings: undefined,
        usage: undefined,
        text: "",
        thinking: "",
      }
      this.requests.set(id, r)
      this.inFlight++
      this.prune()
      this.touch("requests")
    }
    return r
  }

  private setState(r: RequestView, state: RequestState, now: number): void {
    if (state === "queued") r.queuedSince ??= now
    else r.queuedSince = undefined
    r.state = state
  }

  private finish(r: RequestView, state: RequestState): void {
    if (!FINISHED.has(r.state)) this.inFlight--
    r.state = state
    r.queuedSince = undefined
    this.mine.delete(r.id)
    r.version++
    this.touch("requests")
  }

  private applyRequest(e: RequestEvent, now: number): void {
    const r = this.request(e.id)
    if (r.state === "lost") {
      // Heard of again after a reconnect.
      r.state = "accepted"
      this.inFlight++
    }
    if (FINISHED.has(r.state)) return
    r.version++
    this.touch("requests")
    switch (e.type) {
      case "accepted":
        r.client = e.client
        r.acceptedAt = e.at
        return
      case "routed":
        r.decision = e.decision
        r.model = e.decision.model
        r.task = e.decision.taskType
        r.tier = e.decision.tier
        r.reason = e.decision.reason
        this.setState(r, "routed", now)
        return
      case "queued":
        r.model = e.model
        r.position = e.position
        r.estimatedWaitMs = e.estimatedWaitMs
        this.setState(r, "queued", now)
        return
      case "loading":
        r.model = e.model
        this.setState(r, "loading", now)
        return
      case "loaded":
        return
      case "started":
        r.model = e.model
        r.attempt = e.attempt
        r.startedAt = e.at
        r.attemptTokens = 0
        this.setState(r, "streaming", now)
        return
      case "token":
        r.tokens++
        r.attemptTokens++
        if (r.firstTokenAt === undefined) r.firstTokenAt = e.at
        r.lastTokenAt = e.at
        if (r.mine) r.text += e.text
        return
      case "thinking":
        if (r.mine) r.thinking += e.text
        return
      case "tool_call":
        return
      case "restart":
        if (r.mine) r.text = r.text.slice(0, Math.max(0, r.text.length - e.discard))
        return
      case "fallback":
        r.fallbacks.push({ from: e.from, to: e.to, reason: e.reason })
        r.model = e.to
        return
      case "validated":
        r.validation = { ok: e.ok, failures: e.failures }
        this.setState(r, "validating", now)
        return
      case "completed":
        r.model = e.model
        r.tier = e.tier
        r.task = e.taskType
        r.timings = e.timings
        r.usage = e.usage
        r.attempts = e.attempts
        if (r.mine) r.text = e.text
        this.finish(r, "completed")
        return
      case "failed":
        r.error = { reason: e.reason, message: e.message }
        r.attempts = e.attempts
        this.finish(r, "failed")
        return
      case "cancelled":
        r.attempts = e.attempts
        this.finish(r, "cancelled")
        return
    }
  }

  /** Beyond the limit, drop the oldest finished requests (never one in flight). */
  private prune(): void {
    let excess = this.requests.size - this.limits.requests
    if (excess <= 0) return
    for (const [id, r] of this.requests) {
      if (excess <= 0) break
      if (!FINISHED.has(r.state)) continue
      this.requests.delete(id)
      excess--
    }
  }

  private touch(...sections: Section[]): void {
    for (const s of sections) this.versions[s]++
  }
}
