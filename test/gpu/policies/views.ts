/** Hand-built scheduler views for the pure policy tests. */
import type { ModelView, SchedulerView } from "../../../src/gpu/policy.js"

export const GB = 1e9

export const model = (name: string, over: Partial<ModelView> = {}): ModelView => ({
  name,
  state: "unloaded",
  bytes: 5 * GB,
  inflight: 0,
  slots: 1,
  queued: 0,
  oldestSince: undefined,
  oldestSeq: undefined,
  head: undefined,
  pinned: false,
  external: false,
  loadedAt: undefined,
  lastUsedAt: undefined,
  loadMs: 2000,
  demand: 0,
  // Interactive work unless a test says otherwise.
  queuedInteractive: over.queued ?? 0,
  inflightInteractive: over.inflight ?? 0,
  ...over,
})

export const resident = (name: string, over: Partial<ModelView> = {}): ModelView =>
  model(name, { state: "resident", loadedAt: 0, ...over })

/** A model with one interactive request waiting (of tenant `library`), since `since`. */
export const waiting = (name: string, since: number, seq: number, over: Partial<ModelView> = {}): ModelView =>
  model(name, {
    queued: 1,
    oldestSince: since,
    oldestSeq: seq,
    head: { seq, model: name, tenant: "library", priority: "interactive", since },
    queuedInteractive: 1,
    ...over,
  })

/** A view (three models at most, as Ollama's default); used bytes are those of every model in memory. */
export const view = (now: number, capacityGb: number, models: ModelView[]): SchedulerView => ({
  now,
  level: () => 0,
  maxLoaded: 3,
  capacityBytes: capacityGb * GB,
  physicalBytes: capacityGb * GB,
  loadHeadroom: 1,
  usedBytes: models.filter((m) => m.state !== "unloaded").reduce((s, m) => s + m.bytes, 0),
  models,
})
