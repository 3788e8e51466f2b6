/**
 * The WebSocket protocol (docs/protocol.md). Client messages are JSON objects with a `type`:
 * `query` (a request: prompt or messages, persona, model, tier, format, options, id),
 * `cancel` (one of this connection's requests), `subscribe` / `unsubscribe` (event topics). The
 * server sends every event of the connection's requests, system events of subscribed topics,
 * `hello` on connect, `subscribed` after a (un)subscription, and `error` with a stable `code`.
 * Decoding here checks the envelope — the JSON object and its `type` first (their own error
 * codes), then the message's fields with Effect Schema, as requests are checked; a query's own
 * fields are checked by Conductor, which names the field at fault.
 */
import { Schema, type SchemaIssue } from "effect"
import { type ConductorEvent, TOPICS, type Topic } from "../domain/events.js"
import { schemaProblems } from "../domain/schema-problems.js"
import type { ErrorCode, ErrorMessage } from "./error-message.js"
import { decodeFeedback, type FeedbackMessage, type FeedbackRecorded } from "./feedback.js"

export interface HelloMessage {
  readonly type: "hello"
  readonly server: "conductor"
  readonly version: string
  readonly backend: string
  readonly policy: string
  readonly models: ReadonlyArray<string>
  readonly topics: ReadonlyArray<Topic>
}

/**
 * What a client's request id may be (the rule of `ConductorRequestSchema.id`): the session checks
 * it, since the id it submits to Conductor is the server's own.
 */
export const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Problems listed in an error message, at most; the rest are counted. */
const MAX_PROBLEMS = 10
/** Longest problem quoted (a field name can be as long as the message). */
const MAX_PROBLEM_CHARS = 200

/**
 * A request's problems as one message: the first ten, each cut at 200 characters, then
 * "…and N more" — a request with 20,000 unknown fields gets an error of a few hundred bytes, not
 * of hundreds of kilobytes.
 */
export const summariseProblems = (problems: ReadonlyArray<string>): string => {
  const shown = problems
    .slice(0, MAX_PROBLEMS)
    .map((p) => (p.length > MAX_PROBLEM_CHARS ? `${p.slice(0, MAX_PROBLEM_CHARS)}…` : p))
  const more = problems.length - shown.length
  return more > 0 ? `${shown.join("; ")}; …and ${more.toLocaleString("en-US")} more` : shown.join("; ")
}

/** Everything the server sends. */
export type ServerMessage =
  | ConductorEvent
  | ErrorMessage
  | HelloMessage
  | { readonly type: "subscribed"; readonly topics: ReadonlyArray<Topic> }
  | FeedbackRecorded

export type ClientMessage =
  | { readonly type: "query"; readonly id?: string; readonly request: Record<string, unknown> }
  | { readonly type: "cancel"; readonly id: string }
  | { readonly type: "subscribe" | "unsubscribe"; readonly topics: ReadonlyArray<Topic> }
  | FeedbackMessage

export const CLIENT_TYPES = ["query", "cancel", "subscribe", "unsubscribe", "feedback"] as const

export type Decoded =
  | { readonly ok: true; readonly message: ClientMessage }
  | { readonly ok: false; readonly error: ErrorMessage }

const fail = (code: ErrorCode, message: string, id?: string): Decoded => ({
  ok: false,
  error: { type: "error", code, message, ...(id !== undefined ? { id } : {}) },
})

const TOPICS_EXPECTED = `expected an array of ${TOPICS.join(", ")}`
const CANCEL_ID = "the request to cancel is required"

const TopicSchema = Schema.Unknown.check(
  Schema.makeFilter(
    (t) =>
      (TOPICS as ReadonlyArray<unknown>).includes(t) ||
      `unknown topic ${JSON.stringify(t)} (one of ${TOPICS.join(", ")})`,
  ),
)
/** A query's envelope: an optional string id; every other field is the request's (checked by Conductor). */
const QueryEnvelope = Schema.Struct({
  id: Schema.optionalKey(Schema.String.annotate({ message: "expected a string" })),
})
const CancelEnvelope = Schema.Struct({
  type: Schema.Literal("cancel"),
  id: Schema.String.annotate({ message: CANCEL_ID })
    .check(Schema.isNonEmpty({ message: CANCEL_ID }))
    .pipe(Schema.annotateKey({ messageMissingKey: CANCEL_ID })),
})
const SubscriptionEnvelope = Schema.Struct({
  type: Schema.Literals(["subscribe", "unsubscribe"]),
  topics: Schema.Array(TopicSchema)
    .annotate({ message: TOPICS_EXPECTED })
    .pipe(Schema.annotateKey({ messageMissingKey: TOPICS_EXPECTED })),
})

/** The envelope's problem, as `path: message`: a wrong field before an unknown one. */
const problemOf = (issue: SchemaIssue.Issue): string => {
  const problems = schemaProblems(issue, "message")
  return problems.find((p) => !p.endsWith(": unknown field")) ?? problems[0] ?? "message: invalid"
}

const decodeQuery = Schema.decodeUnknownResult(QueryEnvelope)
const decodeCancel = Schema.decodeUnknownResult(CancelEnvelope)
const decodeSubscription = Schema.decodeUnknownResult(SubscriptionEnvelope)
/** Every problem (one is reported: see problemOf); unknown fields are errors. */
const STRICT = { errors: "all", onExcessProperty: "error" } as const

/** Decode one client message's envelope. */
export const decodeClientMessage = (text: string): Decoded => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    return fail("bad_json", `not valid JSON: ${(e as Error).message}`)
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail(
      "bad_json",
      `expected a JSON object, got ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`,
    )
  }
  const o = value as Record<string, unknown>
  const id = typeof o.id === "string" ? o.id : undefined
  if (o.type === undefined)
    return fail("unknown_type", `type: missing (one of ${CLIENT_TYPES.join(", ")})`, id)
  if (typeof o.type !== "string" || !(CLIENT_TYPES as ReadonlyArray<string>).includes(o.type)) {
    return fail(
      "unknown_type",
      `type: unknown message type ${JSON.stringify(o.type)} (one of ${CLIENT_TYPES.join(", ")})`,
      id,
    )
  }
  switch (o.type) {
    case "query": {
      const { type: _type, ...request } = o
      const r = decodeQuery(o.id === undefined ? {} : { id: o.id }, STRICT)
      if (r._tag === "Failure") return fail("invalid_message", problemOf(r.failure.issue))
      return { ok: true, message: { type: "query", ...(id !== undefined ? { id } : {}), request } }
    }
    case "cancel": {
      const r = decodeCancel(o, STRICT)
      // The id is echoed once it is a valid one (the problem is elsewhere).
      if (r._tag === "Failure")
        return fail("invalid_message", problemOf(r.failure.issue), id !== "" ? id : undefined)
      return { ok: true, message: { type: "cancel", id: r.success.id } }
    }
    case "feedback":
      return decodeFeedback(o)
    default: {
      const r = decodeSubscription(o, STRICT)
      if (r._tag === "Failure") return fail("invalid_message", problemOf(r.failure.issue))
      return { ok: true, message: { type: r.success.type, topics: r.success.topics as Topic[] } }
    }
  }
}
