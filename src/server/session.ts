/**
 * One WebSocket connection's session: it decodes the client's messages, enforces the
 * connection's limits (message rate as a token bucket, requests in flight), submits queries to
 * Conductor and forwards their events, manages topic subscriptions, and protects the server
 * from a slow reader: above the high-water mark its token events are merged per request, and a
 * reader that stays behind (or falls far behind) is closed with 1013 and its requests cancelled.
 * A client's request ids are its own: the session submits each query under a server id Conductor
 * makes up and sends the client its events under the client's id, so no connection can see,
 * cancel or block another's ids. A closed connection cancels its requests. The socket is behind
 * `Transport`, so the session is testable without one.
 */
import type { Conductor, RequestHandle } from "../conductor.js"
import { isConductorError } from "../domain/errors.js"
import type { ConductorEvent, Topic } from "../domain/events.js"
import { TERMINAL_TYPES } from "../domain/events.js"
import type { ErrorCode, ErrorMessage } from "./error-message.js"
import { AnsweredIds, answerFeedback } from "./feedback.js"
import type { ServerMessage } from "./protocol.js"
import { CLIENT_ID, decodeClientMessage, summariseProblems } from "./protocol.js"

export interface Transport {
  send(text: string): void
  /** Bytes queued in the socket, not yet sent. */
  readonly bufferedAmount: number
  close(code: number, reason: string): void
}

export interface SessionOptions {
  readonly maxPayloadBytes: number
  readonly maxInFlight: number
  readonly messagesPerSecond: number
  readonly messageBurst: number
  readonly highWaterBytes: number
  readonly slowCloseAfterMs: number
}

export interface SessionDeps {
  readonly conductor: Conductor
  /** Whom this connection's requests run for (replaces a `tenant` the client sends). */
  readonly tenant?: string
  readonly transport: Transport
  readonly options: SessionOptions
  /** Milliseconds, for rate limiting and slow-reader timing. */
  readonly now: () => number
  /** Run `fn` after `ms` (merged tokens are flushed on it); returns the cancel. */
  readonly schedule: (ms: number, fn: () => void) => () => void
  readonly draining: () => boolean
  /** Counts messages by direction and type (bounded label values). */
  readonly count?: (direction: "in" | "out", type: string) => void
  readonly log?: (level: "debug" | "info" | "warn", message: string, fields: Record<string, unknown>) => void
}

/** A reader this far behind is closed at once. */
const HARD_LIMIT_FACTOR = 16
const FLUSH_EVERY_MS = 50
/** WebSocket close code 1013: try again later. */
export const CLOSE_SLOW_CONSUMER = 1013

/** One of this connection's requests: the client's id for it, Conductor's handle (the server id). */
interface Tracked {
  readonly clientId: string
  readonly handle: RequestHandle
}

export class Session {
  // Invariant: a request is in `requests` (by the client's id) and in `byServerId` from
  // submission until its terminal event is sent.
  private readonly requests = new Map<string, Tracked>()
  private readonly byServerId = new Map<string, Tracked>()
  private readonly subscribed = new Set<Topic>()
  private unsubscribe: () => void = () => undefined
  private tokens: number
  private refilledAt: number
  /** Token text merged while the reader is behind, per server id, in arrival order; sent under `id`. */
  private readonly merged = new Map<string, { readonly id: string; text: string }>()
  private slowSince: number | undefined
  private cancelFlush: (() => void) | undefined
  private closed = false
  /** Ended requests, for feedback (src/server/feedback.ts). */
  private readonly answered = new AnsweredIds()

  constructor(private readonly d: SessionDeps) {
    this.tokens = d.options.messageBurst
    this.refilledAt = d.now()
  }

  get inFlight(): number {
    return this.requests.size
  }

  /** The server's id (Conductor's, the logs') for a request of this connection in flight. */
  serverId(clientId: string): string | undefined {
    return this.requests.get(clientId)?.handle.id
  }

