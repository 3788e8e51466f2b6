/**
 * The learning scenario (scenarios/learning.yaml): the same seeded trace twice through an
 * in-process Conductor on the simulator — once with `learning.mode: on` (its outcome store on a
 * temporary file), once with `off` (the static rules) — with every answer of the learned run
 * rated through Conductor's real feedback path (`handle.feedback`), the score drawn from the
 * hidden ground truth for the model that answered (common random numbers per request). Routing
 * never sees the truth; the report scores both runs against it afterwards (report.ts), with
 * uniform random choice among the learned run's candidates as the third policy (its expected
 * regret, computed, not run).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { loadProfile } from "../../src/backends/sim/profile.js"
import { resolveProfilePath } from "../../src/backends/sim/profile-path.js"
import { seededRandom } from "../../src/backends/sim/text/random.js"
import { mergeDeep } from "../../src/config/load.js"
import type { TaskType } from "../../src/domain/task.js"
import type { TimeSource } from "../../src/time/clock.js"
import type { PolicyResult } from "../recorder.js"
import type { SloCheck } from "../report.js"
import { type Progress, runLocal } from "../run-local.js"
import type { Scenario } from "../scenario.js"
import { arrivals } from "../trace.js"
import { type GroundTruth, loadGroundTruth, missingPairs, qualityAt } from "./ground-truth.js"
import type { Quality, RoutedRequest } from "./regret.js"
import { type LearningReport, learningChecks, learningReport } from "./report.js"

export interface LearningRunOptions {
  readonly durationSec: number
  /** A ground truth file instead of the scenario's (`--ground-truth`). */
  readonly groundTruth?: string
  /** A ground truth given directly (tests). */
  readonly truth?: GroundTruth & { readonly file?: string }
  /** The clock (default: virtual time when the scenario says so, else its time scale). */
  readonly clock?: TimeSource
  readonly onProgress?: (label: string) => ((p: Progress) => void) | undefined
  readonly log?: (line: string) => void
}

export interface LearningOutcome {
  readonly policies: { readonly learned: PolicyResult; readonly static: PolicyResult }
  readonly learning: LearningReport
  readonly slo: SloCheck[]
}

interface ArmResult {
  readonly result: PolicyResult
  readonly routed: RoutedRequest[]
  readonly feedback: number
  readonly misclassified: number
}

/** The arrival index in a trace id (`<label>-a<i>`). */
const indexOf = (id: string): number | undefined => {
  const m = /-a(\d+)$/.exec(id)
  return m === null ? undefined : Number(m[1])
}

/** The scenario's one open-loop population and its requests' true task types, by arrival index; throws on a misfit. */
const traceTasks = (scenario: Scenario): TaskType[] => {
  const where = `${scenario.file}: learning`
  const [p, ...more] = scenario.populations
  if (p === undefined || more.length > 0 || p.arrivals === undefined) {
    throw new Error(
      `${where}: needs one population with open-loop arrivals (the same request index in every run)`,
    )
  }
  for (const [i, m] of p.mix.entries()) {
    if (m.task === undefined)
      throw new Error(`${where}: mix.${i}.task: required (the ground truth is per task type)`)
    if (m.model !== undefined || m.persona !== undefined) {
      throw new Error(`${where}: mix.${i}: no model or persona (routing must choose)`)
    }
  }
  const taskOf = new Map(p.mix.map((m) => [m.name, m.task as TaskType]))
  return arrivals(scenario, p).map((item) => taskOf.get(item.mix) as TaskType)
}

const arm = async (
  scenario: Scenario,
  mode: "on" | "off",
  tasks: ReadonlyArray<TaskType>,
  quality: Quality,
  options: LearningRunOptions,
): Promise<ArmResult> => {
  const settings = scenario.learning
  if (settings === undefined) throw new Error(`${scenario.file}: no learning section`)
  const dir = mkdtempSync(join(tmpdir(), "conductor-learning-"))
  const run: Scenario = {
    ...scenario,
    conductor: mergeDeep(scenario.conductor as Record<string, unknown>, {
      learning: { mode, store: join(dir, "outcomes.db") },
    }),
  }
  const routed: RoutedRequest[] = []
  let feedback = 0
  let misclassified = 0
  const label = mode === "on" ? "learned" : "static"
  try {
    const progress = options.onProgress?.(label)
    const result = await runLocal(run, {
      policy: "swap-aware",
      durationSec: options.durationSec,
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      ...(progress !== undefined ? { onProgress: progress } : {}),
      onEvent: (e) => {
        if (e.type !== "routed") return
        const index = indexOf(e.id)
        const task = index === undefined ? undefined : tasks[index]
        if (index === undefined || task === undefined) return
        const d = e.decision
        if (d.taskType !== task) misclassified++
        const means = d.breakdown.learned?.means ?? {}
        routed.push({ index, task, model: d.model, candidates: Object.keys(means) })
      },
      follow: async (id, handle) => {
        let answered: Awaited<typeof handle.result>
        try {
          answered = await handle.result
        } catch {
          return
        }
        const index = indexOf(id)
        const task = index === undefined ? undefined : tasks[index]
        if (mode === "off" || index === undefined || task === undefined) return
        // The same draws for the same request in every run: only the model changes the score.
        const rng = seededRandom(`${scenario.seed}|feedback|${index}`)
        if (rng() >= settings.feedbackRate) return
        handle.feedback(rng() < quality(answered.model, task, index) ? 1 : 0)
        feedback++
      },
    })
    return { result, routed, feedback, misclassified }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export const runLearning = async (
  scenario: Scenario,
  options: LearningRunOptions,
): Promise<LearningOutcome> => {
  const settings = scenario.learning
  if (settings === undefined) throw new Error(`${scenario.file}: no learning section`)
  const file =
    options.truth?.file ?? options.groundTruth ?? resolve(dirname(scenario.file), settings.groundTruth)
  const truth = options.truth ?? loadGroundTruth(file)
  const tasks = traceTasks(scenario)
  const profile = loadProfile(resolveProfilePath(scenario.profilePath))
  const models = profile.models.filter((m) => !m.capabilities.includes("embedding")).map((m) => m.name)
  const missing = missingPairs(truth, models, [...new Set(tasks)])
  if (missing.length > 0) {
    throw new Error(`${file}: the ground truth lacks quality for ${missing.join(", ")}`)
  }
  const quality: Quality = (m, t, i) => qualityAt(truth, m, t, i)
  const learned = await arm(scenario, "on", tasks, quality, options)
  options.log?.(`[learned] ${learned.routed.length} routed, ${learned.feedback} rated`)
  const stat = await arm(scenario, "off", tasks, quality, options)
  options.log?.(`[static] ${stat.routed.length} routed`)
  const learning = learningReport({
    truth: { name: truth.name, file, ...(truth.drift !== undefined ? { drift: truth.drift } : {}) },
    quality,
    learned: learned.routed,
    static: stat.routed,
    feedback: learned.feedback,
    misclassified: learned.misclassified,
    recoveryWindow: settings.recoveryWindow,
    recoveryShare: settings.recoveryShare,
  })
  return {
    policies: { learned: learned.result, static: stat.result },
    learning,
    slo: learningChecks(learning),
  }
}
