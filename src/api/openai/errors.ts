/**
 * Errors in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, and the HTTP
 * status for each Conductor failure: a bad request names the field (400 `invalid_request_error`),
 * an unknown model is 404 `model_not_found`; the status of every other failure is the shared
 * one (`../error-status.ts`).
 */
import type { ConductorError, ErrorReason } from "../../domain/errors.js"
import { retryHeaders, statusOf } from "../error-status.js"

export interface OpenAIErrorBody {
  readonly error: {
    readonly message: string
    readonly type: string
    readonly param: string | null
    readonly code: string | null
  }
}

const TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "invalid_request_error",
  405: "invalid_request_error",
  413: "invalid_request_error",
  429: "rate_limit_error",
  503: "server_error",
}

/** An error body; `param` is the field at fault when the message starts with one (`messages[0].content: …`). */
export const openaiError = (status: number, message: string, code: string | null = null): OpenAIErrorBody => {
  const field = /^([A-Za-z_][\w.[\]]*):\s/.exec(message)?.[1]
  return {
    error: {
      message,
      type: TYPE_BY_STATUS[status] ?? (status >= 500 ? "server_error" : "invalid_request_error"),
      param: field !== undefined && field !== "request" ? field : null,
      code,
    },
  }
}

const CODE: Readonly<Record<ErrorReason, string>> = {
  BadRequest: "invalid_request",
  ModelNotFound: "model_not_found",
  QueueFull: "queue_full",
  NoModelAvailable: "no_model_available",
  CircuitOpen: "circuit_open",
  Unavailable: "backend_unavailable",
  OutOfMemory: "out_of_memory",
  Timeout: "timeout",
  Crashed: "backend_crashed",
  ValidationFailed: "validation_failed",
  Cancelled: "cancelled",
}

/** The error code OpenAI-style clients see for a Conductor failure reason. */
export const codeFor = (reason: ErrorReason): string => CODE[reason]

/** Status, body and headers for a ConductorError. */
export const fromConductorError = (
  e: ConductorError,
): { status: number; body: OpenAIErrorBody; headers: Record<string, string> } => {
  const status = statusOf(e.reason)
  return { status, body: openaiError(status, e.message, CODE[e.reason]), headers: retryHeaders(e) }
}
