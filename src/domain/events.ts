/**
 * Every event Conductor publishes. Request events carry the request `id`; system events carry
 * none. The WebSocket stream, Prometheus metrics and logs are all views of these. `topic` groups
 * them for subscriptions (models, vram, breakers, health, queues, requests). `at` is milliseconds
 * on Conductor's clock (simulated when the clock is scaled); the server adds `ts`, the wall-clock
 * time a message left it.
 */
import type { DecisionReason, RoutingDecision } from "./decision.js"
import type { ErrorReason } from "./errors.js"
import type { TaskType } from "./task.js"
import type { Priority } from "./tenant.js"
import type { Tier } from "./tier.js"

export const TOPICS = ["models", "vram", "breakers", "health", "queues", "requests", "learning"] as const
export type Topic = (typeof TOPICS)[number]

export type BreakerState = "closed" | "half_open" | "open"

export type EvictionReason = "make_room" | "idle" | "reconciled" | "crash" | "requested" | "shutdown"

export type SystemEvent =
  | { readonly type: "model_loading"; readonly model: string; readonly bytes: number }
  | { readonly type: "model_loaded"; readonly model: string; readonly bytes: number; readonly loadMs: number }
  | {
      readonly type: "model_load_failed"
      readonly model: string
      readonly reason: ErrorReason
      readonly message: string
      readonly loadMs: number
    }
  | {
      readonly type: "model_evicted"
      readonly model: string
      readonly reason: EvictionReason
      readonly bytes: number
    }
  /** A busy model stops taking new work; it is unloaded (`model_evicted`) when its last request ends. */
  | { readonly type: "model_draining"; readonly model: string; readonly reason: EvictionReason }
  /** A draining model takes work again (the load it was making room for was abandoned). */
  | { readonly type: "model_resumed"; readonly model: string }
  /** An operator pinned (never evicted) or unpinned a model. */
  | { readonly type: "model_pinned"; readonly model: string; readonly pinned: boolean }
  | { readonly type: "model_unloaded"; readonly model: string; readonly bytes: number }
  | {
      readonly type: "vram"
      readonly usedBytes: number
      readonly budgetBytes: number
      readonly capacityBytes: number
    }
  | {
      readonly type: "breaker"
      readonly model: string
      readonly state: BreakerState
      readonly previous: BreakerState
    }
  /** One tenant's own breaker for a model (health.minTenants): others are unaffected. */
  | {
      readonly type: "tenant_breaker"
      readonly model: string
      readonly tenant: string
      readonly state: BreakerState
      readonly previous: BreakerState
    }
  | {
      readonly type: "health"
      readonly model: string
      readonly successRate: number
      readonly latencyMs: number
      readonly consecutiveFailures: number
    }
  | { readonly type: "queue"; readonly model: string; readonly depth: number; readonly inflight: number }
  | {
      readonly type: "reconciled"
      readonly adopted: ReadonlyArray<string>
      readonly vanished: ReadonlyArray<string>
      readonly corrected: ReadonlyArray<string>
    }
  | { readonly type: "backend"; readonly state: "up" | "down"; readonly message: string }
  /** A GPU host's breaker (several hosts): down when it stopped answering, up when it is back. */
  | {
      readonly type: "host"
      readonly host: string
      readonly url: string
      readonly state: "up" | "down"
      readonly message: string
    }
  | {
      /** The outcome recorder flushed (at most once a second): what it wrote and what was learned. */
      readonly type: "learning"
      readonly written: number
      /** Arms whose evidence changed, and their preference now (docs/learning.md). */
      readonly preferences: ReadonlyArray<LearningPreference>
      /** The store could not be written: these outcomes were learned from but are not stored. */
      readonly error?: string
      /** Feedback scores this flush applied, per task type (absent when none). */
      readonly feedback?: ReadonlyArray<LearningFeedback>
    }

export interface LearningFeedback {
  readonly task: TaskType
  /** Scores given. */
  readonly count: number
  /** Their sum (the mean is score ÷ count). */
  readonly score: number
}

export interface LearningPreference {
  readonly task: TaskType
  readonly band: "low" | "mid" | "high"
  readonly model: string
  /** Posterior mean quality (0–1). */
  readonly quality: number
  /** Quality minus the expected cost and latency of an answer. */
  readonly preference: number
  /** Outcomes behind it, decayed by age. */
  readonly evidence: number
}

export interface Usage {
  readonly promptTokens: number
  readonly evalTokens: number
}

/** Milliseconds, to the microsecond. */
export interface Timings {
  /** Waiting for a slot (loads excluded). */
  readonly queueMs: number
  /** Waiting for the model to load. */
  readonly loadMs: number
  /** From acceptance to the first token of the answer. */
  readonly firstTokenMs: number | undefined
  /** From acceptance to the end. */
  readonly totalMs: number
  /** The serving attempt's duration as the backend reports it (Ollama's total_duration). */
  readonly backendMs: number
  /** The serving attempt's prompt processing, as the backend reports it (Ollama's prompt_eval_duration). */
  readonly promptEvalMs: number
  /** The serving attempt's generation, as the backend reports it (Ollama's eval_duration). */
  readonly evalMs: number
}

