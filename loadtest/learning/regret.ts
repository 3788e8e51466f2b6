/**
 * The learning scenario's scoring, pure: cumulative regret of a routing policy against the oracle
 * (per request, the best of the same candidates under the ground truth as it is at that request),
 * the expected regret of uniform random choice among those candidates, per task type, and how
 * long routing took to leave a model after its quality drifted down. Regret is expected regret:
 * each request costs the oracle's probability of a good answer minus the chosen model's, so the
 * feedback draws' luck does not enter the score.
 */
import type { TaskType } from "../../src/domain/task.js"

export interface RoutedRequest {
  /** Arrival order, 0-based (the same request in every run). */
  readonly index: number
  /** The query's true task type (its mix entry's), which the ground truth is about. */
  readonly task: TaskType
  /** The model routing chose (the first attempt's). */
  readonly model: string
  /** The models it chose among: the learner's candidates (hard constraints applied). */
  readonly candidates: ReadonlyArray<string>
}

/** The probability that `model` answers a `task` query well at request `index`. */
export type Quality = (model: string, task: TaskType, index: number) => number

/** The oracle's probability for one request: the best candidate's (the chosen model's if none). */
export const oracleOf = (r: RoutedRequest, quality: Quality): number => {
  let best = quality(r.model, r.task, r.index)
  for (const c of r.candidates) best = Math.max(best, quality(c, r.task, r.index))
  return best
}

/** Σ (oracle − chosen): what routing lost against always choosing the best candidate. */
export const regretOf = (requests: ReadonlyArray<RoutedRequest>, quality: Quality): number => {
  let sum = 0
  for (const r of requests) sum += oracleOf(r, quality) - quality(r.model, r.task, r.index)
  return sum
}

/** Σ (oracle − mean over the candidates): the expected regret of choosing uniformly at random. */
export const randomRegretOf = (requests: ReadonlyArray<RoutedRequest>, quality: Quality): number => {
  let sum = 0
  for (const r of requests) {
    const cs = r.candidates.length > 0 ? r.candidates : [r.model]
    let mean = 0
    for (const c of cs) mean += quality(c, r.task, r.index) / cs.length
    sum += oracleOf(r, quality) - mean
  }
  return sum
}

export interface RegretByTask {
  readonly requests: number
  readonly regret: number
}

/** `regretOf` per task type. */
export const regretByTask = (
  requests: ReadonlyArray<RoutedRequest>,
  quality: Quality,
): Partial<Record<TaskType, RegretByTask>> => {
  const out: Partial<Record<TaskType, { requests: number; regret: number }>> = {}
  for (const r of requests) {
    const t = out[r.task] ?? { requests: 0, regret: 0 }
    t.requests++
    t.regret += oracleOf(r, quality) - quality(r.model, r.task, r.index)
    out[r.task] = t
  }
  return out
}

export interface DriftPoint {
  readonly task: TaskType
  readonly model: string
  readonly atRequest: number
}

export interface Recovery {
  /**
   * Requests of the drift's task from the drift until, over the last `window` of them, at least
   * `share` went to other models than the degraded one; null if that never happened.
   */
  readonly recoveredAfter: number | null
  /** The degraded model's share of the task's last `window` requests before the drift. */
  readonly shareBefore: number
  /** …and of the task's last `window` requests of the run. */
  readonly shareAtEnd: number
  /** The task's requests from the drift on. */
  readonly requestsAfter: number
}

const shareOf = (rs: ReadonlyArray<RoutedRequest>, model: string): number =>
  rs.length === 0 ? 0 : rs.filter((r) => r.model === model).length / rs.length

/** How long routing took to leave the model whose quality drifted (requests of its task, in arrival order). */
export const recoveryOf = (
  requests: ReadonlyArray<RoutedRequest>,
  drift: DriftPoint,
  window: number,
  share: number,
): Recovery => {
  const ofTask = requests.filter((r) => r.task === drift.task).sort((a, b) => a.index - b.index)
  const before = ofTask.filter((r) => r.index < drift.atRequest).slice(-window)
  const after = ofTask.filter((r) => r.index >= drift.atRequest)
  let onModel = 0
  let recoveredAfter: number | null = null
  for (let k = 0; k < after.length; k++) {
    if ((after[k] as RoutedRequest).model === drift.model) onModel++
    if (k >= window && (after[k - window] as RoutedRequest).model === drift.model) onModel--
    // Tolerance for the float in (1 − share) × window: 0.2 × 50 is 10.000000000000002.
    if (k + 1 >= window && onModel <= (1 - share) * window + 1e-9) {
      recoveredAfter = k + 1
      break
    }
  }
  return {
    recoveredAfter,
    shareBefore: shareOf(before, drift.model),
    shareAtEnd: shareOf(after.slice(-window), drift.model),
    requestsAfter: after.length,
  }
}
