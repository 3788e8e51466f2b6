/**
 * Logs: one JSON object per line on stderr — `{"ts", "level", "msg", …fields}` — at or above the
 * configured level. `logEvents` turns Conductor's events into log lines (request outcomes,
 * fallbacks, model loads and evictions, breakers (a model's and a tenant's), the backend going up
 * or down); tokens are never logged, and answer text only with `logging.prompts: true`.
 */
import type { LoggingConfig } from "../config/schema.js"
import type { ConductorEvent } from "../domain/events.js"

export type Level = LoggingConfig["level"]
const RANK: Readonly<Record<Level, number>> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  readonly level: Level
  log(level: Level, msg: string, fields?: Readonly<Record<string, unknown>>): void
}

/**
 * Lines for stderr, written together at the end of the event loop's turn: a write to a pipe is
 * synchronous, and under load one system call per line was a measurable cost. Invariant: `pending`
 * holds the lines not yet written, in order, and a flush is scheduled (or the process is exiting)
 * whenever it is non-empty.
 */
let pending = ""
const flushStderr = (): void => {
  if (pending === "") return
  const text = pending
  pending = ""
  process.stderr.write(text)
}
let exitHooked = false
const writeStderr = (line: string): void => {
  if (!exitHooked) {
    exitHooked = true
    process.once("exit", flushStderr)
  }
  if (pending === "") setImmediate(flushStderr)
  pending += line
}

export const makeLogger = (
  level: Level,
  write: (line: string) => void = writeStderr,
  now: () => number = Date.now,
): Logger => ({
  level,
  log(at, msg, fields = {}) {
    if (RANK[at] < RANK[level]) return
    write(`${JSON.stringify({ ts: new Date(now()).toISOString(), level: at, msg, ...fields })}\n`)
  },
})

/** The log line (level, message, fields) for an event, or undefined for events not logged. */
export const eventLogLine = (
  e: ConductorEvent,
  prompts: boolean,
): readonly [Level, string, Record<string, unknown>] | undefined => {
  switch (e.type) {
    case "accepted":
      return ["debug", "request accepted", { id: e.id }]
    case "routed":
      return [
        "debug",
        "request routed",
        {
          id: e.id,
          model: e.decision.model,
          tier: e.decision.tier,
          task: e.decision.taskType,
          reason: e.decision.reason,
        },
      ]
    case "completed":
      return [
        "info",
        "request completed",
        {
          id: e.id,
          model: e.model,
          tier: e.tier,
          task: e.taskType,
          totalMs: e.timings.totalMs,
          firstTokenMs: e.timings.firstTokenMs,
          queueMs: e.timings.queueMs,
          loadMs: e.timings.loadMs,
          attempts: e.attempts.length,
          evalTokens: e.usage.evalTokens,
          ...(prompts ? { text: e.text } : {}),
        },
      ]
    case "failed":
      return [
        "warn",
        "request failed",
        { id: e.id, reason: e.reason, message: e.message, attempts: e.attempts },
      ]
    case "cancelled":
      return ["info", "request cancelled", { id: e.id, attempts: e.attempts.length }]
    case "fallback":
      return ["warn", "falling back", { id: e.id, from: e.from, to: e.to, reason: e.reason }]
    case "model_loaded":
      return ["info", "model loaded", { model: e.model, bytes: e.bytes, loadMs: e.loadMs }]
    case "model_load_failed":
      return ["warn", "model load failed", { model: e.model, reason: e.reason, message: e.message }]
    case "model_draining":
      return ["info", "model draining", { model: e.model, reason: e.reason }]
    case "model_evicted":
      return ["info", "model unloaded", { model: e.model, reason: e.reason, bytes: e.bytes }]
    case "reconciled":
      return [
        "info",
        "residency reconciled",
        { adopted: e.adopted, vanished: e.vanished, corrected: e.corrected },
      ]
    case "breaker":
      return [
        e.state === "closed" ? "info" : "warn",
        "breaker",
        { model: e.model, state: e.state, previous: e.previous },
      ]
    case "tenant_breaker":
      return [
        e.state === "closed" ? "info" : "warn",
        "tenant breaker",
        { model: e.model, tenant: e.tenant, state: e.state, previous: e.previous },
      ]
    case "backend":
      return [e.state === "up" ? "info" : "error", `backend ${e.state}`, { message: e.message }]
    case "host":
      return [
        e.state === "up" ? "info" : "error",
        `GPU host ${e.state}`,
        { host: e.host, url: e.url, message: e.message },
      ]
    case "learning":
      return e.error !== undefined
        ? ["error", "outcomes not stored", { error: e.error, lost: e.written }]
        : undefined
    default:
      return undefined
  }
}

/** Log Conductor's events; returns the stop. */
export const logEvents = (
  subscribe: (listener: (e: ConductorEvent) => void) => () => void,
  logger: Logger,
  prompts: boolean,
): (() => void) =>
  subscribe((e) => {
    const line = eventLogLine(e, prompts)
    if (line !== undefined) logger.log(line[0], line[1], line[2])
  })
