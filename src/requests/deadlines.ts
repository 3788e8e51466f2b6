/**
 * A request's deadlines: time to the first token (from the start of generation), the longest gap
 * between tokens, and the whole request (queueing and loading included). `requests.deadlines`
 * gives defaults, then per tier of the chosen model, then per task type.
 */
import type { RequestsConfig } from "../config/schema.js"
import type { TaskType } from "../domain/task.js"
import type { Tier } from "../domain/tier.js"

export interface Deadlines {
  readonly firstTokenMs: number
  readonly stallMs: number
  readonly totalMs: number
}

export const deadlinesFor = (config: RequestsConfig["deadlines"], tier: Tier, task: TaskType): Deadlines => {
  const byTier = config.tiers[tier]
  const byTask = config.tasks[task]
  return {
    firstTokenMs: byTask?.firstToken ?? byTier?.firstToken ?? config.firstToken,
    stallMs: byTask?.stall ?? byTier?.stall ?? config.stall,
    totalMs: byTask?.total ?? byTier?.total ?? config.total,
  }
}