  /** A binary frame from the client: refused, the protocol is JSON in text frames. */
  receiveBinary(bytes: number): void {
    if (this.closed || !this.admitMessage()) return
    this.count("in", "binary")
    this.error(
      "binary_frame",
      `binary frame of ${bytes} bytes refused: send each message as a JSON object in a text frame`,
    )
  }

  /** One message from the client (its size in bytes, as received). */
  receive(text: string, bytes: number): void {
    if (this.closed || !this.admitMessage()) return
    if (bytes > this.d.options.maxPayloadBytes) {
      this.count("in", "too_large")
      this.error(
        "payload_too_large",
        `message of ${bytes} bytes exceeds the limit of ${this.d.options.maxPayloadBytes}`,
      )
      return
    }
    const decoded = decodeClientMessage(text)
    if (!decoded.ok) {
      this.count("in", "invalid")
      this.sendMessage(decoded.error)
      return
    }
    const m = decoded.message
    this.count("in", m.type)
    switch (m.type) {
      case "query":
        this.query(m.request, m.id)
        return
      case "cancel": {
        const r = this.requests.get(m.id)
        if (r === undefined)
          this.error("unknown_request", `id: no request '${m.id}' of this connection is in flight`, m.id)
        else r.handle.cancel()
        return
      }
      case "subscribe":
      case "unsubscribe":
        for (const t of m.topics) {
          if (m.type === "subscribe") this.subscribed.add(t)
          else this.subscribed.delete(t)
        }
        this.resubscribe()
        this.sendMessage({ type: "subscribed", topics: [...this.subscribed] })
        return
      case "feedback":
        answerFeedback(this.d.conductor, m, this.serverId(m.id) ?? this.answered.get(m.id), (reply) =>
          this.sendMessage(reply),
        )
        return
    }
  }

  /** The connection closed: its requests are cancelled, its subscriptions dropped. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.unsubscribe()
    this.cancelFlush?.()
    for (const r of [...this.requests.values()]) r.handle.cancel()
  }

  /** Every message counts against the rate, oversized and refused ones too. */
  private admitMessage(): boolean {
    if (this.takeToken()) return true
    this.count("in", "rate_limited")
    this.error("rate_limited", `more than ${this.d.options.messagesPerSecond} messages per second`)
    return false
  }

  private query(request: Record<string, unknown>, id: string | undefined): void {
    if (this.d.draining()) {
      this.error("draining", "the server is shutting down and takes no new queries", id)
      return
    }
    if (this.requests.size >= this.d.options.maxInFlight) {
      this.error(
        "in_flight_limit",
        `this connection already has ${this.requests.size} requests in flight`,
        id,
      )
      return
    }
    if (id !== undefined && this.requests.has(id)) {
      this.error("invalid_request", `id: '${id}' is already in flight on this connection`, id)
      return
    }
    // The client's id stays here; Conductor knows the request by an id of its own making. An id
    // that breaks the rules is left in, so that Conductor names it with every other problem.
    const { id: _clientId, ...rest } = request
    const submitted = id !== undefined && !CLIENT_ID.test(id) ? request : rest
    let handle: RequestHandle
    try {
      handle = this.d.conductor.submit(
        (this.d.tenant !== undefined ? { ...submitted, tenant: this.d.tenant } : submitted) as never,
      )
    } catch (e) {
      if (!isConductorError(e)) throw e
      if (e.reason === "QueueFull") {
        this.sendMessage({
          type: "error",
          code: "queue_full",
          message: e.message,
          ...(id !== undefined ? { id } : {}),
          ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
        })
      } else if (e.reason === "Unavailable") this.error("draining", e.message, id)
      else {
        const problems = e.details?.problems
        this.error(
          "invalid_request",
          Array.isArray(problems) ? summariseProblems(problems.map(String)) : e.message,
          id,
        )
      }
      return
    }
    // Without an id of its own, the client knows the request by the server's.
    const tracked: Tracked = { clientId: id ?? handle.id, handle }
    this.d.log?.("debug", "query accepted", { id: handle.id, clientId: tracked.clientId })
    let stop: () => void = () => undefined
    this.requests.set(tracked.clientId, tracked)
    this.byServerId.set(handle.id, tracked)
    // Replays what already happened (a request can end during submit), then follows it.
    stop = handle.observe((event) => {
      this.send(event, tracked.clientId)
      if (TERMINAL_TYPES.has(event.type)) {
        this.answered.remember(tracked.clientId, handle.id)
        this.requests.delete(tracked.clientId)
        this.byServerId.delete(handle.id)
        stop()
      }
    })
  }

