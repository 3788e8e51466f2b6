/**
 * A simulated host's hidden ground truth (`loadtest/profiles/*.truth-*.yaml`, docs/simulator.md
 * "Ground truth"): per model and task type, the probability that an answer is good, and
 * optionally a drift — one model's quality for one task changing from some request on. Only the
 * load tester reads it, to draw the feedback a user would give and to score routing afterwards;
 * nothing in Conductor's routing, the simulator engine or the learner sees it. The loader is
 * pure (text in, checked truth out, every problem named with its path); `qualityAt` is the
 * world as it is at a given request.
 */
import { readFileSync } from "node:fs"
import { Result, Schema, SchemaIssue } from "effect"
import { parse } from "yaml"
import { TaskTypeSchema } from "../../src/config/schema.js"
import { NonNegative, Probability, withDefault } from "../../src/config/schema-parts.js"
import { isTaskType, TASK_TYPES, type TaskType } from "../../src/domain/task.js"

const Drift = Schema.Struct({
  task: TaskTypeSchema,
  model: Schema.String,
  /** From this request on (0-based, in arrival order) the model's quality for the task is `quality`. */
  atRequest: NonNegative.check(Schema.isInt()),
  quality: Probability,
})

const GroundTruthSchema = Schema.Struct({
  name: Schema.String,
  description: Schema.String.pipe(withDefault("")),
  /** Model → task type → probability that its answer is good. */
  quality: Schema.Record(Schema.String, Schema.Record(Schema.String, Probability)),
  drift: Schema.optionalKey(Drift),
})

export type Drift = typeof Drift.Type

export interface GroundTruth {
  readonly name: string
  readonly description: string
  readonly quality: Readonly<Record<string, Readonly<Partial<Record<TaskType, number>>>>>
  readonly drift?: Drift
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** Parse and check a ground truth; throws naming `file` and every problem's path. */
export const parseGroundTruth = (text: string, file: string): GroundTruth => {
  const decoded = Schema.decodeUnknownResult(GroundTruthSchema)(parse(text), {
    errors: "all",
    onExcessProperty: "error",
  })
  if (Result.isFailure(decoded)) {
    const problems = formatter(decoded.failure.issue).issues.map(
      (i) => `  ${(i.path ?? []).map(String).join(".") || "(top)"}: ${i.message}`,
    )
    throw new Error(`${file}: invalid ground truth:\n${problems.join("\n")}`)
  }
  const truth = decoded.success
  const problems: string[] = []
  for (const [model, tasks] of Object.entries(truth.quality)) {
    for (const task of Object.keys(tasks)) {
      if (!isTaskType(task))
        problems.push(`quality.${model}.${task}: not a task type (${TASK_TYPES.join(", ")})`)
    }
  }
  const d = truth.drift
  if (d !== undefined && truth.quality[d.model]?.[d.task] === undefined) {
    problems.push(`drift: no quality.${d.model}.${d.task} for the drift to change`)
  }
  if (problems.length > 0) throw new Error(`${file}: invalid ground truth:\n  ${problems.join("\n  ")}`)
  return truth as GroundTruth
}

export const loadGroundTruth = (file: string): GroundTruth =>
  parseGroundTruth(readFileSync(file, "utf8"), file)

/** Every (model, task) pair the run needs that the truth does not give, as `model × task`. */
export const missingPairs = (
  truth: GroundTruth,
  models: ReadonlyArray<string>,
  tasks: ReadonlyArray<TaskType>,
): string[] =>
  models.flatMap((m) => tasks.filter((t) => truth.quality[m]?.[t] === undefined).map((t) => `${m} × ${t}`))

/**
 * The probability that `model` answers a `task` query well at request `index` (arrival order),
 * drift applied; 0 for a pair the truth does not give (check with `missingPairs` first).
 */
export const qualityAt = (truth: GroundTruth, model: string, task: TaskType, index: number): number => {
  const d = truth.drift
  if (d !== undefined && index >= d.atRequest && d.model === model && d.task === task) return d.quality
  return truth.quality[model]?.[task] ?? 0
}
