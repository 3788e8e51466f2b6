/**
 * The `swap-aware` policy: fewer swaps, no starvation.
 * - Resident models serve their queues first; a model being drained takes no new requests.
 * - A busy model stays resident: only idle models are evicted to make room — until a waiting
 *   request has waited `maxWaitMs`; then busy models may be drained for it, and no other load goes
 *   ahead of it (aging bounds every wait).
 * - The next load is the model whose oldest request has waited longest; a model that does not fit
 *   beside the busy ones yields to one that does (unless it is starving).
 * - Waiting requests go in this order: those that have waited `maxWaitMs` first (oldest first: the
 *   aging bound holds for every class and tenant) — unless their tenant's requests of that
 *   priority were served on the model within the bound (a flooder behind its own backlog is not
 *   starving) — then interactive before batch, then the tenant with the lowest fair-share level,
 *   then arrival. The same order picks the next model to load
 *   (by each model's first request), so a tenant flooding one model does not hold a polite
 *   tenant's model out of memory; and a model serving only batch work may be drained for an
 *   interactive request (busy models are otherwise kept until a request starves).
 * - Victims are the idle models cheapest to lose: lowest expected reload cost (recent demand ×
 *   load time) per byte freed. A model counts as idle only once unused for as long as it takes
 *   to reload (so back-to-back requests keep it), and one loaded less than `minResidencyMs` ago
 *   is not evicted to make room, so two models cannot thrash each other.
 */
import {
  type Eviction,
  fitsAfter,
  isLive,
  type LoadPlan,
  liveBesides,
  loadCandidates,
  type ModelView,
  NO_EVICTION,
  type OrderContext,
  type SchedulerView,
  type SchedulingPolicy,
  type WaitingRequest,
} from "../policy.js"

export interface SwapAwareOptions {
  readonly minResidencyMs: number
  readonly maxWaitMs: number
}

/** What losing `m` costs per byte it frees: the reload time it may need, weighted by demand. */
const keepValue = (m: ModelView): number => ((m.demand + 0.1) * Math.max(1, m.loadMs)) / Math.max(1, m.bytes)

