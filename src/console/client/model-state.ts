/**
 * One model as the console shows it, and what each `models`-topic event does to it: its
 * residency state (with when a load began, and why it drains or unloads), slots, memory, pin,
 * queue, breaker and health. Each change that is worth a line in the recent-events log says so
 * through `note`. Pure, like the store that holds these.
 */
import { gb } from "./format.js"
import type { BreakerState, ResidencyState, SystemEvent } from "./wire.js"

export type ModelEvent = Extract<SystemEvent, { type: `model_${string}` }>

export type LogLevel = "info" | "warn" | "error"

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`

export interface ModelView {
  readonly name: string
  available: boolean
  state: ResidencyState
  bytes: number
  slots: number
  /** Slots in use (leases). */
  busy: number
  pinned: boolean
  external: boolean
  /** Expected load time, ms (measured by the server, else estimated). */
  expectedLoadMs: number
  /** When the load began, on the page's clock. */
  loadingSince: number | undefined
  lastLoadMs: number | undefined
  loadFailures: number
  lastError: string | undefined
  /** Why it drains or unloads. */
  why: string | undefined
  queueDepth: number
  /** The oldest wait the snapshot reported, as a start time on the page's clock. */
  oldestQueuedSince: number | undefined
  breaker: BreakerState
  health: { successRate: number; latencyMs: number | undefined; consecutiveFailures: number } | undefined
}

/** A model known by name only (an event named it before any snapshot did). */
export const newModel = (name: string): ModelView => ({
  name,
  available: true,
  state: "unloaded",
  bytes: 0,
  slots: 1,
  busy: 0,
  pinned: false,
  external: false,
  expectedLoadMs: 0,
  loadingSince: undefined,
  lastLoadMs: undefined,
  loadFailures: 0,
  lastError: undefined,
  why: undefined,
  queueDepth: 0,
  oldestQueuedSince: undefined,
  breaker: "closed",
  health: undefined,
})

/** Apply a model event to its model; `note` logs the lines worth a log entry. */
export const applyModelEvent = (
  v: ModelView,
  e: ModelEvent,
  now: number,
  note: (level: LogLevel, text: string) => void,
): void => {
  switch (e.type) {
    case "model_loading":
      v.state = "loading"
      v.bytes = e.bytes
      v.loadingSince = now
      v.why = undefined
      note("info", `${e.model}: loading (${gb(e.bytes)})`)
      break
    case "model_loaded":
      v.state = "resident"
      v.bytes = e.bytes
      v.loadingSince = undefined
      v.lastLoadMs = e.loadMs
      v.expectedLoadMs = e.loadMs
      v.lastError = undefined
      note("info", `${e.model}: loaded in ${secs(e.loadMs)} (${gb(e.bytes)})`)
      break
    case "model_load_failed":
      v.state = "unloaded"
      v.loadingSince = undefined
      v.loadFailures++
      v.lastError = `${e.reason}: ${e.message}`
      note("error", `${e.model}: load failed — ${e.reason}: ${e.message}`)
      break
    case "model_draining":
      v.state = "draining"
      v.why = e.reason
      note("info", `${e.model}: draining (${e.reason}); unloads when its requests end`)
      break
    case "model_resumed":
      v.state = "resident"
      v.why = undefined
      note("info", `${e.model}: takes work again`)
      break
    case "model_pinned":
      v.pinned = e.pinned
      note("info", `${e.model}: ${e.pinned ? "pinned" : "unpinned"}`)
      break
    case "model_evicted":
      v.state = "unloading"
      v.why = e.reason
      note(e.reason === "crash" ? "warn" : "info", `${e.model}: evicted (${e.reason}), ${gb(e.bytes)} freed`)
      break
    case "model_unloaded":
      v.state = "unloaded"
      v.busy = 0
      v.why = undefined
      break
  }
}
