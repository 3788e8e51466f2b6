/**
 * The `ollama` policy: Ollama's own scheduler (server/sched.go), reproduced as the baseline every
 * benchmark compares against.
 * - A request for a model loaded (or loading) when it arrives skips the queue and goes to the
 *   runner, which queues it on its slots — even a model already chosen as a victim (it unloads
 *   only once idle, and keeps taking such requests until then).
 * - Everything else waits in one FIFO processed one request at a time: its head starts (on its
 *   model, loaded by then or loaded for it) before anything behind it does, even requests for
 *   models loaded meanwhile (head-of-line blocking).
 * - When the loaded-model limit (OLLAMA_MAX_LOADED_MODELS) is reached, or the model does not fit, one victim is
 *   chosen: the shortest keep_alive (all equal here: Conductor's idle timeout; pinned = forever),
 *   ties by name (Ollama compares blob paths, i.e. digests; names keep the order reproducible),
 *   an idle runner first, else the first one, whose in-flight requests are waited for. After each
 *   unload the choice is made again.
 * Conductor's own rules still hold: pinned models are never victims.
 */
import {
  byName,
  type Eviction,
  freeSoon,
  isServing,
  type LoadPlan,
  liveBesides,
  type ModelView,
  NO_EVICTION,
  type SchedulerView,
  type SchedulingPolicy,
} from "../policy.js"

/** One victim, chosen as Ollama's findRunnerToUnload does; undefined when none can go. */
const findVictim = (view: SchedulerView, target: string): Eviction | undefined => {
  const candidates = view.models.filter((m) => isServing(m) && !m.pinned && m.name !== target).sort(byName)
  const idle = candidates.find((m) => m.inflight === 0)
  if (idle !== undefined) return { now: [idle.name], whenIdle: [] }
  const first = candidates[0]
  return first === undefined ? undefined : { now: [], whenIdle: [first.name] }
}

/** Room for `target`: nothing to do, one victim, or undefined when no victim can go. */
const roomFor = (view: SchedulerView, target: ModelView): Eviction | undefined => {
  // Ollama waits for each unload to finish before it looks again.
  if (view.models.some((m) => m.state === "draining" || m.state === "unloading")) return NO_EVICTION
  if (liveBesides(view, target.name) >= view.maxLoaded || target.bytes > freeSoon(view)) {
    return findVictim(view, target.name)
  }
  return NO_EVICTION
}

export const ollamaPolicy = (): SchedulingPolicy => ({
  name: "ollama",
  ordered: true,

  // The runner takes every request and queues them on its slots itself.
  concurrency: (m) => (isServing(m) ? Number.POSITIVE_INFINITY : 0),

  nextLoad(view: SchedulerView): LoadPlan | undefined {
    // The FIFO's head: the oldest waiting request whose model is not in memory.
    let head: ModelView | undefined
    for (const m of view.models) {
      if (m.queued === 0 || m.oldestSeq === undefined || isServing(m) || m.state === "loading") continue
      if (head === undefined || m.oldestSeq < (head.oldestSeq as number)) head = m
    }
    // The head waits for its model's unload to finish; everything behind it waits too.
    if (head === undefined || head.state !== "unloaded") return undefined
    const room = roomFor(view, head)
    return room === undefined ? undefined : { model: head.name, ...room }
  },

  moreRoom(view: SchedulerView, model: string): Eviction | undefined {
    const target = view.models.find((m) => m.name === model)
    if (target === undefined) return undefined
    const room = roomFor(view, target)
    return room !== undefined && (room.now.length > 0 || room.whenIdle.length > 0) ? room : undefined
  },

  // Ollama's decisions change only with requests, completions and unloads.
  wakeAt: () => undefined,
})
