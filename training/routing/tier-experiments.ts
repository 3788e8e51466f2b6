/**
 * Validation-only experiments on the classifier's tier head (round 4, docs/routing.md): trains
 * the hidden-layer model of mlp.ts (the network alone, no linear heads) with one variant for
 * several seeds and prints, per epoch, the seeds' mean validation task accuracy, tier accuracy
 * and quality-tier recall with the tier-threshold shift that train.ts would pick (best mean
 * per-tier recall among the shifts serving the design notes' nine examples), on all of validation
 * and on its round-1 authors (a–f, the authors of the test side). Never reads the test side.
 * Variants: `--tier-weight`, `--smoothing` (ordinal label smoothing), `--hidden`, `--dropout`,
 * `--swa N` (the running average of the weights from epoch N), `--distil W` (out-of-fold teacher
 * tier probabilities mixed into the targets at weight W), `--ensemble` (average of the seeds'
 * outputs, the cost of several networks at inference), `--per-task` (per-task threshold shifts,
 * two-fold cross-validated within validation against one global shift). Run:
 *   nice -n 19 npx tsx training/routing/tier-experiments.ts --seeds 14,15,16 --tier-weight 2
 */
import { existsSync, readFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { loadCorpus } from "./corpus.js"
import { featuriseRows } from "./dataset.js"
import { type Evaluation, evaluate, macroTierRecall, tierFromLatent } from "./evaluate.js"
import { referenceRows } from "./fixtures.js"
import { fitMlp, type Mlp, type MlpOptions, snapshot } from "./mlp.js"
import { type FittedModel, scoreRows, withTemperatures } from "./model.js"
import { CORPUS_FILES, FIXES_FILE, SPLIT_FILE } from "./paths.js"

/** The table size of the shipped model (train.ts). */
const BITS = 16

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "14,15,16" },
    epochs: { type: "string", default: "12" },
    from: { type: "string", default: "6" },
    dropout: { type: "string", default: "0.5" },
    hidden: { type: "string", default: "32" },
    "tier-weight": { type: "string", default: "1" },
    smoothing: { type: "string", default: "0" },
    swa: { type: "string" },
    distil: { type: "string" },
    ensemble: { type: "boolean" },
    "per-task": { type: "boolean" },
  },
})
const seeds = values.seeds.split(",").map(Number)
const options: MlpOptions = {
  bits: BITS,
  hidden: Number(values.hidden),
  epochs: Number(values.epochs),
  batch: 32,
  learningRate: 0.003,
  weightDecay: 0,
  dropout: Number(values.dropout),
  tierWeight: Number(values["tier-weight"]),
  tierSmoothing: Number(values.smoothing),
  seed: 14,
}
const from = Number(values.from)
const pct = (x: number) => (100 * x).toFixed(1)
const log = (s: string) => process.stdout.write(`${s}\n`)

// ---- train and validation rows only
if (!existsSync(SPLIT_FILE)) throw new Error(`${SPLIT_FILE}: no split; run npm run split:router`)
const split = JSON.parse(readFileSync(SPLIT_FILE, "utf8")) as { train: string[]; validation: string[] }
const trainIds = new Set(split.train)
const validationIds = new Set(split.validation)
const rows = loadCorpus(CORPUS_FILES, FIXES_FILE).filter((r) => trainIds.has(r.id) || validationIds.has(r.id))
const all = featuriseRows(rows, BITS)
const train = all.filter((f) => trainIds.has(f.row.id))
const validation = all.filter((f) => validationIds.has(f.row.id))
const ROUND_1 = new Set(["author-a", "author-b", "author-c", "author-d", "author-e", "author-f"])
const validationRound1 = validation.filter((f) => ROUND_1.has(f.row.source))
const reference = featuriseRows(referenceRows(), BITS)

const GRID = Array.from({ length: 21 }, (_, i) => (i - 10) * 0.05)

