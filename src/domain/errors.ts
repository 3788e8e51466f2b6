/**
 * The one error type of Conductor. Every failure carries a `reason` from a closed set; the reason
 * decides whether retrying (or falling back to another model) can help, and servers map reasons
 * to protocol codes. Extra facts (the model, a retry-after hint, what was required) ride along.
 */
import { Data } from "effect"

export const ERROR_REASONS = [
  "Timeout",
  "Unavailable",
  "ModelNotFound",
  "OutOfMemory",
  "Crashed",
  "CircuitOpen",
  "QueueFull",
  "Cancelled",
  "ValidationFailed",
  "BadRequest",
  "NoModelAvailable",
] as const
export type ErrorReason = (typeof ERROR_REASONS)[number]

/** Reasons where the same request can succeed later or on another model. */
const RETRYABLE: ReadonlySet<ErrorReason> = new Set<ErrorReason>([
  "Timeout",
  "Unavailable",
  "OutOfMemory",
  "Crashed",
  "CircuitOpen",
  "QueueFull",
  "ValidationFailed",
])

export interface ConductorErrorFields {
  readonly reason: ErrorReason
  readonly message: string
  readonly model?: string
  /** For QueueFull and Unavailable: when trying again makes sense. */
  readonly retryAfterMs?: number
  /** Structured detail, e.g. what NoModelAvailable required. */
  readonly details?: Readonly<Record<string, unknown>>
  readonly cause?: unknown
}

export class ConductorError extends Data.TaggedError("ConductorError")<ConductorErrorFields> {
  /** True when retrying later, or falling back to another model, may succeed. */
  get isRetryable(): boolean {
    return RETRYABLE.has(this.reason)
  }

  override toJSON(): Record<string, unknown> {
    return {
      reason: this.reason,
      message: this.message,
      retryable: this.isRetryable,
      ...(this.model !== undefined ? { model: this.model } : {}),
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
      ...(this.details !== undefined ? { details: this.details } : {}),
    }
  }
}

export const conductorError = (
  reason: ErrorReason,
  message: string,
  extra: Omit<ConductorErrorFields, "reason" | "message"> = {},
): ConductorError => new ConductorError({ reason, message, ...extra })

export const isConductorError = (u: unknown): u is ConductorError =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "ConductorError"
