/**
 * The console's state, kept from the `/v1/status` snapshot and the event stream: every registry
 * model's residency, slots, queue, breaker and health; GPU memory (per host); the requests seen
 * (all clients' over the `requests` topic, this tab's own with their text); and a short log of
 * system events. Pure: it touches no DOM and takes the time as an argument, so it is tested in
 * Node. It counts changes (per section, per request) so each renderer redraws once per frame only
 * what moved since it last drew, and counts token events instead of keeping other clients' text.
 */
import { applyModelEvent, type LogLevel, type ModelView, newModel } from "./model-state.js"
import {
  applyRequestEvent,
  FINISHED,
  newRequest,
  type RequestState,
  type RequestView,
} from "./request-state.js"
import type { RequestEvent, ResidencyState, ServerMessage, StatusSnapshot, SystemEvent } from "./wire.js"

export type { ModelView } from "./model-state.js"
export { FINISHED, type RequestState, type RequestView } from "./request-state.js"

export type Section = "meta" | "hosts" | "models" | "requests" | "log"

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
  readonly level: LogLevel
  readonly text: string
}

export interface StoreLimits {
  /** Requests kept (finished ones are dropped oldest first beyond it). */
  readonly requests: number
  readonly log: number
}

export class ConsoleStore {
  readonly models = new Map<string, ModelView>()
  vram = { used: 0, budget: 0, capacity: 0 }
  /**
   * With several GPU hosts: each host's memory and what it holds, from the snapshot's `hosts` and
   * then the events that name their host. Empty with one host (the totals above are that host).
   */
  private readonly perHost = new Map<
    string,
    {
      used: number
      budget: number
      capacity: number
      up: boolean
      models: Map<string, { bytes: number; state: ResidencyState }>
    }
  >()
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
    this.perHost.clear()
    if (s.hosts !== undefined && s.hosts.length > 1) {
      for (const h of s.hosts) {
        const models = new Map<string, { bytes: number; state: ResidencyState }>()
        for (const m of h.models)
          if (m.state !== "unloaded") models.set(m.name, { bytes: m.bytes, state: m.state })
        this.perHost.set(h.name, { ...h.vram, up: h.up, models })
      }
    }
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

  /** GPU memory per host: each of several hosts, else the one (the totals). */
  hosts(): ReadonlyArray<HostMemory> {
    if (this.perHost.size > 0) {
      return [...this.perHost].map(([name, h]) => ({
        name: h.up ? name : `${name} (down)`,
        used: h.used,
        budget: h.budget,
        capacity: h.capacity,
        models: [...h.models].map(([model, m]) => ({ name: model, bytes: m.bytes, state: m.state })),
      }))
    }
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
      v = newModel(name)
      this.models.set(name, v)
    }
    return v
  }

  private applySystem(e: SystemEvent, now: number): void {
    switch (e.type) {
      case "vram": {
        const h = e.host !== undefined ? this.perHost.get(e.host) : undefined
        if (h !== undefined) {
          h.used = e.usedBytes
          h.budget = e.budgetBytes
          h.capacity = e.capacityBytes
        } else this.vram = { used: e.usedBytes, budget: e.budgetBytes, capacity: e.capacityBytes }
        this.touch("hosts")
        return
      }
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
      case "tenant_breaker":
        // Only that tenant is held back: the model's own state does not change.
        this.note(
          e.state === "closed" ? "info" : "warn",
          `${e.model}: breaker for tenant ${e.tenant} ${e.previous} → ${e.state}`,
        )
        return
      case "learning":
        // The learner's bookkeeping (docs/learning.md): nothing the console shows.
        return
      case "backend":
        this.reachable = e.state === "up"
        this.note(e.state === "up" ? "info" : "error", `backend ${e.state}: ${e.message}`)
        this.touch("meta")
        return
      case "host":
        this.needsSnapshot = true
        this.note(e.state === "up" ? "info" : "error", `GPU host ${e.host} ${e.state}: ${e.message}`)
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
        applyModelEvent(this.model(e.model), e, now, (level, text) => this.note(level, text))
        if (e.host !== undefined) {
          const models = this.perHost.get(e.host)?.models
          if (models !== undefined) residentOn(models, e)
        }
        this.touch("models", "hosts")
    }
  }

  private note(level: LogLevel, text: string): void {
    this.log.push({ seq: ++this.logSeq, time: this.wallClock(), level, text })
    if (this.log.length > this.limits.log) this.log.splice(0, this.log.length - this.limits.log)
    this.touch("log")
  }

  // ---------------------------------------------------------------- requests

  private request(id: string): RequestView {
    let r = this.requests.get(id)
    if (r === undefined) {
      r = newRequest(id, ++this.seq, this.mine.has(id))
      this.requests.set(id, r)
      this.inFlight++
      this.prune()
      this.touch("requests")
    }
    return r
  }

  /** `r` ends as `state` without an event of its own (the server refused it, the connection dropped). */
  private finish(r: RequestView, state: RequestState): void {
    const running = !FINISHED.has(r.state)
    r.state = state
    if (running) this.settle(r)
    r.version++
    this.touch("requests")
  }

  /** `r` has just ended: it leaves the in-flight count and any queue. */
  private settle(r: RequestView): void {
    this.inFlight--
    r.queuedSince = undefined
    this.mine.delete(r.id)
  }

  private applyRequest(e: RequestEvent, now: number): void {
    const r = this.request(e.id)
    if (r.state === "lost") {
      // Heard of again after a reconnect.
      r.state = "accepted"
      this.inFlight++
    }
    if (FINISHED.has(r.state)) return
    applyRequestEvent(r, e, now)
    r.version++
    this.touch("requests")
    if (FINISHED.has(r.state)) this.settle(r)
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

/** One host's models after a model event that names the host (what its memory bar shows). */
const residentOn = (
  models: Map<string, { bytes: number; state: ResidencyState }>,
  e: Extract<SystemEvent, { readonly model: string }>,
): void => {
  const bytes = "bytes" in e && typeof e.bytes === "number" ? e.bytes : (models.get(e.model)?.bytes ?? 0)
  const state: ResidencyState | undefined =
    e.type === "model_loading"
      ? "loading"
      : e.type === "model_loaded" || e.type === "model_resumed"
        ? "resident"
        : e.type === "model_draining"
          ? "draining"
          : e.type === "model_evicted"
            ? "unloading"
            : undefined
  if (e.type === "model_unloaded" || e.type === "model_load_failed") models.delete(e.model)
  else if (state !== undefined) models.set(e.model, { bytes, state })
}
