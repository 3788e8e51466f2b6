/**
 * Errors in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, and the HTTP
 * status for each Conductor failure: a bad request names the field (400 `invalid_request_error`,
 * Conductor's field names put back into OpenAI's: `toolChoice` → `tool_choice`), an unknown
 * model is 404 `model_not_found`; every other failure has the shared status
 * (`../error-status.ts`) but a cancelled request: an OpenAI client that is still there to read
 * it was given up on by a draining server, which is 503.
 */
import type { Context } from "hono"
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
  const field = /^([A-Za-z_][\w.[\]-]*):\s/.exec(message)?.[1]
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

/** Conductor's request fields as the OpenAI request names them (longest prefix first). */
const FIELDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^toolChoice\.name\b/, "tool_choice.function.name"],
  [/^toolChoice\b/, "tool_choice"],
  [/^format\b/, "response_format.json_schema.schema"],
  [/^options\.numPredict\b/, "max_tokens"],
  [/^options\.topP\b/, "top_p"],
  [/^options\.(temperature|seed|stop)\b/, "$1"],
  [/^client\b/, "user"],
  [/^think\b/, "reasoning_effort"],
  [/^context\.retrievedDocs\b/, "x-conductor-docs"],
  [/^(messages\[\d+\])\.toolCallId\b/, "$1.tool_call_id"],
  [/^(messages\[\d+\])\.toolCalls\b/, "$1.tool_calls"],
]

/** One problem of a Conductor BadRequest with its field named as an OpenAI client knows it. */
export const openaiProblem = (problem: string): string => {
  for (const [from, to] of FIELDS) if (from.test(problem)) return problem.replace(from, to)
  return problem
}

/** Status, body and headers for a ConductorError. */
export const fromConductorError = (
  e: ConductorError,
): { status: number; body: OpenAIErrorBody; headers: Record<string, string> } => {
  const status = e.reason === "Cancelled" ? 503 : statusOf(e.reason)
  const problems = e.details?.problems
  const message =
    e.reason !== "BadRequest"
      ? e.message
      : Array.isArray(problems) && problems.every((p) => typeof p === "string")
        ? problems.map(openaiProblem).join("; ")
        : openaiProblem(e.message)
  return { status, body: openaiError(status, message, CODE[e.reason]), headers: retryHeaders(e) }
}

/** The HTTP response for a ConductorError (headers set on `c` earlier, such as the request id, go with it). */
export const errorResponse = (c: Context, e: ConductorError): Response => {
  const { status, body, headers } = fromConductorError(e)
  for (const [k, v] of Object.entries(headers)) c.header(k, v)
  return c.json(body, status as 400)
}
