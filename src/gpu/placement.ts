/**
 * Placement across GPU hosts (DESIGN decision 13): for one request on one model, which host
 * serves it. Pure — it reads each host's view (its residency, queues, budget and load slot) and
 * returns a host or a clear error; the host's own scheduler and residency then act, keeping their
 * invariants (never over that host's budget, one load per host at a time). The order:
 *   1. warm: the model is resident there with a free slot and nobody waiting;
 *   2. a second replica: the model is held somewhere, but waiting there would take longer than a
 *      load elsewhere, and that host has room without evicting busier work — nothing in flight or
 *      waiting, and no victim wanted more recently than this model (and no load under way there);
 *   3. queue where it is held (resident or loading) with the shortest expected wait;
 *   4. held nowhere: load it where it fits with the cheapest eviction — free room first, then idle
 *      victims, then the least busy work displaced — ties to the higher weight, then the emptier host.
 */
import { type ConductorError, conductorError } from "../domain/errors.js"
import type { ResidencyState } from "./policy.js"

/** One model on one host, as placement sees it. */
export interface PlacedModel {
  readonly name: string
  readonly state: ResidencyState
  readonly bytes: number
  readonly inflight: number
  readonly slots: number
  readonly queued: number
  readonly pinned: boolean
  readonly lastUsedAt: number | undefined
  /** Expected time to load it on this host. */
  readonly loadMs: number
  /** Recent time one request holds a slot (undefined until measured). */
  readonly serviceMs: number | undefined
  /** Recent requests per minute for it on this host (decayed). */
  readonly demand: number
}

export interface HostView {
  readonly name: string
  /** Its breaker admits work. */
  readonly up: boolean
  readonly weight: number
  readonly capacityBytes: number
  readonly usedBytes: number
  readonly maxLoaded: number
  /** The model holding this host's single load slot, if any. */
  readonly loading: string | undefined
  /** The model can be loaded here at all (fits the budget beside the pinned models). */
  readonly loadable: (model: string) => boolean
  readonly models: ReadonlyArray<PlacedModel>
}

export type PlacementKind = "warm" | "replica" | "queued" | "load"

export type Placement =
  | { readonly ok: true; readonly host: string; readonly kind: PlacementKind; readonly waitMs: number }
  | { readonly ok: false; readonly error: ConductorError }

/** Charged per request ahead when a model's service time is not measured yet. */
const UNKNOWN_SERVICE_MS = 1000

/** The host holds the model, or will: resident, loading, or requests waiting for its load. */
const holds = (m: PlacedModel): boolean =>
  m.state === "resident" || m.state === "loading" || (m.state === "unloaded" && m.queued > 0)

/** A model takes room on its host: in memory, or about to be (requests wait for its load). */
const occupies = (m: PlacedModel): boolean => m.state !== "unloaded" || m.queued > 0

/** Bytes the host's models take or are about to take, besides `except`. */
export const occupiedBytes = (h: HostView, except?: string): number =>
  h.models.reduce((s, o) => (o.name !== except && occupies(o) ? s + o.bytes : s), 0)

/** Expected wait for one more request on a host that holds the model. */
export const queueWaitMs = (m: PlacedModel): number => {
  const slots = Math.max(1, m.slots)
  const ahead = m.queued + m.inflight
  const service = m.serviceMs ?? UNKNOWN_SERVICE_MS
  const queueing = ahead >= slots ? (Math.floor((ahead - slots) / slots) + 1) * service : 0
  return m.state === "resident" ? queueing : queueing + m.loadMs
}

/** What loading `model` on `h` would displace: whether it must evict busy work, and how much. */
export interface LoadCost {
  readonly fits: boolean
  /** Requests waiting on or holding the models it would evict. */
  readonly busyWork: number
  readonly victims: number
  /** The highest recent demand among the models it would evict (0 when none). */
  readonly victimDemand: number
  readonly waitMs: number
}

export const loadCost = (h: HostView, m: PlacedModel): LoadCost => {
  let free = h.capacityBytes - Math.max(h.usedBytes, occupiedBytes(h, m.name))
  let places = h.models.filter((o) => o.name !== m.name && occupies(o)).length
  // Victims: unpinned resident models, idle ones first (least recently used), then the least busy.
  const candidates = h.models
    .filter((o) => o.name !== m.name && !o.pinned && (o.state === "resident" || o.state === "draining"))
    .map((o) => ({ o, work: o.inflight + o.queued }))
    .sort((a, b) => a.work - b.work || (a.o.lastUsedAt ?? 0) - (b.o.lastUsedAt ?? 0))
  let busyWork = 0
  let victims = 0
  let victimDemand = 0
  for (const { o, work } of candidates) {
    if (free >= m.bytes && places < h.maxLoaded) break
    free += o.bytes
    places--
    busyWork += work
    victims++
    victimDemand = Math.max(victimDemand, o.demand)
  }
  const fits = free >= m.bytes && places < h.maxLoaded
  const behindLoad = h.loading !== undefined && h.loading !== m.name ? loadMsOf(h, h.loading) : 0
  return { fits, busyWork, victims, victimDemand, waitMs: behindLoad + m.loadMs }
}