  private resubscribe(): void {
    this.unsubscribe()
    this.unsubscribe =
      this.subscribed.size === 0
        ? () => undefined
        : this.d.conductor.subscribe(
            (event) => {
              // A request of this connection reaches it once, through the request itself.
              if ("id" in event && this.byServerId.has(event.id)) return
              this.send(event)
            },
            [...this.subscribed],
          )
  }

  // ---------------------------------------------------------------- sending, and slow readers

  /** Send an event; one of this connection's requests goes out under the client's id, `as`. */
  private send(event: ConductorEvent, as?: string): void {
    if (this.closed) return
    const out = as === undefined || !("id" in event) || event.id === as ? event : { ...event, id: as }
    const behind = this.d.transport.bufferedAmount > this.d.options.highWaterBytes
    if (!behind && this.merged.size === 0) {
      this.slowSince = undefined
      this.sendMessage(out)
      return
    }
    if (this.tooSlow()) return
    if (event.type === "token") {
      const m = this.merged.get(event.id)
      if (m === undefined)
        this.merged.set(event.id, { id: out.type === "token" ? out.id : event.id, text: event.text })
      else m.text += event.text
      this.scheduleFlush()
      return
    }
    // Anything else of a request goes after its merged tokens.
    if ("id" in event) this.flushOne(event.id)
    this.sendMessage(out)
  }

  private tooSlow(): boolean {
    const buffered = this.d.transport.bufferedAmount
    if (buffered <= this.d.options.highWaterBytes) return false
    const now = this.d.now()
    this.slowSince ??= now
    if (
      buffered > HARD_LIMIT_FACTOR * this.d.options.highWaterBytes ||
      now - this.slowSince > this.d.options.slowCloseAfterMs
    ) {
      this.d.log?.("warn", "closing a slow consumer", {
        bufferedBytes: buffered,
        requests: this.requests.size,
      })
      this.d.transport.close(CLOSE_SLOW_CONSUMER, "too slow: reading fell behind")
      this.close()
      return true
    }
    return false
  }

  private scheduleFlush(): void {
    if (this.cancelFlush !== undefined) return
    this.cancelFlush = this.d.schedule(FLUSH_EVERY_MS, () => {
      this.cancelFlush = undefined
      if (this.closed) return
      if (this.d.transport.bufferedAmount > this.d.options.highWaterBytes) {
        if (!this.tooSlow()) this.scheduleFlush()
        return
      }
      this.slowSince = undefined
      for (const id of [...this.merged.keys()]) this.flushOne(id)
    })
  }

  private flushOne(serverId: string): void {
    const m = this.merged.get(serverId)
    if (m === undefined) return
    this.merged.delete(serverId)
    this.sendMessage({ type: "token", id: m.id, text: m.text })
  }

  private error(code: ErrorCode, message: string, id?: string): void {
    this.sendMessage({
      type: "error",
      code,
      message,
      ...(id !== undefined ? { id } : {}),
    } satisfies ErrorMessage)
  }

  /** Send one message now (greetings, acknowledgements, events in order). */
  sendMessage(message: ServerMessage): void {
    if (this.closed) return
    this.count("out", message.type)
    this.d.transport.send(JSON.stringify(message))
  }

  private count(direction: "in" | "out", type: string): void {
    this.d.count?.(direction, type)
  }

  /** Token bucket: `messageBurst` at most, refilled at `messagesPerSecond`. */
  private takeToken(): boolean {
    const now = this.d.now()
    const o = this.d.options
    this.tokens = Math.min(
      o.messageBurst,
      this.tokens + ((now - this.refilledAt) / 1000) * o.messagesPerSecond,
    )
    this.refilledAt = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
