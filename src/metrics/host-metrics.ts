/**
 * Per-host metrics with several GPU hosts: a `host` label (bounded: the configured host names)
 * on the host's breaker, VRAM, resident models and queues, and the sums across hosts that the
 * unlabelled gauges (`conductor_vram_bytes`, `conductor_queue_depth`, …) show. Fed only by events
 * that carry `host` (with one host there are none, and the unlabelled gauges behave as before).
 */
import { Gauge, type Registry } from "prom-client"
import type { ConductorEvent } from "../domain/events.js"

export interface HostTotals {
  /** VRAM summed across hosts, after a `vram` event. */
  readonly vram?: { readonly used: number; readonly budget: number; readonly capacity: number }
  /** A model's queue summed across hosts, after a `queue` event. */
  readonly queue?: { readonly model: string; readonly depth: number; readonly inflight: number }
  /** Whether a model is resident on any host, after a load, eviction or reconciliation. */
  readonly resident?: ReadonlyArray<{ readonly model: string; readonly value: 0 | 1 }>
}

export const hostMetrics = (registry: Registry) => {
  const r = { registers: [registry] }
  const up = new Gauge({
    name: "conductor_host_up",
    help: "1 while the GPU host's breaker admits work, 0 while it is down (several hosts).",
    labelNames: ["host"],
    ...r,
  })
  const vram = new Gauge({
    name: "conductor_host_vram_bytes",
    help: "A GPU host's memory: used by resident models, the budget Conductor plans with, the capacity.",
    labelNames: ["host", "kind"],
    ...r,
  })
  const resident = new Gauge({
    name: "conductor_host_model_resident",
    help: "1 when the model is loaded on the GPU host, else 0.",
    labelNames: ["host", "model"],
    ...r,
  })
  const depth = new Gauge({
    name: "conductor_host_queue_depth",
    help: "Requests waiting for a slot on the model on the GPU host.",
    labelNames: ["host", "model"],
    ...r,
  })
  const inflight = new Gauge({
    name: "conductor_host_inflight",
    help: "Requests holding a slot on the model on the GPU host.",
    labelNames: ["host", "model"],
    ...r,
  })
  const vramBy = new Map<string, { used: number; budget: number; capacity: number }>()
  const queueBy = new Map<string, Map<string, { depth: number; inflight: number }>>()
  const residentOn = new Map<string, Set<string>>()
  const seen = new Set<string>()

  const setResident = (host: string, model: string, on: boolean) => {
    resident.set({ host, model }, on ? 1 : 0)
    let set = residentOn.get(model)
    if (set === undefined) {
      set = new Set()
      residentOn.set(model, set)
    }
    if (on) set.add(host)
    else set.delete(host)
    return { model, value: set.size > 0 ? (1 as const) : (0 as const) }
  }

  /** Update from one event with a host; returns the sums the unlabelled gauges should show. */
  const observe = (e: ConductorEvent): HostTotals | undefined => {
    const host = e.host
    if (host === undefined) return undefined
    if (!seen.has(host)) {
      seen.add(host)
      up.set({ host }, 1)
    }
    switch (e.type) {
      case "host":
        up.set({ host }, e.state === "up" ? 1 : 0)
        return undefined
      case "vram": {
        vram.set({ host, kind: "used" }, e.usedBytes)
        vram.set({ host, kind: "budget" }, e.budgetBytes)
        vram.set({ host, kind: "capacity" }, e.capacityBytes)
        vramBy.set(host, { used: e.usedBytes, budget: e.budgetBytes, capacity: e.capacityBytes })
        const all = [...vramBy.values()]
        return {
          vram: {
            used: all.reduce((s, v) => s + v.used, 0),
            budget: all.reduce((s, v) => s + v.budget, 0),
            capacity: all.reduce((s, v) => s + v.capacity, 0),
          },
        }
      }
      case "queue": {
        depth.set({ host, model: e.model }, e.depth)
        inflight.set({ host, model: e.model }, e.inflight)
        let by = queueBy.get(e.model)
        if (by === undefined) {
          by = new Map()
          queueBy.set(e.model, by)
        }
        by.set(host, { depth: e.depth, inflight: e.inflight })
        const all = [...by.values()]
        return {
          queue: {
            model: e.model,
            depth: all.reduce((s, q) => s + q.depth, 0),
            inflight: all.reduce((s, q) => s + q.inflight, 0),
          },
        }
      }
      case "model_loaded":
        return { resident: [setResident(host, e.model, true)] }
      case "model_evicted":
        return { resident: [setResident(host, e.model, false)] }
      case "reconciled":
        return { resident: e.adopted.map((m) => setResident(host, m, true)) }
      default:
        return undefined
    }
  }
  return { observe }
}