/** train.ts's shift rule on latent scores: best mean per-tier recall serving the reference rows. */
const shiftFor = (
  latent: ReadonlyArray<number>,
  labels: ReadonlyArray<number>,
  refLatent: ReadonlyArray<number>,
  thresholds: readonly [number, number],
): [number, number] => {
  // No shift serving the reference rows: the thresholds as trained.
  let best: [number, number] = [thresholds[0], thresholds[1]]
  let score = Number.NEGATIVE_INFINITY
  for (const a of GRID)
    for (const b of GRID) {
      const th: [number, number] = [thresholds[0] + a, thresholds[1] + b]
      if (!(th[0] < th[1])) continue
      if (!reference.every((f, i) => tierFromLatent(refLatent[i] as number, th) === f.tier)) continue
      const s = macroTierRecall(latent, labels, th)
      if (s > score + 1e-9) {
        score = s
        best = th
      }
    }
  return best
}

const tiered = validation.filter((f) => f.tier >= 0)
const tierLabels = tiered.map((f) => f.tier)

/** The model with train.ts's threshold shift, scored on validation and its round-1 rows. */
const scoreShifted = (m: Mlp): readonly [Evaluation, Evaluation] => {
  const fm = withTemperatures(m)
  const th = shiftFor(
    [...scoreRows(fm, tiered).latent],
    tierLabels,
    [...scoreRows(fm, reference).latent],
    fm.thresholds,
  )
  const shifted: FittedModel = { ...fm, thresholds: th }
  return [evaluate(shifted, validation), evaluate(shifted, validationRound1)]
}

const line = (label: string, es: ReadonlyArray<readonly [Evaluation, Evaluation]>) => {
  const mean = (f: (e: readonly [Evaluation, Evaluation]) => number) =>
    pct(es.reduce((s, e) => s + f(e), 0) / es.length)
  log(
    `${label}: validation task ${mean((e) => e[0].taskAccuracy)} tier ${mean((e) => e[0].tierAccuracy)} quality recall ${mean((e) => e[0].qualityRecall)} | a–f ${mean((e) => e[1].taskAccuracy)} / ${mean((e) => e[1].tierAccuracy)} / ${mean((e) => e[1].qualityRecall)} | per seed tier ${es.map((e) => pct(e[0].tierAccuracy)).join(" ")}`,
  )
}

/** Running average of the weights (stochastic weight averaging), into `acc` (n models so far). */
const averageInto = (acc: Mlp, m: Mlp, n: number): void => {
  const blend = (a: Mlp["sparse"], b: Mlp["sparse"]) => {
    for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) + ((b[i] as number) - (a[i] as number)) / n
  }
  blend(acc.sparse, m.sparse)
  blend(acc.dense, m.dense)
  blend(acc.bias, m.bias)
  blend(acc.out, m.out)
  blend(acc.outBias, m.outBias)
  acc.thresholds[0] += (m.thresholds[0] - acc.thresholds[0]) / n
  acc.thresholds[1] += (m.thresholds[1] - acc.thresholds[1]) / n
}

/** Out-of-fold tier probabilities on the training rows (five folds, the same options). */
const teacher = (): Array<readonly [number, number, number]> => {
  const folds = 5
  const soft: Array<readonly [number, number, number]> = train.map(() => [0, 0, 0])
  for (let k = 0; k < folds; k++) {
    const m = fitMlp(
      train.filter((_, i) => i % folds !== k),
      { ...options, seed: 21, epochs: 9 },
    )
    const held = train.flatMap((f, i) => (i % folds === k ? [[f, i] as const] : []))
    const latent = scoreRows(
      m,
      held.map(([f]) => f),
    ).latent
    held.forEach(([, i], r) => {
      const s0 = 1 / (1 + Math.exp((latent[r] as number) - m.thresholds[0]))
      const s1 = 1 / (1 + Math.exp((latent[r] as number) - m.thresholds[1]))
      soft[i] = [s0, s1 - s0, 1 - s1]
    })
  }
  return soft
}

