/**
 * The routing request (what the router is asked) and the routing decision (what it answers, with
 * every stage's reasoning in `breakdown` so `conductor route` can explain it).
 */
import type { Capability, TaskType } from "./task.js"
import type { Tier } from "./tier.js"

export interface RoutingContext {
  /** Documents retrieved for the query (RAG); more documents mean more context to digest. */
  readonly retrievedDocs?: number
  /** Smallest context window the answer needs, in tokens (a hard requirement). */
  readonly minContextWindow?: number
}

export interface RoutingRequest {
  readonly query: string
  readonly persona?: string
  /** Explicit model override: route straight to it. */
  readonly model?: string
  /** Forced tier: skip complexity and persona tiering. */
  readonly tier?: Tier
  /** Models that may be chosen; all registry models when absent. */
  readonly available?: ReadonlyArray<string>
  readonly context?: RoutingContext
  /** Extra capabilities the caller knows it needs (e.g. `vision` when images are attached). */
  readonly requires?: ReadonlyArray<Capability>
}

export const DECISION_REASONS = [
  "explicit_override",
  "persona_task_override",
  "forced_tier",
  "persona_specialised",
  "task_specialisation",
  "persona_tier",
  "task_tier_rule",
  "tier_relaxed",
  "complexity_tier",
  "warm_preferred",
  /** The learner chose another fit candidate than the rules (learning.mode: on). */
  "learned",
  /** Embedding requests that named no model: the configured, resident or smallest embedding model. */
  "default_embedding_model",
] as const
export type DecisionReason = (typeof DECISION_REASONS)[number]

export interface ComplexityBreakdown {
  readonly total: number
  readonly structural: number
  readonly reasoning: number
  readonly context: number
  readonly domain: number
  readonly output: number
  /** Human-readable signals that contributed, e.g. `comparison`, `enumeration(3)`. */
  readonly signals: ReadonlyArray<string>
}

export interface TaskBreakdown {
  readonly type: TaskType
  readonly confidence: number
  /** Task scores that were non-zero, highest first. */
  readonly scores: ReadonlyArray<{ readonly task: TaskType; readonly score: number }>
  readonly signals: ReadonlyArray<string>
  /** Hard capability needs detected in the query. */
  readonly needs: ReadonlyArray<Capability>
  readonly minContextWindow?: number
}

export interface TierBreakdown {
  /** The tier the complexity score alone maps to. */
  readonly base: Tier
  /** The tier asked of matching after task rules, persona and overrides. */
  readonly target: Tier
  /** The tier of the chosen model (differs from target only when relaxed). */
  readonly served: Tier
  /** Ordered notes on what moved the tier, e.g. `code_generation min tier balanced`. */
  readonly steps: ReadonlyArray<string>
}

export interface CandidateNote {
  readonly model: string
  readonly tier: Tier
  /** Score when eligible in the chosen tier; absent when excluded. */
  readonly score?: number
  /** Why excluded, or what scored. */
  readonly note: string
  readonly eligible: boolean
}

/** The routing classifier's verdict next to the rules', and which of them decided (decision 16). */
export interface ModelBreakdown {
  /** The weights file. */
  readonly source: string
  /** The model's task and its calibrated probabilities (every task type). */
  readonly task: { readonly type: TaskType; readonly probabilities: Readonly<Record<TaskType, number>> }
  /** The model's tier (the median), its calibrated probabilities, and its 0–10 complexity. */
  readonly tier: {
    readonly type: Tier
    readonly probabilities: Readonly<Record<Tier, number>>
    readonly complexity: number
  }
  /** What the rules alone would have said. */
  readonly rules: { readonly task: TaskType; readonly complexity: number }
  /** Who decided: the model, or a hard rule over it; the complexity is the model's, plus the request context's share. */
  readonly used: {
    readonly task: "model" | "rules: decisive signals" | "rule: retrieved documents" | "rule: code block"
    readonly complexity: "model" | "model + request context"
  }
}

/** What the learner made of the decision (docs/learning.md); absent when learning.mode is off. */
export interface LearnedBreakdown {
  readonly mode: "shadow" | "on"
  /** A posterior draw decided (the `learning.exploration` share), not the best mean. */
  readonly explored: boolean
  /** Each candidate's expected value: posterior mean quality minus expected cost and wait. */
  readonly means: Readonly<Record<string, number>>
  /** Each candidate's evidence: outcomes, decayed by age. */
  readonly evidence: Readonly<Record<string, number>>
  /** The learner's choice: served in mode `on`, only recorded in mode `shadow`. */
  readonly chosen: string
  /** The rules' choice, the learner's prior. */
  readonly rules: string
  /** The class of queries learned about: the task type's complexity band. */
  readonly band: "low" | "mid" | "high"
  /** A cost limit in GPU-seconds (the request's maxCost, the tenant's budget left) and whether it bound. */
  readonly cost?: { readonly limit: number; readonly expected: number; readonly bound: boolean }
  /** Why the learner stood aside (an explicit choice, no alternative). */
  readonly note?: string
}

export interface RoutingBreakdown {
  readonly override?: { readonly model?: string; readonly tier?: Tier }
  readonly persona?: { readonly name: string; readonly applied: ReadonlyArray<string> }
  readonly task: TaskBreakdown
  readonly complexity: ComplexityBreakdown
  readonly tier: TierBreakdown
  readonly candidates: ReadonlyArray<CandidateNote>
  /** Present when the routing classifier ran: its verdict and what it decided. */
  readonly model?: ModelBreakdown
  readonly learned?: LearnedBreakdown
}

export interface RoutingDecision {
  readonly model: string
  readonly tier: Tier
  readonly taskType: TaskType
  readonly complexity: number
  readonly confidence: number
  readonly reason: DecisionReason
  readonly fallbacks: ReadonlyArray<string>
  readonly breakdown: RoutingBreakdown
  readonly warnings: ReadonlyArray<string>
  /**
   * What a reader of the answer should check (the design notes' transparency rules):
   * `verify_calculations`, `review_code`, `high_stakes:medical|legal|tax`.
   */
  readonly labels: ReadonlyArray<string>
}
