/**
 * `npm run train:router`: trains the routing classifier offline and writes the shipped weights
 * (`data/routing/model.json`) and the training report (`data/routing/training-report.md`).
 *   1. Load the corpus (or `--data FILE…`, same JSONL format) and its split (`--split`).
 *   2. Featurise every row exactly as the router does.
 *   3. Tune on the validation split only: the L2 strength of each head (a small grid), then a
 *      shift of the tier thresholds that maximises mean per-tier recall, then the temperatures.
 *   4. Fit on the train split with the chosen settings, quantise, and score the test split —
 *      once, for the report; nothing is chosen from it. Leave-one-author-out: refit on every
 *      other source's train+validation rows (near copies of the held-out source removed) and
 *      score the held-out source's rows.
 *   5. Record fixed inputs with this script's own predictions, which the TypeScript inference is
 *      tested against (test/routing/classifier.test.ts).
 * Deterministic: the same corpus, split and options give the same bytes.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { TASK_TYPES } from "../../src/domain/task.js"
import { complexityOf } from "../../src/routing/classifier.js"
import { type LabelledQuery, loadCorpus } from "./corpus.js"
import { columnsOf, csrOf, type Featurised, featuriseRows } from "./dataset.js"
import { groupsOf, nearCopyPairs } from "./dedupe.js"
import { evaluate, macroTierRecall } from "./evaluate.js"
import {
  calibrate,
  type FittedModel,
  fitModel,
  fitTask,
  fitTier,
  quantise,
  scoreRows,
  taskProbs,
  tierProbs,
} from "./model.js"
import { CORPUS_FILES, FIXES_FILE, MODEL_FILE, REPORT_FILE, SPLIT_FILE } from "./paths.js"
import { renderReport } from "./report.js"
import { makeSplit, type Side, SPLIT_OPTIONS } from "./split.js"

export const BITS = 17
const MAX_ITER = 150
const TASK_LAMBDAS = [3e-7, 1e-6, 3e-6, 1e-5]
const TIER_LAMBDAS = [3e-6, 1e-5, 3e-5]

/** Inputs whose predictions the inference test checks (a mix of tasks, tiers and lengths). */
export const FIXTURE_TEXTS = [
  "What is the capital of France?",
  "Define recursion",
  "How do I install numpy?",
  "Explain how quicksort works and compare it to mergesort",
  "Write a Python function to validate email addresses",
  "Summarise the key findings from these 3 research papers",
  "Analyse the architectural trade-offs between microservices and monoliths for a fintech startup, considering scalability, team structure, and regulatory compliance",
  "Compare the reasoning capabilities of transformer-based models versus recursive neural networks, synthesising findings from recent papers",
  "Design a distributed caching system for a social network handling 100M users, explaining design decisions step-by-step",
  "weather in lisbon tmrw?",
  "rewrite as a search query: best laptop for ml under 1500",
  `Context:\n[1] ${"The warranty covers parts and labour for two years from the date of purchase. ".repeat(20)}\nQuestion: how long is the warranty?`,
  "```python\ndef f(x):\n    return x +\n```\nwhy does this fail?",
  "Ünïcödé — “quotes” and emoji 🎉: write a haiku about autumn",
]

const now = () => performance.now()