/** A call the model asked for (the port's shape): name and parsed arguments, with an id unique in the answer. */
export interface ToolCall {
  readonly id: string
  readonly name: string
  readonly arguments: Readonly<Record<string, unknown>>
}

/** Why the answer ended: it was complete, the length limit cut it, or it called tools. */
export type FinishReason = "stop" | "length" | "tool_calls"

/** What a request did: answer (a task the router classified) or embed text (no routing). */
export type RequestTask = TaskType | "embedding"

/** One model tried for a request: served it, failed, was cancelled, or was skipped (breaker open). */
export interface Attempt {
  readonly model: string
  readonly outcome: "completed" | "failed" | "cancelled" | "skipped"
  readonly reason?: ErrorReason
  readonly message?: string
}

export type RequestEvent =
  | {
      readonly type: "accepted"
      readonly id: string
      /** Who sent it, as the request says (free text; never a metric label). */
      readonly client?: string
      /** Whom it runs for, for health accounting (`ws:<n>`, `library`, …; never a metric label). */
      readonly tenant?: string
    }
  | { readonly type: "routed"; readonly id: string; readonly decision: RoutingDecision }
  | {
      readonly type: "queued"
      readonly id: string
      readonly model: string
      readonly position: number
      readonly estimatedWaitMs: number
      /** Its class and whom it runs for: the order it waits in depends on both. */
      readonly priority?: Priority
      readonly tenant?: string
    }
  | { readonly type: "loading"; readonly id: string; readonly model: string }
  | { readonly type: "loaded"; readonly id: string; readonly model: string; readonly loadMs: number }
  | { readonly type: "started"; readonly id: string; readonly model: string; readonly attempt: number }
  | { readonly type: "token"; readonly id: string; readonly text: string }
  /** A thinking model's reasoning, streamed before (or between) its answer tokens. */
  | { readonly type: "thinking"; readonly id: string; readonly text: string }
  /** The model called tools (the answer so far; validated with the rest before `completed`). */
  | {
      readonly type: "tool_call"
      readonly id: string
      readonly model: string
      readonly calls: ReadonlyArray<ToolCall>
    }
  | {
      readonly type: "fallback"
      readonly id: string
      readonly from: string
      readonly to: string
      readonly reason: ErrorReason
    }
  | { readonly type: "restart"; readonly id: string; readonly model: string; readonly discard: number }
  | {
      readonly type: "validated"
      readonly id: string
      readonly model: string
      readonly ok: boolean
      /** Each failed validator (nonEmpty, truncated, repetition, refusal, codePresent, format) and why. */
      readonly failures: ReadonlyArray<{ readonly validator: string; readonly message: string }>
    }
  | {
      readonly type: "completed"
      readonly id: string
      readonly model: string
      readonly tier: Tier
      readonly taskType: RequestTask
      readonly text: string
      /** Why the router chose as it did (the decision's reason, for the first model). */
      readonly reason: DecisionReason
      readonly finishReason: FinishReason
      /** The calls the answer made (`finishReason: tool_calls`). */
      readonly toolCalls?: ReadonlyArray<ToolCall>
      /** A thinking model's reasoning, when it gave one. */
      readonly thinking?: string
      readonly usage: Usage
      readonly timings: Timings
      readonly attempts: ReadonlyArray<Attempt>
      /** Routing notes (a tier relaxed, an unknown model ignored). */
      readonly warnings: ReadonlyArray<string>
      /** What the reader should check: `verify_calculations`, `review_code`, `high_stakes:<domain>`. */
      readonly labels: ReadonlyArray<string>
    }
  | {
      readonly type: "failed"
      readonly id: string
      readonly reason: ErrorReason
      readonly message: string
      readonly attempts: ReadonlyArray<Attempt>
    }
  | { readonly type: "cancelled"; readonly id: string; readonly attempts: ReadonlyArray<Attempt> }

/**
 * `host`: with several GPU hosts, the host a model, VRAM or queue event is about (and a
 * request's `loading`/`loaded`); absent with one host.
 */
export type ConductorEvent = (SystemEvent | RequestEvent) & { readonly at?: number; readonly host?: string }

export const TERMINAL_TYPES: ReadonlySet<string> = new Set(["completed", "failed", "cancelled"])

export const topicOf = (e: SystemEvent | RequestEvent): Topic => {
  switch (e.type) {
    case "model_loading":
    case "model_loaded":
    case "model_load_failed":
    case "model_evicted":
    case "model_unloaded":
    case "model_draining":
    case "model_resumed":
    case "model_pinned":
    case "reconciled":
    case "backend":
    case "host":
      return "models"
    case "vram":
      return "vram"
    case "breaker":
    case "tenant_breaker":
      return "breakers"
    case "health":
      return "health"
    case "queue":
      return "queues"
    case "learning":
      return "learning"
    default:
      return "requests"
  }
}
