/**
 * One request as the console shows it, and what each of its events does to it: routing, queue
 * position and wait, loading, streaming (tokens counted, on Conductor's clock, for the rate and
 * the time to first token), fallbacks, validation and the end. Only this tab's own requests keep
 * their text (and a `restart` takes back what it discards). Pure, like the store that holds them.
 */
import type { Attempt, Decision, RequestEvent } from "./wire.js"

export type RequestState =
  | "accepted"
  | "routed"
  | "queued"
  | "loading"
  | "streaming"
  | "validating"
  | "completed"
  | "failed"
  | "cancelled"
  /** The connection dropped before its end arrived. */
  | "lost"

export const FINISHED: ReadonlySet<RequestState> = new Set(["completed", "failed", "cancelled", "lost"])

export interface RequestView {
  readonly id: string
  /** Bumped by every change. */
  version: number
  /** Order of first sight (newest is highest). */
  readonly seq: number
  /** Sent from this tab: its text is kept. */
  readonly mine: boolean
  client: string | undefined
  task: string | undefined
  tier: string | undefined
  model: string | undefined
  reason: string | undefined
  decision: Decision | undefined
  state: RequestState
  position: number | undefined
  estimatedWaitMs: number | undefined
  /** When it entered the queue, on the page's clock. */
  queuedSince: number | undefined
  /** Conductor's clock (`at`) for durations between events. */
  acceptedAt: number | undefined
  startedAt: number | undefined
  firstTokenAt: number | undefined
  lastTokenAt: number | undefined
  /** Token events (merged pieces count once) in all attempts, and in this one. */
  tokens: number
  attemptTokens: number
  attempt: number
  fallbacks: Array<{ from: string; to: string; reason: string }>
  validation: { ok: boolean; failures: ReadonlyArray<{ validator: string; message: string }> } | undefined
  error: { reason: string; message: string } | undefined
  attempts: ReadonlyArray<Attempt> | undefined
  timings: Extract<RequestEvent, { type: "completed" }>["timings"] | undefined
  usage: { promptTokens: number; evalTokens: number } | undefined
  /** The answer so far (this tab's requests only). */
  text: string
  thinking: string
}

export const newRequest = (id: string, seq: number, mine: boolean): RequestView => ({
  id,
  version: 0,
  seq,
  mine,
  client: undefined,
  task: undefined,
  tier: undefined,
  model: undefined,
  reason: undefined,
  decision: undefined,
  state: "accepted",
  position: undefined,
  estimatedWaitMs: undefined,
  queuedSince: undefined,
  acceptedAt: undefined,
  startedAt: undefined,
  firstTokenAt: undefined,
  lastTokenAt: undefined,
  tokens: 0,
  attemptTokens: 0,
  attempt: 0,
  fallbacks: [],
  validation: undefined,
  error: undefined,
  attempts: undefined,
  timings: undefined,
  usage: undefined,
  text: "",
  thinking: "",
})

const setState = (r: RequestView, state: RequestState, now: number): void => {
  if (state === "queued") r.queuedSince ??= now
  else r.queuedSince = undefined
  r.state = state
}

/** Apply one of its events to an unfinished request (a terminal event finishes it). */
export const applyRequestEvent = (r: RequestView, e: RequestEvent, now: number): void => {
  switch (e.type) {
    case "accepted":
      r.client = e.client
      r.acceptedAt = e.at
      return
    case "routed":
      r.decision = e.decision
      r.model = e.decision.model
      r.task = e.decision.taskType
      r.tier = e.decision.tier
      r.reason = e.decision.reason
      setState(r, "routed", now)
      return
    case "queued":
      r.model = e.model
      r.position = e.position
      r.estimatedWaitMs = e.estimatedWaitMs
      setState(r, "queued", now)
      return
    case "loading":
      r.model = e.model
      setState(r, "loading", now)
      return
    case "loaded":
      return
    case "started":
      r.model = e.model
      r.attempt = e.attempt
      r.startedAt = e.at
      r.attemptTokens = 0
      setState(r, "streaming", now)
      return
    case "token":
      r.tokens++
      r.attemptTokens++
      if (r.firstTokenAt === undefined) r.firstTokenAt = e.at
      r.lastTokenAt = e.at
      if (r.mine) r.text += e.text
      return
    case "thinking":
      if (r.mine) r.thinking += e.text
      return
    case "tool_call":
      return
    case "restart":
      if (r.mine) r.text = r.text.slice(0, Math.max(0, r.text.length - e.discard))
      return
    case "fallback":
      r.fallbacks.push({ from: e.from, to: e.to, reason: e.reason })
      r.model = e.to
      return
    case "validated":
      r.validation = { ok: e.ok, failures: e.failures }
      setState(r, "validating", now)
      return
    case "completed":
      r.model = e.model
      r.tier = e.tier
      r.task = e.taskType
      r.timings = e.timings
      r.usage = e.usage
      r.attempts = e.attempts
      if (r.mine) r.text = e.text
      r.state = "completed"
      return
    case "failed":
      r.error = { reason: e.reason, message: e.message }
      r.attempts = e.attempts
      r.state = "failed"
      return
    case "cancelled":
      r.attempts = e.attempts
      r.state = "cancelled"
      return
  }
}
