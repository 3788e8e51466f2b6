/**
 * The learning scenario's part of the report, built purely from what each run routed: cumulative
 * regret of learned routing, of the static rules and of uniform random choice (all against the
 * same oracle, over the same requests and candidates), per task type, the drift recovery, and
 * the targets as SLO checks (learned ≤ ½ the static rules' regret and ≤ ¼ random's, the drift
 * left within 200 requests of its task).
 */
import type { TaskType } from "../../src/domain/task.js"
import type { SloCheck } from "../report.js"
import type { Drift } from "./ground-truth.js"
import {
  type Quality,
  type RoutedRequest,
  randomRegretOf,
  recoveryOf,
  regretByTask,
  regretOf,
} from "./regret.js"

/** The targets (issue 17). */
export const TARGETS = { toStatic: 0.5, toRandom: 0.25, recoveredWithin: 200 } as const

export interface LearningReport {
  readonly groundTruth: { readonly name: string; readonly file: string }
  /** Requests scored: routed in the learned run (the static run routed the same trace). */
  readonly requests: number
  /** Cumulative expected regret against the oracle. */
  readonly regret: { readonly learned: number; readonly static: number; readonly random: number }
  /** The same per request. */
  readonly meanRegret: { readonly learned: number; readonly static: number; readonly random: number }
  readonly ratios: { readonly learnedToStatic: number; readonly learnedToRandom: number }
  readonly drift?: {
    readonly task: TaskType
    readonly model: string
    readonly atRequest: number
    readonly recoveredAfter: number | null
    readonly window: number
    readonly share: number
    readonly shareBefore: number
    readonly shareAtEnd: number
    readonly requestsAfter: number
  }
  readonly perTask: Readonly<
    Partial<
      Record<
        TaskType,
        {
          readonly requests: number
          readonly learned: number
          readonly static: number
          readonly random: number
        }
      >
    >
  >
  /** Ratings sent through the feedback path (learned run). */
  readonly feedback: number
  /** Requests whose classified task type was not their mix entry's (the truth follows the mix's). */
  readonly misclassified: number
}

