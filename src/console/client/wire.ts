/**
 * What the console reads from the server, as docs/protocol.md describes it: the WebSocket's
 * events and messages, and the `/v1/status` snapshot. The console is a client of the documented
 * protocol, so these types are its own (no server code ships to the browser); a type test
 * (test/console/wire.test.ts) checks that every event the server can send fits them. Fields the
 * console does not read are left out; a routing breakdown may grow fields, rendered generically.
 */

export type ResidencyState = "unloaded" | "loading" | "resident" | "draining" | "unloading"
export type BreakerState = "closed" | "half_open" | "open"

export interface Attempt {
  readonly model: string
  readonly outcome: string
  readonly reason?: string
  readonly message?: string
}

export interface CandidateNote {
  readonly model: string
  readonly tier: string
  readonly score?: number
  readonly note: string
  readonly eligible: boolean
}

/** The routing breakdown: known parts get their own view; anything else is shown as it is. */
export interface Breakdown {
  readonly override?: { readonly model?: string; readonly tier?: string }
  readonly persona?: { readonly name: string; readonly applied: ReadonlyArray<string> }
  readonly task?: {
    readonly type: string
    readonly confidence: number
    readonly scores: ReadonlyArray<{ readonly task: string; readonly score: number }>
    readonly signals: ReadonlyArray<string>
    readonly needs: ReadonlyArray<string>
    readonly minContextWindow?: number
  }
  readonly complexity?: {
    readonly total: number
    readonly structural: number
    readonly reasoning: number
    readonly context: number
    readonly domain: number
    readonly output: number
    readonly signals: ReadonlyArray<string>
  }
  readonly tier?: {
    readonly base: string
    readonly target: string
    readonly served: string
    readonly steps: ReadonlyArray<string>
  }
  readonly candidates?: ReadonlyArray<CandidateNote>
}

export interface Decision {
  readonly model: string
  readonly tier: string
  readonly taskType: string
  readonly complexity: number
  readonly confidence: number
  readonly reason: string
  readonly fallbacks: ReadonlyArray<string>
  readonly breakdown: Breakdown
  readonly warnings: ReadonlyArray<string>
  readonly labels?: ReadonlyArray<string>
}

/** `host`: with several GPU hosts, the host the event is about. */
type At = { readonly at?: number; readonly host?: string }

export type SystemEvent = At &
  (
    | { readonly type: "model_loading"; readonly model: string; readonly bytes: number }
    | {
        readonly type: "model_loaded"
        readonly model: string
        readonly bytes: number
        readonly loadMs: number
      }
    | {
        readonly type: "model_load_failed"
        readonly model: string
        readonly reason: string
        readonly message: string
        readonly loadMs: number
      }
    | { readonly type: "model_draining"; readonly model: string; readonly reason: string }
    | { readonly type: "model_resumed"; readonly model: string }
    | { readonly type: "model_pinned"; readonly model: string; readonly pinned: boolean }
    | {
        readonly type: "model_evicted"
        readonly model: string
        readonly reason: string
        readonly bytes: number
      }
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
    | {
        /** One tenant held back from a model (its own requests keep failing there); others unaffected. */
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
    | {
        readonly type: "host"
        readonly host: string
        readonly url: string
        readonly state: "up" | "down"
        readonly message: string
      }
    | {
        /** The outcome recorder flushed (docs/learning.md): rows written, arms that changed. */
        readonly type: "learning"
        readonly written: number
        readonly preferences: ReadonlyArray<{ readonly model: string; readonly preference: number }>
        readonly error?: string
      }
  )

export type RequestEvent = At & { readonly id: string } & (
    | { readonly type: "accepted"; readonly client?: string }
    | { readonly type: "routed"; readonly decision: Decision }
    | {
        readonly type: "queued"
        readonly model: string
        readonly position: number
        readonly estimatedWaitMs: number
      }
    | { readonly type: "loading"; readonly model: string }
    | { readonly type: "loaded"; readonly model: string; readonly loadMs: number }
    | { readonly type: "started"; readonly model: string; readonly attempt: number }
    | { readonly type: "token"; readonly text: string }
    | { readonly type: "thinking"; readonly text: string }
    | { readonly type: "tool_call"; readonly model: string }
    | { readonly type: "fallback"; readonly from: string; readonly to: string; readonly reason: string }
    | { readonly type: "restart"; readonly model: string; readonly discard: number }
    | {
        readonly type: "validated"
        readonly model: string
        readonly ok: boolean
        readonly failures: ReadonlyArray<{ readonly validator: string; readonly message: string }>
      }
    | {
        readonly type: "completed"
        readonly model: string
        readonly tier: string
        readonly taskType: string
        readonly text: string
        readonly reason: string
        readonly usage: { readonly promptTokens: number; readonly evalTokens: number }
        readonly timings: {
          readonly queueMs: number
          readonly loadMs: number
          readonly firstTokenMs: number | undefined
          readonly totalMs: number
        }
        readonly attempts: ReadonlyArray<Attempt>
        readonly warnings: ReadonlyArray<string>
      }
    | {
        readonly type: "failed"
        readonly reason: string
        readonly message: string
        readonly attempts: ReadonlyArray<Attempt>
      }
    | { readonly type: "cancelled"; readonly attempts: ReadonlyArray<Attempt> }
  )

export interface ErrorMessage {
  readonly type: "error"
  readonly code: string
  readonly message: string
  readonly id?: string
  readonly retryAfterMs?: number
}

export type ServerMessage =
  | SystemEvent
  | RequestEvent
  | ErrorMessage
  | {
      readonly type: "hello"
      readonly backend: string
      readonly policy: string
      readonly models: ReadonlyArray<string>
    }
  | { readonly type: "subscribed"; readonly topics: ReadonlyArray<string> }

/** `GET /v1/status`, the parts the console reads. */
export interface StatusSnapshot {
  readonly backend: { readonly kind: string; readonly description: string; readonly reachable: boolean }
  readonly policy: string
  readonly models: ReadonlyArray<{
    readonly name: string
    readonly available: boolean
    readonly state: ResidencyState
    readonly bytes: number
    readonly leases: number
    readonly slots: number
    readonly pinned: boolean
    readonly external: boolean
    readonly loadMs: number
    readonly loadFailures: number
  }>
  readonly vram: { readonly used: number; readonly budget: number; readonly capacity: number }
  /** Each GPU host (one, or several with `backend.hosts`). */
  readonly hosts?: ReadonlyArray<{
    readonly name: string
    readonly up: boolean
    readonly vram: { readonly used: number; readonly budget: number; readonly capacity: number }
    readonly models: ReadonlyArray<{
      readonly name: string
      readonly state: ResidencyState
      readonly bytes: number
    }>
  }>
  readonly queues: ReadonlyArray<{
    readonly model: string
    readonly depth: number
    readonly inflight: number
    readonly oldestWaitMs: number | undefined
  }>
  readonly breakers: ReadonlyArray<{ readonly model: string; readonly state: BreakerState }>
  readonly health: ReadonlyArray<{
    readonly model: string
    readonly successRate: number
    /** Absent before the first success. */
    readonly latencyMs?: number | undefined
    readonly consecutiveFailures: number
    readonly attempts: number
  }>
  /** Persona names (`personas.yaml`), for the query box. */
  readonly personas?: ReadonlyArray<string>
}
