/**
 * Prometheus metrics, derived from the event bus (DESIGN decision 9): one prom-client Registry per
 * Conductor, fed by `observe(event)`. Every label value comes from a bounded set — registry model
 * names, task types, tiers, outcomes, reasons, validator names, protocol message types, the
 * configured GPU host names (host-metrics.ts, with several hosts) — never
 * request ids or text. Histograms reach minutes (LLM requests are long). Node's default process
 * metrics are included, minus the `nodejs_active_*_total` gauges whose names make
 * `promtool check metrics` complain.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client"
import type { Attempt, BreakerState, ConductorEvent, EvictionReason } from "../domain/events.js"
import { DEFAULT_TENANT, tenantLabel } from "../domain/tenant.js"
import { hostMetrics } from "./host-metrics.js"

/** Seconds: from sub-second answers to twenty-minute ones. */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200]
/** Seconds: model loads, from a small model off a fast disk to a 70B one off a slow one. */
export const LOAD_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300]

const BREAKER_VALUE = { closed: 0, half_open: 1, open: 2 } as const
const BREAKER_STATES: ReadonlyArray<BreakerState> = ["closed", "half_open", "open"]
const EVICTION_REASONS: ReadonlyArray<EvictionReason> = [
  "make_room",
  "idle",
  "reconciled",
  "crash",
  "requested",
  "shutdown",
]
/** Default metrics whose names promtool rejects (gauges ending in `_total`). */
const PROMTOOL_UNFRIENDLY = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
]

export interface ConductorMetrics {
  readonly registry: Registry
  /** Update from one event. */
  observe(event: ConductorEvent): void
  /**
   * Start every registry model's series (Prometheus's instrumentation guidance: a series that
   * appears only after its first event leaves a model that never failed out of `rate()` and alert
   * rules): breaker closed (or the state given), not resident, no footprint, empty queue, the
   * per-model counters (loads, evictions, breaker transitions, tokens) and histograms at zero.
   * Series whose other labels depend on requests (requests by task and tier, failures by reason,
   * validators, fallbacks) still start with their first event.
   */
  startModels(models: ReadonlyArray<{ readonly name: string; readonly breaker?: BreakerState }>): void
  /** Set by the server: 1 while it takes queries. */
  readonly ready: Gauge
  /** WebSocket gauges and counters, for the server. */
  readonly ws: {
    readonly connections: Gauge
    readonly messages: Counter<"direction" | "type">
    /** Count one message (cheaper than `messages.inc`: added to it when metrics are read). */
    count(direction: "in" | "out", type: string): void
  }
  /** Prometheus text exposition. */
  text(): Promise<string>
}

interface RequestLabels {
  model: string
  task: string
  tier: string
}

