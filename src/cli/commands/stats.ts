/**
 * `conductor stats [--since DURATION] [--json]`: what the outcome store holds, per task type and
 * model — attempts, success rate, feedback, p50/p95 latency, GPU-seconds — and the learner's
 * current preference (warm-started from the store as `conductor serve` would be). Reads the store
 * `learning.store` names (or the default under the user's state directory).
 */
import { existsSync } from "node:fs"
import { parseArgs } from "node:util"
import { DURATION_PATTERN, parseDurationMs } from "../../config/duration.js"
import { storePathOf, warmLearner } from "../../learning/learning.js"
import { type StatsRow, statsRows } from "../../learning/stats.js"
import { OutcomeStore } from "../../learning/store.js"
import { UsageError, withUsage } from "../args.js"
import { configOrExit, ExitError } from "../setup.js"
import { table } from "../table.js"

export const STATS_USAGE =
  "usage: conductor stats [--since DURATION] [--json] [--config DIR]   (e.g. --since 24h)"

const fixed = (x: number | null, digits: number, unit = "") =>
  x === null ? "-" : `${x.toFixed(digits)}${unit}`

export const runStats = async (argv: ReadonlyArray<string>): Promise<number> => {
  const { values } = withUsage(
    () =>
      parseArgs({
        args: [...argv],
        options: { since: { type: "string" }, json: { type: "boolean" }, config: { type: "string" } },
        allowPositionals: false,
        strict: true,
      }),
    STATS_USAGE,
  )
  if (values.since !== undefined && !DURATION_PATTERN.test(values.since)) {
    throw new UsageError(`--since: expected a duration such as 30m, 24h or 7d, got '${values.since}'`)
  }
  const config = configOrExit(values.config)
  const learning = config.conductor.learning
  const path = storePathOf(learning, process.env)
  const sinceMs = values.since !== undefined ? parseDurationMs(values.since) : learning.retention
  if (path === ":memory:" || !existsSync(path)) {
    if (values.json) process.stdout.write(`${JSON.stringify({ store: path, rows: [] })}\n`)
    else {
      process.stdout.write(
        `no outcomes recorded at ${path} (learning.mode is ${learning.mode}; shadow or on records them)\n`,
      )
    }
    return 0
  }
  let store: OutcomeStore
  try {
    store = OutcomeStore.open(path)
  } catch (e) {
    throw new ExitError(`cannot open the outcome store ${path}: ${(e as Error).message}`, 1)
  }
  let rows: ReadonlyArray<StatsRow>
  try {
    const now = Date.now()
    const learner = warmLearner(store, learning, now, new Set(config.models.map((m) => m.name)))
    rows = statsRows(store.stats(now - sinceMs), learner.preferences(now))
  } finally {
    store.close()
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ store: path, sinceMs, rows })}\n`)
    return 0
  }
  if (rows.length === 0) {
    process.stdout.write(`no outcomes in the last ${values.since ?? "retention period"} at ${path}\n`)
    return 0
  }
  process.stdout.write(
    `${table(
      [
        "TASK",
        "MODEL",
        "REQUESTS",
        "SUCCESS",
        "FEEDBACK",
        "MEAN FB",
        "P50",
        "P95",
        "GPU-S",
        "PREFERENCE",
        "",
      ],
      rows.map((r) => [
        r.task,
        r.model,
        String(r.requests),
        r.successRate === null ? "-" : `${(r.successRate * 100).toFixed(1)}%`,
        String(r.feedback),
        fixed(r.meanFeedback, 2),
        r.p50Ms === null ? "-" : `${Math.round(r.p50Ms)} ms`,
        r.p95Ms === null ? "-" : `${Math.round(r.p95Ms)} ms`,
        r.gpuSeconds.toFixed(1),
        fixed(r.preference, 3),
        r.preferred ? "preferred" : "",
      ]),
    )}\n`,
  )
  process.stdout.write(
    `\n${path}, since ${values.since ?? "the retention period"}; learning.mode ${learning.mode}\n`,
  )
  return 0
}