const main = () => {
  const { values } = parseArgs({
    options: {
      data: { type: "string", multiple: true },
      split: { type: "string" },
      out: { type: "string" },
      report: { type: "string" },
      "no-loao": { type: "boolean" },
    },
  })
  const started = now()
  const custom = values.data !== undefined
  const rows = loadCorpus(values.data ?? CORPUS_FILES, custom ? undefined : FIXES_FILE)
  const splitFile = values.split ?? (custom ? undefined : SPLIT_FILE)
  const side = sidesOf(rows, splitFile)
  const log = (s: string) => process.stdout.write(`${s}\n`)
  log(`${rows.length} labelled queries from ${new Set(rows.map((r) => r.source)).size} sources`)

  const all = featuriseRows(rows, BITS)
  const pick = (s: Side) => all.filter((_, i) => side[i] === s)
  const train = pick("train")
  const validation = pick("validation")
  const testRows = pick("test")
  log(`train ${train.length}, validation ${validation.length}, test ${testRows.length}`)

  // ---- tuning, on validation only
  const columns = columnsOf(train)
  const m = csrOf(train, columns)
  const tuning: Array<{ head: string; lambda: number; score: number }> = []
  let bestTask = { lambda: TASK_LAMBDAS[0] as number, score: -1 }
  for (const lambda of TASK_LAMBDAS) {
    const task = fitTask(m, train, lambda, MAX_ITER)
    const model = { ...placeholder(columns), task }
    const score = evaluate(model, validation).taskAccuracy
    tuning.push({ head: "task", lambda, score })
    log(`  task λ=${lambda}: validation accuracy ${(100 * score).toFixed(1)}%`)
    if (score > bestTask.score) bestTask = { lambda, score }
  }
  let bestTier = { lambda: TIER_LAMBDAS[0] as number, score: -1 }
  for (const lambda of TIER_LAMBDAS) {
    const { tier, thresholds } = fitTier(train, columns, lambda, MAX_ITER)
    const score = evaluate({ ...placeholder(columns), tier, thresholds }, validation).tierAccuracy
    tuning.push({ head: "tier", lambda, score })
    log(`  tier λ=${lambda}: validation accuracy ${(100 * score).toFixed(1)}%`)
    if (score > bestTier.score) bestTier = { lambda, score }
  }

  // ---- the model: fit on train with the chosen settings
  let model = fitModel(train, {
    bits: BITS,
    taskLambda: bestTask.lambda,
    tierLambda: bestTier.lambda,
    maxIter: MAX_ITER,
  })
  const shift = tierShift(model, validation)
  model = { ...model, thresholds: [model.thresholds[0] + shift[0], model.thresholds[1] + shift[1]] }
  model = calibrate(model, validation)
  log(
    `chosen: task λ=${bestTask.lambda}, tier λ=${bestTier.lambda}, threshold shift [${shift.join(", ")}], temperatures ${model.taskTemperature.toFixed(3)} / ${model.tierTemperature.toFixed(3)}`,
  )

  // ---- leave one author (source) out
  const loao = values["no-loao"]
    ? []
    : leaveOneSourceOut(rows, all, side, bestTask.lambda, bestTier.lambda, shift, log)

  // ---- quantise; score validation and test as the router will
  const training = {
    corpus: { rows: rows.length, train: train.length, validation: validation.length, test: testRows.length },
    options: {
      bits: BITS,
      maxIter: MAX_ITER,
      taskLambda: bestTask.lambda,
      tierLambda: bestTier.lambda,
      thresholdShift: shift,
    },
  }
  const draft = quantise(model, training)
  const shipped = draft.model
  const valEval = evaluate(shipped, validation)
  const testEval = evaluate(shipped, testRows)
  log(
    `test: task ${(100 * testEval.taskAccuracy).toFixed(1)}%, tier ${(100 * testEval.tierAccuracy).toFixed(1)}%, quality recall ${(100 * testEval.qualityRecall).toFixed(1)}%`,
  )
  const fixtures = fixturesOf(shipped)
  const summary = {
    ...training,
    validation: {
      task: valEval.taskAccuracy,
      tier: valEval.tierAccuracy,
      qualityRecall: valEval.qualityRecall,
    },
    test: { task: testEval.taskAccuracy, tier: testEval.tierAccuracy, qualityRecall: testEval.qualityRecall },
    fixtures,
  }
  const file = { ...draft.file, training: summary }
  const out = values.out ?? MODEL_FILE
  writeFileSync(out, `${JSON.stringify(file)}\n`)
  const seconds = (now() - started) / 1000
  const report = renderReport({
    rows,
    side,
    tuning,
    chosen: { taskLambda: bestTask.lambda, tierLambda: bestTier.lambda, shift, model },
    validation: valEval,
    test: testEval,
    loao,
    bytes: Buffer.byteLength(JSON.stringify(file)),
    seconds,
    sparseColumns: columns.sparseCols,
  })
  writeFileSync(values.report ?? REPORT_FILE, report)
  log(`wrote ${out} and ${values.report ?? REPORT_FILE} in ${seconds.toFixed(0)} s`)
}

/** A model with zero weights and unit temperatures over `columns`, to score one head at a time. */
const placeholder = (columns: ReturnType<typeof columnsOf>): FittedModel => ({
  bits: BITS,
  columns,
  task: new Float64Array(columns.cols * TASK_TYPES.length),
  tier: new Float64Array(columns.cols),
  thresholds: [0, 1],
  taskTemperature: 1,
  tierTemperature: 1,
})