export const makeMetrics = (
  options: {
    readonly processMetrics?: boolean
    /** Tenants named in the configuration: their own label values; every other tenant is `other`. */
    readonly tenants?: ReadonlyArray<string>
  } = {},
): ConductorMetrics => {
  const configuredTenants = new Set(options.tenants ?? [])
  const registry = new Registry()
  if (options.processMetrics !== false) {
    collectDefaultMetrics({ register: registry })
    for (const name of PROMTOOL_UNFRIENDLY) registry.removeSingleMetric(name)
  }
  const r = { registers: [registry] }
  const requests = new Counter({
    name: "conductor_requests_total",
    help: "Requests that ended, by the model that served (or last tried) them, task, tier and outcome.",
    labelNames: ["model", "task", "tier", "outcome"],
    ...r,
  })
  const duration = new Histogram({
    name: "conductor_request_duration_seconds",
    help: "Time from acceptance to completion of completed requests.",
    labelNames: ["model"],
    buckets: LATENCY_BUCKETS,
    ...r,
  })
  const ttft = new Histogram({
    name: "conductor_time_to_first_token_seconds",
    help: "Time from acceptance to the first token of the answer, for completed requests.",
    labelNames: ["model"],
    buckets: LATENCY_BUCKETS,
    ...r,
  })
  const queueWait = new Histogram({
    name: "conductor_queue_wait_seconds",
    help: "Time completed requests waited for a slot, not counting model loads.",
    labelNames: ["model"],
    buckets: LATENCY_BUCKETS,
    ...r,
  })
  const tokens = new Counter({
    name: "conductor_tokens_total",
    help: "Tokens processed for completed requests, by kind (prompt or completion).",
    labelNames: ["model", "kind"],
    ...r,
  })
  const queueDepth = new Gauge({
    name: "conductor_queue_depth",
    help: "Requests waiting for a slot on the model.",
    labelNames: ["model"],
    ...r,
  })
  const inflight = new Gauge({
    name: "conductor_inflight",
    help: "Requests holding a slot on the model (generating).",
    labelNames: ["model"],
    ...r,
  })
  const vram = new Gauge({
    name: "conductor_vram_bytes",
    help: "GPU memory: used by resident models, the budget Conductor plans with, the capacity.",
    labelNames: ["kind"],
    ...r,
  })
  const footprint = new Gauge({
    name: "conductor_model_footprint_bytes",
    help: "GPU memory the model holds while resident (size_vram once loaded), else 0.",
    labelNames: ["model"],
    ...r,
  })
  const attemptFailures = new Counter({
    name: "conductor_attempt_failures_total",
    help: "Failed attempts of a request on a model, by reason (each may fall back to the next model).",
    labelNames: ["model", "reason"],
    ...r,
  })
  const ready = new Gauge({
    name: "conductor_ready",
    help: "1 when a query would be served (not draining, backend reachable, a routable model's breaker admits work), else 0.",
    ...r,
  })
  const resident = new Gauge({
    name: "conductor_model_resident",
    help: "1 when the model is loaded in GPU memory, else 0.",
    labelNames: ["model"],
    ...r,
  })
  const loads = new Counter({
    name: "conductor_model_loads_total",
    help: "Model loads, by outcome (success or failure).",
    labelNames: ["model", "outcome"],
    ...r,
  })
  const evictions = new Counter({
    name: "conductor_model_evictions_total",
    help: "Models leaving GPU memory, by reason (make_room, idle, reconciled, crash, requested, shutdown).",
    labelNames: ["model", "reason"],
    ...r,
  })
  const loadDuration = new Histogram({
    name: "conductor_model_load_duration_seconds",
    help: "Time to load a model.",
    labelNames: ["model"],
    buckets: LOAD_BUCKETS,
    ...r,
  })
  const breaker = new Gauge({
    name: "conductor_breaker_state",
    help: "The model's circuit breaker: 0 closed, 1 half-open, 2 open.",
    labelNames: ["model"],
    ...r,
  })
  const tenantBreakers = new Gauge({
    name: "conductor_tenant_breakers_open",
    help: "Tenants whose own breaker for the model is open (their requests skip it; others are served).",
    labelNames: ["model"],
    ...r,
  })
  const transitions = new Counter({
    name: "conductor_breaker_transitions_total",
    help: "Circuit breaker transitions, by the state entered.",
    labelNames: ["model", "to"],
    ...r,
  })
  const fallbacks = new Counter({
    name: "conductor_fallbacks_total",
    help: "Requests moved from one model to the next, by reason.",
    labelNames: ["from", "to", "reason"],
    ...r,
  })
  const validation = new Counter({
    name: "conductor_validation_failures_total",
    help: "Answers that failed a validator.",
    labelNames: ["model", "validator"],
    ...r,
  })
  const decisions = new Counter({
    name: "conductor_routing_decisions_total",
    help: "Routing decisions, by task type, tier and reason.",
    labelNames: ["task", "tier", "reason"],
    ...r,
  })
  const learnedDecisions = new Counter({
    name: "conductor_learning_decisions_total",
    help: "Decisions the learner saw, by mode (shadow, on) and what it chose: rules (the rules' model), learned (another, from the means), explored (a posterior draw), aside (it stood aside).",
    labelNames: ["mode", "choice"],
    ...r,
  })
  const preference = new Gauge({
    name: "conductor_learning_preference",
    help: "The learner's preference for a model on a task type and complexity band: posterior mean quality minus expected cost and latency.",
    labelNames: ["task", "band", "model"],
    ...r,
  })
  const evidence = new Gauge({
    name: "conductor_learning_evidence",
    help: "Outcomes behind the learner's preference (decayed by age).",
    labelNames: ["task", "band", "model"],
    ...r,
  })
  const feedback = new Counter({
    name: "conductor_learning_feedback_total",
    help: "Feedback scores applied to answered requests, by task type.",
    labelNames: ["task"],
    ...r,
  })
  const feedbackScore = new Counter({
    name: "conductor_learning_feedback_score_total",
    help: "Sum of the feedback scores applied (0-1 each), by task type: ÷ conductor_learning_feedback_total is the mean score.",
    labelNames: ["task"],
    ...r,
  })
  const outcomesStored = new Counter({
    name: "conductor_learning_outcomes_total",
    help: "Attempt outcomes the recorder flushed, by result (stored, or lost when the store could not be written).",
    labelNames: ["result"],
    ...r,
  })
  const wsConnections = new Gauge({
    name: "conductor_ws_connections",
    help: "Open WebSocket connections.",
    ...r,
  })
  // Messages counted since metrics were last read, by direction and type; moved into the counter
  // when it is collected (its `inc` hashes the labels, too dear for every message sent).
  const uncollected = { in: new Map<string, number>(), out: new Map<string, number>() }
  const wsMessages = new Counter({
    name: "conductor_ws_messages_total",
    help: "WebSocket messages, by direction (in or out) and message type.",
    labelNames: ["direction", "type"],
    collect() {
      for (const direction of ["in", "out"] as const) {
        for (const [type, n] of uncollected[direction]) this.inc({ direction, type }, n)
        uncollected[direction].clear()
      }
    },
    ...r,
  })
  const countMessage = (direction: "in" | "out", type: string): void => {
    const counts = uncollected[direction]
    counts.set(type, (counts.get(type) ?? 0) + 1)
  }
  vram.set({ kind: "used" }, 0)

  // Routing facts of requests in flight, to label their terminal counts; removed at the end.
  const routed = new Map<string, RequestLabels>()
  const lastModel = new Map<string, string>()
  /** Each request in flight's tenant label. */
  const tenantOf = new Map<string, string>()
  const tenantRequests = new Counter({
    name: "conductor_tenant_requests_total",
    help: "Requests that ended, by tenant (configured tenants by name, every other as other) and outcome.",
    labelNames: ["tenant", "outcome"],
    ...r,
  })
  const tenantQueueWait = new Histogram({
    name: "conductor_tenant_queue_wait_seconds",
    help: "Time completed requests waited for a slot (loads excluded), by tenant.",
    labelNames: ["tenant"],
    buckets: LATENCY_BUCKETS,
    ...r,
  })
  const endTenant = (id: string, outcome: string, queueMs?: number) => {
    const tenant = tenantOf.get(id)
    if (tenant === undefined) return
    tenantOf.delete(id)
    tenantRequests.inc({ tenant, outcome })
    if (queueMs !== undefined) tenantQueueWait.observe({ tenant }, queueMs / 1000)
  }

  const hosts = hostMetrics(registry)
  const observe = (e: ConductorEvent): void => {
    if (e.host !== undefined) {
      // Several hosts: the unlabelled gauges show sums across hosts; counters count as usual.
      const totals = hosts.observe(e)
      if (totals?.vram !== undefined) {
        vram.set({ kind: "used" }, totals.vram.used)
        vram.set({ kind: "budget" }, totals.vram.budget)
        vram.set({ kind: "capacity" }, totals.vram.capacity)
        return
      }
      if (totals?.queue !== undefined) {
        queueDepth.set({ model: totals.queue.model }, totals.queue.depth)
        inflight.set({ model: totals.queue.model }, totals.queue.inflight)
        return
      }
      for (const t of totals?.resident ?? []) resident.set({ model: t.model }, t.value)
      if (e.type === "model_loaded") {
        loads.inc({ model: e.model, outcome: "success" })
        loadDuration.observe({ model: e.model }, e.loadMs / 1000)
        footprint.set({ model: e.model }, e.bytes)
        return
      }
      if (e.type === "model_evicted") {
        evictions.inc({ model: e.model, reason: e.reason })
        return
      }
      if (e.type === "reconciled") return
    }
    switch (e.type) {
      case "accepted":
        tenantOf.set(e.id, tenantLabel(e.tenant ?? DEFAULT_TENANT, configuredTenants))
        return
      case "routed": {
        decisions.inc({ task: e.decision.taskType, tier: e.decision.tier, reason: e.decision.reason })
        const l = e.decision.breakdown.learned
        if (l !== undefined) {
          const choice =
            l.note !== undefined
              ? "aside"
              : l.explored
                ? "explored"
                : l.chosen === l.rules
                  ? "rules"
                  : "learned"
          learnedDecisions.inc({ mode: l.mode, choice })
        }
        routed.set(e.id, { model: e.decision.model, task: e.decision.taskType, tier: e.decision.tier })
        return
      }
      case "started":
        lastModel.set(e.id, e.model)
        return
      case "completed":
        countFailedAttempts(e.attempts)
        requests.inc({ model: e.model, task: e.taskType, tier: e.tier, outcome: "completed" })
        duration.observe({ model: e.model }, e.timings.totalMs / 1000)
        if (e.timings.firstTokenMs !== undefined)
          ttft.observe({ model: e.model }, e.timings.firstTokenMs / 1000)
        queueWait.observe({ model: e.model }, e.timings.queueMs / 1000)
        tokens.inc({ model: e.model, kind: "prompt" }, e.usage.promptTokens)
        tokens.inc({ model: e.model, kind: "completion" }, e.usage.evalTokens)
        endTenant(e.id, "completed", e.timings.queueMs)
        forget(e.id)
        return
      case "failed":
      case "cancelled": {
        countFailedAttempts(e.attempts)
        const labels = routed.get(e.id)
        const model = e.attempts.at(-1)?.model ?? lastModel.get(e.id) ?? labels?.model ?? "none"
        requests.inc({
          model,
          task: labels?.task ?? "unrouted",
          tier: labels?.tier ?? "none",
          outcome: e.type,
        })
        endTenant(e.id, e.type)
        forget(e.id)
        return
      }
      case "fallback":
        fallbacks.inc({ from: e.from, to: e.to, reason: e.reason })
        return
      case "validated":
        for (const f of e.failures) validation.inc({ model: e.model, validator: f.validator })
        return
      case "queue":
        queueDepth.set({ model: e.model }, e.depth)
        inflight.set({ model: e.model }, e.inflight)
        return
      case "vram":
        vram.set({ kind: "used" }, e.usedBytes)
        vram.set({ kind: "budget" }, e.budgetBytes)
        vram.set({ kind: "capacity" }, e.capacityBytes)
        return
      case "model_loaded":
        loads.inc({ model: e.model, outcome: "success" })
        loadDuration.observe({ model: e.model }, e.loadMs / 1000)
        resident.set({ model: e.model }, 1)
        footprint.set({ model: e.model }, e.bytes)
        return
      case "model_load_failed":
        loads.inc({ model: e.model, outcome: "failure" })
        return
      case "model_evicted":
        evictions.inc({ model: e.model, reason: e.reason })
        resident.set({ model: e.model }, 0)
        footprint.set({ model: e.model }, 0)
        return
      case "reconciled":
        for (const m of e.adopted) resident.set({ model: m }, 1)
        return
      case "learning":
        outcomesStored.inc({ result: e.error === undefined ? "stored" : "lost" }, e.written)
        for (const f of e.feedback ?? []) {
          feedback.inc({ task: f.task }, f.count)
          feedbackScore.inc({ task: f.task }, f.score)
        }
        for (const p of e.preferences) {
          preference.set({ task: p.task, band: p.band, model: p.model }, p.preference)
          evidence.set({ task: p.task, band: p.band, model: p.model }, p.evidence)
        }
        return
      case "breaker":
        breaker.set({ model: e.model }, BREAKER_VALUE[e.state])
        transitions.inc({ model: e.model, to: e.state })
        return
      case "tenant_breaker":
        if (e.state === "open") tenantBreakers.inc({ model: e.model })
        else if (e.previous === "open") tenantBreakers.dec({ model: e.model })
        return
      default:
        return
    }
  }
  const startModels: ConductorMetrics["startModels"] = (models) => {
    for (const { name: model, breaker: state = "closed" } of models) {
      breaker.set({ model }, BREAKER_VALUE[state])
      for (const to of BREAKER_STATES) transitions.inc({ model, to }, 0)
      tenantBreakers.set({ model }, 0)
      resident.set({ model }, 0)
      footprint.set({ model }, 0)
      queueDepth.set({ model }, 0)
      inflight.set({ model }, 0)
      for (const outcome of ["success", "failure"]) loads.inc({ model, outcome }, 0)
      for (const reason of EVICTION_REASONS) evictions.inc({ model, reason }, 0)
      for (const kind of ["prompt", "completion"]) tokens.inc({ model, kind }, 0)
      for (const h of [duration, ttft, queueWait, loadDuration]) h.zero({ model })
    }
  }
  const countFailedAttempts = (attempts: ReadonlyArray<Attempt>) => {
    for (const a of attempts) {
      if (a.outcome === "failed" && a.reason !== undefined)
        attemptFailures.inc({ model: a.model, reason: a.reason })
    }
  }
  const forget = (id: string) => {
    routed.delete(id)
    lastModel.delete(id)
  }

  return {
    registry,
    observe,
    startModels,
    ws: { connections: wsConnections, messages: wsMessages, count: countMessage },
    ready,
    text: () => registry.metrics(),
  }
}