const started = performance.now()
log(
  `train ${train.length}, validation ${validation.length} (a–f ${validationRound1.length}); ${JSON.stringify(values)}`,
)
const soft = values.distil === undefined ? undefined : teacher()
const perEpoch = new Map<number, Array<readonly [Evaluation, Evaluation]>>()
const swaFrom = values.swa === undefined ? 0 : Number(values.swa)
const finals: FittedModel[] = []
for (const seed of seeds) {
  let acc: Mlp | undefined
  let averaged = 0
  const m = fitMlp(
    train,
    {
      ...options,
      seed,
      ...(soft === undefined ? {} : { softTier: soft, softWeight: Number(values.distil) }),
    },
    (epoch, model) => {
      let use = model
      if (swaFrom > 0 && epoch >= swaFrom) {
        averaged++
        if (acc === undefined) acc = snapshot(model)
        else averageInto(acc, model, averaged)
        use = acc
      }
      if (epoch >= from) perEpoch.set(epoch, [...(perEpoch.get(epoch) ?? []), scoreShifted(use)])
    },
  )
  finals.push(withTemperatures(acc ?? m))
}
for (const [epoch, es] of perEpoch) line(`epoch ${epoch}`, es)

if (values.ensemble) {
  // The seeds' outputs averaged (what several networks would cost at inference), train.ts's shift.
  const latent = new Float64Array(tiered.length)
  const refLatent = new Float64Array(reference.length)
  const th: [number, number] = [0, 0]
  finals.forEach((m, n) => {
    scoreRows(m, tiered).latent.forEach((x, i) => {
      latent[i] = (latent[i] as number) + x
    })
    scoreRows(m, reference).latent.forEach((x, i) => {
      refLatent[i] = (refLatent[i] as number) + x
    })
    th[0] += m.thresholds[0]
    th[1] += m.thresholds[1]
    const k = n + 1
    const lat = [...latent].map((x) => x / k)
    const shift = shiftFor(
      lat,
      tierLabels,
      [...refLatent].map((x) => x / k),
      [th[0] / k, th[1] / k],
    )
    let hits = 0
    lat.forEach((x, i) => {
      if (tierFromLatent(x, shift) === tierLabels[i]) hits++
    })
    log(`ensemble of ${k}: validation tier ${pct(hits / lat.length)}`)
  })
}

if (values["per-task"]) {
  // Per-task threshold shifts (by the predicted task), two-fold cross-validated within validation.
  for (const m of finals) {
    const s = scoreRows(m, tiered)
    const K = s.task.length / tiered.length
    const predicted = tiered.map((_, r) => {
      let b = 0
      for (let k = 1; k < K; k++) if ((s.task[r * K + k] as number) > (s.task[r * K + b] as number)) b = k
      return b
    })
    const hits = (idx: ReadonlyArray<number>, th: readonly [number, number]) => {
      let h = 0
      for (const i of idx) if (tierFromLatent(s.latent[i] as number, th) === tierLabels[i]) h++
      return h
    }
    const fitted = (idx: ReadonlyArray<number>): [number, number] => {
      let best: [number, number] = m.thresholds
      let score = Number.NEGATIVE_INFINITY
      for (let a = -12; a <= 12; a++)
        for (let b = -12; b <= 12; b++) {
          const th: [number, number] = [m.thresholds[0] + a * 0.1, m.thresholds[1] + b * 0.1]
          if (!(th[0] < th[1])) continue
          const sc = hits(idx, th) - 0.01 * (Math.abs(a) + Math.abs(b))
          if (sc > score) {
            score = sc
            best = th
          }
        }
      return best
    }
    const index = tiered.map((_, i) => i)
    let global = 0
    let perTask = 0
    for (let fold = 0; fold < 2; fold++) {
      const fit = index.filter((i) => i % 2 !== fold)
      const held = index.filter((i) => i % 2 === fold)
      global += hits(held, fitted(fit))
      for (let k = 0; k < K; k++)
        perTask += hits(
          held.filter((i) => predicted[i] === k),
          fitted(fit.filter((i) => predicted[i] === k)),
        )
    }
    log(
      `per-task thresholds (2-fold within validation): global shift ${pct(global / index.length)}, per-task shifts ${pct(perTask / index.length)}`,
    )
  }
}
log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`)
