/**
 * Routing accuracy, rules alone against rules + classifier, through the real router:
 *   - the corpus's held-out test split (data/routing/split.json; never used for training or
 *     tuning): task accuracy, tier accuracy (the tier the complexity maps to, before the
 *     configured per-task bounds, against the authors' label of what the request needs, and
 *     against the adjudicated label — data/routing/tier-votes.jsonl),
 *     quality-tier recall, confusion matrices and the classifier's calibration;
 *   - the router's golden sets (used to calibrate the rules) and its held-out set, as before
 *     (tier = the target tier after the configured per-task bounds, as those sets are labelled).
 * Prints the tables and returns the headline numbers. Run: `npm run bench -- routing-accuracy`.
 */
import { readFileSync } from "node:fs"
import { Result } from "effect"
import { TASK_TYPES } from "../../src/domain/task.js"
import { TIERS, tierIndex } from "../../src/domain/tier.js"
import { type RouterEnv, route } from "../../src/routing/router.js"
import { GOLDEN, type GoldenQuery } from "../../test/routing/golden-queries.js"
import { GOLDEN_B } from "../../test/routing/golden-queries-b.js"
import { HOLDOUT } from "../../test/routing/holdout-queries.js"
import { routerEnv } from "../../test/support/router-env.js"
import { type LabelledQuery, loadCorpus } from "../../training/routing/corpus.js"
import {
  accuracy,
  confusion,
  pct,
  recall,
  reliability,
  renderConfusion,
  renderReliability,
} from "../../training/routing/metrics.js"
import { CORPUS_FILES, FIXES_FILE, SPLIT_FILE, TIER_VOTES_FILE } from "../../training/routing/paths.js"
import { applyTierVotes, readTierVotes } from "../../training/routing/tier-votes.js"

const scoreGolden = (set: ReadonlyArray<GoldenQuery>, env: RouterEnv) => {
  let task = 0
  let tier = 0
  let clear = 0
  let clearTier = 0
  for (const g of set) {
    const r = route(
      { query: g.query, ...(g.docs !== undefined ? { context: { retrievedDocs: g.docs } } : {}) },
      env,
    )
    if (Result.isFailure(r)) continue
    const d = r.success
    if (d.taskType === g.task) task++
    const tierOk = d.breakdown.tier.target === g.tier
    if (tierOk) tier++
    if (g.clearCut) {
      clear++
      if (tierOk) clearTier++
    }
  }
  const p = (a: number, b: number) => Math.round((a / Math.max(1, b)) * 1000) / 10
  return {
    queries: set.length,
    taskPct: p(task, set.length),
    tierPct: p(tier, set.length),
    clearCutTierPct: p(clearTier, clear),
  }
}

/** The held-out test split of the corpus: with the authors' tiers, and with the adjudicated ones. */
const heldOutSplit = (): { authors: LabelledQuery[]; adjudicated: LabelledQuery[] } => {
  const split = JSON.parse(readFileSync(SPLIT_FILE, "utf8")) as { test: string[] }
  const test = new Set(split.test)
  const all = loadCorpus(CORPUS_FILES, FIXES_FILE)
  const inTest = (rows: ReadonlyArray<LabelledQuery>) => rows.filter((r) => test.has(r.id))
  return { authors: inTest(all), adjudicated: inTest(applyTierVotes(all, readTierVotes(TIER_VOTES_FILE))) }
}

