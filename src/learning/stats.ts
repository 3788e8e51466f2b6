/**
 * The outcome report behind `conductor stats`: per task type and model, requests (attempts),
 * success rate, feedback count and mean, latency percentiles, GPU-seconds, and the learner's
 * current preference (evidence-weighted over complexity bands) with the model it prefers for
 * each task. Pure: it combines the store's groups with the learner's preferences.
 */
import type { Preference } from "./learner.js"
import type { StatsGroup } from "./store.js"

export interface StatsRow {
  readonly task: string
  readonly model: string
  /** Attempts on the model (a request that fell back counts for each model it tried). */
  readonly requests: number
  readonly completed: number
  readonly failed: number
  /** completed ÷ (completed + failed); cancelled attempts say nothing either way. Null when none. */
  readonly successRate: number | null
  /** How many of these requests got a feedback score. */
  readonly feedback: number
  readonly meanFeedback: number | null
  /** Completed attempts' time from the attempt's start to its end, ms. */
  readonly p50Ms: number | null
  readonly p95Ms: number | null
  readonly gpuSeconds: number
  /** The learner's preference (quality minus expected cost), null when it has no evidence. */
  readonly preference: number | null
  /** Outcomes behind the preference, decayed by age. */
  readonly evidence: number
  /** The learner prefers this model for the task. */
  readonly preferred: boolean
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits

/** The `p`-th percentile of ascending `sorted` (nearest rank). */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number | null => {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number
}

export const statsRows = (
  groups: ReadonlyArray<StatsGroup>,
  preferences: ReadonlyArray<Preference>,
): ReadonlyArray<StatsRow> => {
  const pref = new Map<string, { weighted: number; evidence: number }>()
  for (const p of preferences) {
    const key = `${p.task}\u0000${p.model}`
    const acc = pref.get(key) ?? { weighted: 0, evidence: 0 }
    acc.weighted += p.preference * p.evidence
    acc.evidence += p.evidence
    pref.set(key, acc)
  }
  const preferenceOf = (task: string, model: string): number | null => {
    const p = pref.get(`${task}\u0000${model}`)
    return p === undefined || p.evidence <= 0 ? null : round(p.weighted / p.evidence, 3)
  }
  const best = new Map<string, { model: string; value: number }>()
  for (const key of pref.keys()) {
    const [task, model] = key.split("\u0000") as [string, string]
    const value = preferenceOf(task, model)
    if (value === null) continue
    const b = best.get(task)
    if (b === undefined || value > b.value) best.set(task, { model, value })
  }
  return groups.map((g) => {
    const decided = g.completed + g.failed
    return {
      task: g.task,
      model: g.model,
      requests: g.requests,
      completed: g.completed,
      failed: g.failed,
      successRate: decided > 0 ? round(g.completed / decided, 3) : null,
      feedback: g.feedback,
      meanFeedback: g.meanFeedback === undefined ? null : round(g.meanFeedback, 3),
      p50Ms: percentile(g.latenciesMs, 50),
      p95Ms: percentile(g.latenciesMs, 95),
      gpuSeconds: round(g.gpuSeconds, 3),
      preference: preferenceOf(g.task, g.model),
      evidence: round(pref.get(`${g.task}\u0000${g.model}`)?.evidence ?? 0, 2),
      preferred: best.get(g.task)?.model === g.model,
    }
  })
}