const byKeepValue = (a: ModelView, b: ModelView): number =>
  keepValue(a) - keepValue(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

/** A model unused this long is no longer between two back-to-back requests of one client. */
const BACK_TO_BACK_MS = 2_000

/**
 * Idle long enough to let go for `target`: as long as reloading it would take (the ski-rental
 * break-even — waiting that long before evicting costs at most twice the best choice made with
 * hindsight); or, once past a back-to-back gap, sooner when more requests wait for `target` than
 * are expected back for `m` while it would reload. A model whose requests come back-to-back is
 * never cold between them.
 */
const cold = (view: SchedulerView, m: ModelView, target: ModelView): boolean => {
  if (m.lastUsedAt === undefined) return true
  // Sums, not differences: the same times `wakeAt` wakes at.
  if (view.now >= m.lastUsedAt + m.loadMs) return true
  return view.now >= m.lastUsedAt + BACK_TO_BACK_MS && target.queued > (m.demand / 60_000) * m.loadMs
}

export const swapAwarePolicy = (options: SwapAwareOptions): SchedulingPolicy => {
  // The same sum as the wake-up time in `wakeAt`, so that waking at it always finds it starving.
  const starving = (view: SchedulerView, m: ModelView): boolean =>
    m.oldestSince !== undefined && view.now >= m.oldestSince + options.maxWaitMs
  /**
   * Waited the aging bound, and its group (tenant and priority on this model) has not been served
   * within it either: a flooder's requests waiting behind their own backlog are not starving.
   */
  const aged = (ctx: OrderContext, w: WaitingRequest): boolean => {
    if (ctx.now < w.since + options.maxWaitMs) return false
    const last = ctx.lastGrantAt?.(w.model, w.tenant, w.priority)
    return last === undefined || ctx.now >= last + options.maxWaitMs
  }

  const before = (ctx: OrderContext, a: WaitingRequest, b: WaitingRequest): boolean => {
    const agedA = aged(ctx, a)
    if (agedA !== aged(ctx, b)) return agedA
    if (agedA) return a.seq < b.seq
    if (a.priority !== b.priority) return a.priority === "interactive"
    const la = ctx.level(a.tenant)
    const lb = ctx.level(b.tenant)
    return la !== lb ? la < lb : a.seq < b.seq
  }

  /** Models to load, best first: starving ones by age, then by their first request's order. */
  const loadOrder = (view: SchedulerView): ModelView[] =>
    loadCandidates(view).sort((a, b) => {
      const sa = starving(view, a)
      if (sa !== starving(view, b)) return sa ? -1 : 1
      if (sa) return (a.oldestSeq ?? 0) - (b.oldestSeq ?? 0)
      const ha = a.head as WaitingRequest
      const hb = b.head as WaitingRequest
      return before(view, ha, hb) ? -1 : before(view, hb, ha) ? 1 : 0
    })

  /** An interactive request may drain a model whose every request, running or waiting, is batch. */
  const batchOnly = (m: ModelView): boolean => m.inflightInteractive === 0 && m.queuedInteractive === 0

  /**
   * Victims freeing room for `target` — its bytes, and a place under the loaded-model limit:
   * idle ones, and busy ones too when `drainBusy`.
   */
  const victims = (
    view: SchedulerView,
    target: ModelView,
    drainBusy: boolean,
    drainBatch = false,
  ): Eviction | undefined => {
    let freed = 0
    let drainingCount = 0
    for (const m of view.models) {
      if (m.state !== "draining") continue
      freed += m.bytes
      drainingCount++
    }
    // Models that stay in memory beside the target (until chosen to go).
    let staying = liveBesides(view, target.name) - drainingCount
    let pinnedStaying = 0
    for (const m of view.models) if (m.pinned && m.name !== target.name && isLive(m)) pinnedStaying++
    const satisfied = () =>
      staying <= view.maxLoaded - 1 && fitsAfter(view, target, freed, staying - pinnedStaying)
    if (satisfied()) return NO_EVICTION
    const evictable = view.models.filter(
      (m) =>
        m.state === "resident" &&
        !m.pinned &&
        m.name !== target.name &&
        (m.loadedAt === undefined || view.now >= m.loadedAt + options.minResidencyMs),
    )
    const now: string[] = []
    const whenIdle: string[] = []
    const take = (m: ModelView) => {
      if (m.inflight === 0) now.push(m.name)
      else whenIdle.push(m.name)
      freed += m.bytes
      staying--
    }
    const idle = (m: ModelView) => m.inflight === 0 && m.queued === 0
    for (const m of evictable.filter((v) => idle(v) && cold(view, v, target)).sort(byKeepValue)) {
      if (satisfied()) break
      take(m)
    }
    if (satisfied()) return { now, whenIdle }
    if (!drainBusy && !drainBatch) return undefined
    // Starving: warm and busy models go too (busy ones once their in-flight requests end). For an
    // interactive request, models doing batch work only.
    const more = evictable.filter((v) => !now.includes(v.name) && (drainBusy || batchOnly(v)))
    for (const m of more.sort(byKeepValue)) {
      if (satisfied()) break
      take(m)
    }
    return satisfied() ? { now, whenIdle } : undefined
  }

  return {
    name: "swap-aware",

    concurrency: (m) => (m.state === "resident" ? m.slots : 0),

    before,

    nextLoad(view: SchedulerView): LoadPlan | undefined {
      const candidates = loadOrder(view)
      const first = candidates[0]
      if (first === undefined) return undefined
      if (starving(view, first)) {
        // Nothing loads ahead of a starving request.
        const room = victims(view, first, true)
        return room === undefined ? undefined : { model: first.name, ...room }
      }
      for (const c of candidates) {
        const room = victims(view, c, false, c.head?.priority === "interactive")
        if (room !== undefined) return { model: c.name, ...room }
      }
      return undefined
    },

    moreRoom(view: SchedulerView, model: string): Eviction | undefined {
      const target = view.models.find((m) => m.name === model)
      if (target === undefined) return undefined
      const room = victims(view, target, starving(view, target), target.head?.priority === "interactive")
      return room !== undefined && (room.now.length > 0 || room.whenIdle.length > 0) ? room : undefined
    },

    wakeAt(view: SchedulerView): number | undefined {
      if (!view.models.some((m) => m.queued > 0 && m.state !== "resident")) return undefined
      let at = Number.POSITIVE_INFINITY
      for (const m of view.models) {
        if (m.queued > 0 && m.oldestSince !== undefined && !starving(view, m)) {
          at = Math.min(at, m.oldestSince + options.maxWaitMs)
        }
        if (
          m.state === "resident" &&
          m.loadedAt !== undefined &&
          view.now < m.loadedAt + options.minResidencyMs
        ) {
          at = Math.min(at, m.loadedAt + options.minResidencyMs)
        }
        // An idle model turns cold (evictable) later.
        if (m.state === "resident" && m.inflight === 0 && m.queued === 0 && m.lastUsedAt !== undefined) {
          for (const t of [m.lastUsedAt + BACK_TO_BACK_MS, m.lastUsedAt + m.loadMs]) {
            if (t > view.now) at = Math.min(at, t)
          }
        }
      }
      return Number.isFinite(at) ? at : undefined
    },
  }
}