const scoreSplit = (rows: ReadonlyArray<LabelledQuery>, env: RouterEnv, print: boolean, title: string) => {
  const truth: number[] = []
  const pred: number[] = []
  const tTruth: number[] = []
  const tPred: number[] = []
  const taskConf: number[] = []
  const taskRight: boolean[] = []
  const tierConf: number[] = []
  const tierRight: boolean[] = []
  let targetRight = 0
  for (const row of rows) {
    const r = route({ query: row.text }, env)
    if (Result.isFailure(r)) throw new Error(`${row.id}: ${r.failure.message}`)
    const d = r.success
    truth.push(TASK_TYPES.indexOf(row.task))
    pred.push(TASK_TYPES.indexOf(d.taskType))
    const m = d.breakdown.model
    if (m !== undefined) {
      const p = m.task.probabilities
      const top = TASK_TYPES.reduce(
        (a, t) => (p[t] > p[a] ? t : a),
        TASK_TYPES[0] as (typeof TASK_TYPES)[number],
      )
      taskConf.push(p[top])
      taskRight.push(top === row.task)
    }
    if (row.tier === null) continue
    tTruth.push(tierIndex(row.tier))
    tPred.push(tierIndex(d.breakdown.tier.base))
    if (d.breakdown.tier.target === row.tier) targetRight++
    if (m !== undefined) {
      const tp = m.tier.probabilities
      tierConf.push(tp[m.tier.type])
      tierRight.push(m.tier.type === row.tier)
    }
  }
  const task = confusion(TASK_TYPES, truth, pred)
  const tier = confusion(TIERS, tTruth, tPred)
  if (print) {
    const out = [
      `\n${title}: task ${pct(accuracy(task))}, tier ${pct(accuracy(tier))}, quality recall ${pct(recall(tier, 2))}`,
    ]
    out.push("task confusion (rows truth, columns predicted):", renderConfusion(task))
    out.push("tier confusion:", renderConfusion(tier))
    if (taskConf.length > 0) {
      out.push("classifier task calibration:", renderReliability(reliability(taskConf, taskRight)))
      out.push("classifier tier calibration:", renderReliability(reliability(tierConf, tierRight)))
    }
    process.stdout.write(`${out.join("\n")}\n`)
  }
  return {
    taskPct: Math.round(accuracy(task) * 1000) / 10,
    tierPct: Math.round(accuracy(tier) * 1000) / 10,
    qualityRecallPct: Math.round(recall(tier, 2) * 1000) / 10,
    targetTierPct: Math.round((targetRight / Math.max(1, tTruth.length)) * 1000) / 10,
  }
}

export const benchRoutingAccuracy = (): Record<string, number> => {
  const combined = routerEnv()
  const rules = routerEnv({ classifier: undefined })
  const { authors: split, adjudicated } = heldOutSplit()
  const sRules = scoreSplit(split, rules, true, `held-out split (${split.length} queries), rules only`)
  const sBoth = scoreSplit(
    split,
    combined,
    true,
    `held-out split (${split.length} queries), rules + classifier`,
  )
  const sAdjudicated = scoreSplit(
    adjudicated,
    combined,
    true,
    `held-out split (${adjudicated.length} queries, adjudicated tiers), rules + classifier`,
  )
  const golden = [...GOLDEN, ...GOLDEN_B]
  const gRules = scoreGolden(golden, rules)
  const gBoth = scoreGolden(golden, combined)
  const hRules = scoreGolden(HOLDOUT, rules)
  const hBoth = scoreGolden(HOLDOUT, combined)
  return {
    splitQueries: split.length,
    splitTaskPctRules: sRules.taskPct,
    splitTaskPct: sBoth.taskPct,
    splitTierPctRules: sRules.tierPct,
    splitTierPct: sBoth.tierPct,
    splitQualityRecallRules: sRules.qualityRecallPct,
    splitQualityRecall: sBoth.qualityRecallPct,
    splitTargetTierPct: sBoth.targetTierPct,
    splitTierPctAdjudicated: sAdjudicated.tierPct,
    splitQualityRecallAdjudicated: sAdjudicated.qualityRecallPct,
    goldenQueries: gBoth.queries,
    goldenTaskPctRules: gRules.taskPct,
    goldenTaskPct: gBoth.taskPct,
    goldenClearCutTierRules: gRules.clearCutTierPct,
    goldenClearCutTierPct: gBoth.clearCutTierPct,
    goldenTierPctRules: gRules.tierPct,
    goldenTierPct: gBoth.tierPct,
    holdoutQueries: hBoth.queries,
    holdoutTaskPctRules: hRules.taskPct,
    holdoutTaskPct: hBoth.taskPct,
    holdoutClearCutTierRules: hRules.clearCutTierPct,
    holdoutClearCutTierPct: hBoth.clearCutTierPct,
    holdoutTierPctRules: hRules.tierPct,
    holdoutTierPct: hBoth.tierPct,
  }
}