export interface LearningInputs {
  readonly truth: { readonly name: string; readonly file: string; readonly drift?: Drift }
  readonly quality: Quality
  readonly learned: ReadonlyArray<RoutedRequest>
  /** The static run's choices; candidates are taken from the learned run's same request. */
  readonly static: ReadonlyArray<Omit<RoutedRequest, "candidates">>
  readonly feedback: number
  readonly misclassified: number
  readonly recoveryWindow: number
  readonly recoveryShare: number
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits

export const learningReport = (x: LearningInputs): LearningReport => {
  const candidates = new Map(x.learned.map((r) => [r.index, r.candidates]))
  // Score the static run on the requests both runs routed, with the learned run's candidates.
  const staticRuns: RoutedRequest[] = x.static
    .filter((r) => candidates.has(r.index))
    .map((r) => ({ ...r, candidates: candidates.get(r.index) ?? [r.model] }))
  const learned = regretOf(x.learned, x.quality)
  const stat = regretOf(staticRuns, x.quality)
  const random = randomRegretOf(x.learned, x.quality)
  const n = x.learned.length
  const byLearned = regretByTask(x.learned, x.quality)
  const byStatic = regretByTask(staticRuns, x.quality)
  const perTask: Record<string, { requests: number; learned: number; static: number; random: number }> = {}
  for (const [task, t] of Object.entries(byLearned)) {
    perTask[task] = {
      requests: t.requests,
      learned: round(t.regret, 2),
      static: round(byStatic[task as TaskType]?.regret ?? 0, 2),
      random: round(
        randomRegretOf(
          x.learned.filter((r) => r.task === task),
          x.quality,
        ),
        2,
      ),
    }
  }
  const d = x.truth.drift
  const recovery = d === undefined ? undefined : recoveryOf(x.learned, d, x.recoveryWindow, x.recoveryShare)
  return {
    groundTruth: { name: x.truth.name, file: x.truth.file },
    requests: n,
    regret: { learned: round(learned, 2), static: round(stat, 2), random: round(random, 2) },
    meanRegret: {
      learned: round(learned / Math.max(1, n), 4),
      static: round(stat / Math.max(1, staticRuns.length), 4),
      random: round(random / Math.max(1, n), 4),
    },
    ratios: {
      learnedToStatic: stat > 0 ? round(learned / stat, 3) : Number.NaN,
      learnedToRandom: random > 0 ? round(learned / random, 3) : Number.NaN,
    },
    ...(d !== undefined && recovery !== undefined
      ? {
          drift: {
            task: d.task,
            model: d.model,
            atRequest: d.atRequest,
            recoveredAfter: recovery.recoveredAfter,
            window: x.recoveryWindow,
            share: x.recoveryShare,
            shareBefore: round(recovery.shareBefore, 3),
            shareAtEnd: round(recovery.shareAtEnd, 3),
            requestsAfter: recovery.requestsAfter,
          },
        }
      : {}),
    perTask,
    feedback: x.feedback,
    misclassified: x.misclassified,
  }
}

/** The targets, as the report's SLO checks. */
export const learningChecks = (r: LearningReport): SloCheck[] => {
  const checks: SloCheck[] = [
    {
      policy: "learned",
      slo: `regret ≤ ${TARGETS.toStatic} × the static rules'`,
      ok: r.regret.learned <= TARGETS.toStatic * r.regret.static,
      detail: `${r.regret.learned} vs ${r.regret.static} (${r.ratios.learnedToStatic}×)`,
    },
    {
      policy: "learned",
      slo: `regret ≤ ${TARGETS.toRandom} × uniform random's`,
      ok: r.regret.learned <= TARGETS.toRandom * r.regret.random,
      detail: `${r.regret.learned} vs ${r.regret.random} (${r.ratios.learnedToRandom}×)`,
    },
  ]
  const d = r.drift
  if (d !== undefined) {
    checks.push({
      policy: "learned",
      slo: `drift left within ${TARGETS.recoveredWithin} ${d.task} requests`,
      ok: d.recoveredAfter !== null && d.recoveredAfter <= TARGETS.recoveredWithin,
      detail:
        d.requestsAfter === 0
          ? "the run ended before the drift"
          : d.recoveredAfter === null
            ? `never (${Math.round(d.shareAtEnd * 100)}% still on ${d.model} at the end)`
            : `after ${d.recoveredAfter}`,
    })
  }
  return checks
}

/** Lines under the report's table. */
export const learningMarkdown = (r: LearningReport): string[] => {
  const lines = [
    `learning (${r.groundTruth.name}): regret over ${r.requests} requests — learned ${r.regret.learned}, ` +
      `static rules ${r.regret.static}, uniform random ${r.regret.random} ` +
      `(learned/static ${r.ratios.learnedToStatic}, learned/random ${r.ratios.learnedToRandom}); ` +
      `${r.feedback} ratings sent, ${r.misclassified} requests classified as another task`,
  ]
  const d = r.drift
  if (d !== undefined) {
    lines.push(
      `drift: ${d.model} on ${d.task} from request ${d.atRequest}: ` +
        (d.requestsAfter === 0
          ? "after the run's last request"
          : d.recoveredAfter === null
            ? "never left"
            : `${Math.round(d.share * 100)}% of the last ${d.window} ${d.task} requests elsewhere after ${d.recoveredAfter}`) +
        ` (its share: ${Math.round(d.shareBefore * 100)}% before, ${Math.round(d.shareAtEnd * 100)}% at the end)`,
    )
  }
  lines.push("", "| task | requests | learned | static | random |", "|---|---|---|---|---|")
  for (const [task, t] of Object.entries(r.perTask)) {
    lines.push(`| ${task} | ${t.requests} | ${t.learned} | ${t.static} | ${t.random} |`)
  }
  return lines
}
