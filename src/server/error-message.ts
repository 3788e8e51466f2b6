/**
 * The WebSocket protocol's `error` message (docs/protocol.md) and its stable codes: what the
 * server answers a message it cannot take, naming what was wrong. Its own module so that the
 * protocol's parts (protocol.ts, feedback.ts, the session) share it without importing each other.
 */

export const ERROR_CODES = [
  /** The message is not JSON, or not a JSON object. */
  "bad_json",
  /** `type` is missing or not one the server knows. */
  "unknown_type",
  /** A field of the envelope is wrong (`id`, `topics`); the message names it. */
  "invalid_message",
  /** The query itself is wrong (a field, a value); the message names every problem. */
  "invalid_request",
  "payload_too_large",
  /** A binary frame: every message is JSON in a text frame. */
  "binary_frame",
  "rate_limited",
  "unauthorized",
  "forbidden_origin",
  /** The Host header names another server (DNS rebinding); add the name to `server.allowedHosts`. */
  "forbidden_host",
  /** Conductor's queue is full; retry after `retryAfterMs`. */
  "queue_full",
  /** This connection already has `server.maxInFlightPerConnection` requests running. */
  "in_flight_limit",
  /** This client (remote address) already has `server.maxConnectionsPerClient` connections (HTTP 429, before the upgrade). */
  "too_many_connections",
  /** The server is shutting down and takes no new queries. */
  "draining",
  /** `cancel` names no request of this connection in flight. */
  "unknown_request",
  "internal",
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

export interface ErrorMessage {
  readonly type: "error"
  readonly code: ErrorCode
  readonly message: string
  readonly id?: string
  readonly retryAfterMs?: number
}