const loadMsOf = (h: HostView, model: string): number => h.models.find((o) => o.name === model)?.loadMs ?? 0

/**
 * The host that serves one more request on `model`. `exclude` names hosts not to use (one that
 * just failed this request). Errors: Unavailable (no host up), ModelNotFound (no host has it),
 * OutOfMemory (it fits on no host that is up).
 */
export const place = (
  model: string,
  hosts: ReadonlyArray<HostView>,
  exclude: ReadonlySet<string> = new Set(),
): Placement => {
  const up = hosts.filter((h) => h.up && !exclude.has(h.name))
  if (up.length === 0) {
    const down = hosts.filter((h) => !h.up).map((h) => h.name)
    return {
      ok: false,
      error: conductorError(
        "Unavailable",
        down.length > 0
          ? `no GPU host can take ${model}: ${down.join(", ")} ${down.length === 1 ? "is" : "are"} down`
          : `no GPU host can take ${model}`,
        { model, retryAfterMs: 1000 },
      ),
    }
  }
  const withModel = up.flatMap((h) => {
    const m = h.models.find((o) => o.name === model)
    return m === undefined ? [] : [{ h, m }]
  })
  if (withModel.length === 0) {
    return {
      ok: false,
      error: conductorError("ModelNotFound", `model '${model}' is on no GPU host that is up`, { model }),
    }
  }
  const able = withModel.filter(({ h, m }) => holds(m) || h.loadable(m.name))
  if (able.length === 0) {
    return {
      ok: false,
      error: conductorError(
        "OutOfMemory",
        `${model} fits on no GPU host beside the pinned models (${withModel.map(({ h }) => h.name).join(", ")})`,
        { model },
      ),
    }
  }
  const byWeight = (a: HostView, b: HostView) => b.weight - a.weight || occupiedBytes(a) - occupiedBytes(b)
  // 1. warm
  const warm = able
    .filter(({ m }) => m.state === "resident" && m.queued === 0 && m.inflight < Math.max(1, m.slots))
    .sort((a, b) => a.m.inflight - b.m.inflight || byWeight(a.h, b.h))[0]
  if (warm !== undefined) return { ok: true, host: warm.h.name, kind: "warm", waitMs: 0 }
  const held = able
    .filter(({ m }) => holds(m))
    .map((x) => ({ ...x, wait: queueWaitMs(x.m) }))
    .sort((a, b) => a.wait - b.wait || byWeight(a.h, b.h))
  const loads = able
    .filter(({ m }) => !holds(m) && m.state !== "unloading" && m.state !== "draining")
    .map((x) => ({ ...x, cost: loadCost(x.h, x.m) }))
    .filter((x) => x.cost.fits)
  const best = held[0]
  if (best !== undefined) {
    // 2. a second replica, where room is free or idle (never evicting busy work, no load under way)
    const replica = loads
      .filter(
        (x) =>
          x.cost.busyWork === 0 &&
          x.cost.victimDemand < best.m.demand &&
          x.h.loading === undefined &&
          x.cost.waitMs < best.wait,
      )
      .sort(
        (a, b) => a.cost.victims - b.cost.victims || a.cost.waitMs - b.cost.waitMs || byWeight(a.h, b.h),
      )[0]
    if (replica !== undefined)
      return { ok: true, host: replica.h.name, kind: "replica", waitMs: replica.cost.waitMs }
    // 3. queue where it is held
    return { ok: true, host: best.h.name, kind: "queued", waitMs: best.wait }
  }
  // 4. load where the eviction is cheapest
  const cheapest = [...loads].sort(
    (a, b) =>
      a.cost.busyWork - b.cost.busyWork ||
      a.cost.victims - b.cost.victims ||
      a.cost.waitMs - b.cost.waitMs ||
      byWeight(a.h, b.h),
  )[0]
  if (cheapest !== undefined)
    return { ok: true, host: cheapest.h.name, kind: "load", waitMs: cheapest.cost.waitMs }
  // Loadable but momentarily without a place (models unloading, draining): the least busy host.
  const fallback = [...able].sort(
    (a, b) =>
      a.h.models.reduce((s, o) => s + o.inflight + o.queued, 0) -
        b.h.models.reduce((s, o) => s + o.inflight + o.queued, 0) || byWeight(a.h, b.h),
  )[0] as (typeof able)[number]
  return { ok: true, host: fallback.h.name, kind: "load", waitMs: fallback.m.loadMs }
}
