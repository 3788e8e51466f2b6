/**
 * Scores a fitted model on labelled rows: task and tier predictions (the tier from the latent
 * score through the 0–10 complexity scale, exactly as the router does), confusion matrices,
 * quality-tier recall and reliability of the calibrated confidences.
 */
import { TASK_TYPES } from "../../src/domain/task.js"
import { TIERS } from "../../src/domain/tier.js"
import { complexityOf } from "../../src/routing/classifier.js"
import type { Featurised } from "./dataset.js"
import { accuracy, type Confusion, confusion, recall, reliability } from "./metrics.js"
import { type FittedModel, scoreRows, taskProbs, tierProbs } from "./model.js"

export const tierFromLatent = (latent: number, thresholds: readonly [number, number]): number => {
  const c = complexityOf(latent, thresholds)
  return c >= 7 ? 2 : c >= 3.5 ? 1 : 0
}

export interface Evaluation {
  readonly n: number
  readonly tiered: number
  readonly task: Confusion
  readonly tier: Confusion
  readonly taskAccuracy: number
  readonly tierAccuracy: number
  readonly qualityRecall: number
  readonly taskReliability: ReturnType<typeof reliability>
  readonly tierReliability: ReturnType<typeof reliability>
}

export const evaluate = (model: FittedModel, rows: ReadonlyArray<Featurised>): Evaluation => {
  const s = scoreRows(model, rows)
  const truth: number[] = []
  const pred: number[] = []
  const conf: number[] = []
  const right: boolean[] = []
  const tTruth: number[] = []
  const tPred: number[] = []
  const tConf: number[] = []
  const tRight: boolean[] = []
  rows.forEach((f, r) => {
    const p = taskProbs(s, r, model.taskTemperature)
    let best = 0
    for (let k = 1; k < p.length; k++) if ((p[k] as number) > (p[best] as number)) best = k
    truth.push(f.task)
    pred.push(best)
    conf.push(p[best] as number)
    right.push(best === f.task)
    if (f.tier < 0) return
    const t = tierFromLatent(s.latent[r] as number, model.thresholds)
    const tp = tierProbs(model, s, r)
    tTruth.push(f.tier)
    tPred.push(t)
    // Confidence in the tier decided (the median tier), not in the likeliest one.
    tConf.push(tp[t] as number)
    tRight.push(t === f.tier)
  })
  const task = confusion(TASK_TYPES, truth, pred)
  const tier = confusion(TIERS, tTruth, tPred)
  return {
    n: rows.length,
    tiered: tTruth.length,
    task,
    tier,
    taskAccuracy: accuracy(task),
    tierAccuracy: accuracy(tier),
    qualityRecall: recall(tier, 2),
    taskReliability: reliability(conf, right),
    tierReliability: reliability(tConf, tRight),
  }
}

/** Mean recall over the three tiers (balanced accuracy): what the threshold shift maximises. */
export const macroTierRecall = (
  latent: ReadonlyArray<number>,
  labels: ReadonlyArray<number>,
  th: readonly [number, number],
): number => {
  const hit = [0, 0, 0]
  const all = [0, 0, 0]
  latent.forEach((s, i) => {
    const y = labels[i] as number
    all[y] = (all[y] as number) + 1
    if (tierFromLatent(s, th) === y) hit[y] = (hit[y] as number) + 1
  })
  return (
    ((hit[0] as number) / Math.max(1, all[0] as number) +
      (hit[1] as number) / Math.max(1, all[1] as number) +
      (hit[2] as number) / Math.max(1, all[2] as number)) /
    3
  )
}