/** The split's side for each row; a custom data set without a split gets a fresh seeded one. */
const sidesOf = (rows: ReadonlyArray<LabelledQuery>, splitFile: string | undefined): Side[] => {
  if (splitFile === undefined) {
    const groups = groupsOf(rows.length, nearCopyPairs(rows.map((r) => r.text)))
    return makeSplit(rows, groups, new Set(), SPLIT_OPTIONS)
  }
  if (!existsSync(splitFile)) throw new Error(`${splitFile}: no split; run npm run split:router`)
  const split = JSON.parse(readFileSync(splitFile, "utf8")) as Record<Side, string[]>
  const of = new Map<string, Side>()
  for (const s of ["train", "validation", "test"] as const) for (const id of split[s]) of.set(id, s)
  return rows.map((r) => {
    const s = of.get(r.id)
    if (s === undefined)
      throw new Error(`${splitFile}: row ${r.id} is in no side; rebuild with npm run split:router -- --force`)
    return s
  })
}

/** Threshold shifts (latent units) maximising mean per-tier recall on validation. */
const tierShift = (model: FittedModel, validation: ReadonlyArray<Featurised>): [number, number] => {
  const tiered = validation.filter((f) => f.tier >= 0)
  const s = scoreRows(model, tiered)
  const latent = [...s.latent]
  const labels = tiered.map((f) => f.tier)
  let best: [number, number] = [0, 0]
  let score = macroTierRecall(latent, labels, model.thresholds)
  for (let a = -10; a <= 10; a++) {
    for (let b = -10; b <= 10; b++) {
      const th: [number, number] = [model.thresholds[0] + a * 0.05, model.thresholds[1] + b * 0.05]
      if (!(th[0] < th[1])) continue
      const sc = macroTierRecall(latent, labels, th)
      if (sc > score + 1e-9) {
        score = sc
        best = [Math.round(a * 5) / 100, Math.round(b * 5) / 100]
      }
    }
  }
  return best
}

export interface SourceResult {
  readonly source: string
  readonly n: number
  readonly task: number
  readonly tier: number
  readonly qualityRecall: number
}

const leaveOneSourceOut = (
  rows: ReadonlyArray<LabelledQuery>,
  all: ReadonlyArray<Featurised>,
  side: ReadonlyArray<Side>,
  taskLambda: number,
  tierLambda: number,
  shift: readonly [number, number],
  log: (s: string) => void,
): SourceResult[] => {
  const groups = groupsOf(rows.length, nearCopyPairs(rows.map((r) => r.text)))
  const sources = [...new Set(rows.map((r) => r.source))].sort()
  return sources.map((source) => {
    const heldGroups = new Set(rows.flatMap((r, i) => (r.source === source ? [groups[i]] : [])))
    const train = all.filter(
      (_, i) => side[i] !== "test" && rows[i]?.source !== source && !heldGroups.has(groups[i]),
    )
    const held = all.filter((_, i) => rows[i]?.source === source)
    const m = fitModel(train, { bits: BITS, taskLambda, tierLambda, maxIter: MAX_ITER })
    const e = evaluate({ ...m, thresholds: [m.thresholds[0] + shift[0], m.thresholds[1] + shift[1]] }, held)
    log(
      `  leave out ${source}: task ${(100 * e.taskAccuracy).toFixed(1)}%, tier ${(100 * e.tierAccuracy).toFixed(1)}%`,
    )
    return {
      source,
      n: held.length,
      task: e.taskAccuracy,
      tier: e.tierAccuracy,
      qualityRecall: e.qualityRecall,
    }
  })
}

export interface Fixture {
  readonly text: string
  readonly taskProbabilities: ReadonlyArray<number>
  readonly tierProbabilities: ReadonlyArray<number>
  readonly complexity: number
}

/** This script's own predictions on FIXTURE_TEXTS (through the CSR path, not the router's). */
const fixturesOf = (model: FittedModel): Fixture[] => {
  const rows = FIXTURE_TEXTS.map((text, i) => ({
    id: `fixture:${i}`,
    source: "fixture",
    text,
    task: "general_qa" as const,
    tier: null,
    needs: [],
    domain: "other",
    style: "",
  }))
  const f = featuriseRows(rows, model.bits)
  const s = scoreRows(model, f)
  return FIXTURE_TEXTS.map((text, r) => ({
    text,
    taskProbabilities: taskProbs(s, r, model.taskTemperature),
    tierProbabilities: tierProbs(model, s, r),
    complexity: complexityOf(s.latent[r] as number, model.thresholds),
  }))
}

main()
