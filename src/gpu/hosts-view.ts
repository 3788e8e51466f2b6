/**
 * The one-host views of several GPU hosts, for the snapshot: per model across hosts, its most
 * advanced residency state with leases, slots and load failures summed; per model, its queues
 * summed. Pure; with one host the snapshot shows that host's own rows instead.
 */
import type { ModelResidency } from "./residency.js"
import type { QueueSnapshot } from "./scheduler.js"

const STATE_RANK: Readonly<Record<ModelResidency["state"], number>> = {
  unloaded: 0,
  unloading: 1,
  draining: 2,
  loading: 3,
  resident: 4,
}

/** One row per model across hosts: its most advanced state, leases and slots summed. */
export const mergeModels = (perHost: ReadonlyArray<ReadonlyArray<ModelResidency>>): ModelResidency[] => {
  const out = new Map<string, ModelResidency>()
  for (const models of perHost) {
    for (const m of models) {
      const seen = out.get(m.name)
      if (seen === undefined) {
        out.set(m.name, m)
        continue
      }
      const top = STATE_RANK[m.state] > STATE_RANK[seen.state] ? m : seen
      out.set(m.name, {
        ...top,
        leases: seen.leases + m.leases,
        slots:
          (seen.state === "unloaded" ? 0 : seen.slots) + (m.state === "unloaded" ? 0 : m.slots) || top.slots,
        loadFailures: seen.loadFailures + m.loadFailures,
      })
    }
  }
  return [...out.values()]
}

/** One queue per model across hosts. */
export const mergeQueues = (queues: ReadonlyArray<QueueSnapshot>): QueueSnapshot[] => {
  const out = new Map<string, QueueSnapshot>()
  for (const q of queues) {
    const seen = out.get(q.model)
    if (seen === undefined) {
      out.set(q.model, q)
      continue
    }
    const byTenant: Record<string, number> = { ...seen.byTenant }
    for (const [t, n] of Object.entries(q.byTenant)) byTenant[t] = (byTenant[t] ?? 0) + n
    out.set(q.model, {
      model: q.model,
      depth: seen.depth + q.depth,
      inflight: seen.inflight + q.inflight,
      oldestWaitMs:
        seen.oldestWaitMs === undefined
          ? q.oldestWaitMs
          : q.oldestWaitMs === undefined
            ? seen.oldestWaitMs
            : Math.max(seen.oldestWaitMs, q.oldestWaitMs),
      byPriority: {
        interactive: seen.byPriority.interactive + q.byPriority.interactive,
        batch: seen.byPriority.batch + q.byPriority.batch,
      },
      byTenant,
    })
  }
  return [...out.values()]
}
