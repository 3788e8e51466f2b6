/**
 * The training report (`data/routing/training-report.md`): what was trained on, what tuning
 * tried and chose (validation only), and the held-out numbers — test-split accuracy, confusion
 * matrices, quality-tier recall, reliability tables, leave-one-author-out — plus size and time.
 */
import { TIERS } from "../../src/domain/tier.js"
import type { LabelledQuery } from "./corpus.js"
import type { Evaluation } from "./evaluate.js"
import type { LinearOptions } from "./linear.js"
import { pct, renderConfusion, renderReliability } from "./metrics.js"
import type { MlpOptions } from "./mlp.js"
import type { FittedModel } from "./model.js"
import type { Side } from "./split.js"
import type { LinearTuningRow, MixTuningRow, SourceResult, TuningRow } from "./train.js"

export interface ReportInput {
  readonly rows: ReadonlyArray<LabelledQuery>
  readonly side: ReadonlyArray<Side | "dropped">
  readonly tuning: ReadonlyArray<TuningRow>
  readonly linearTuning: ReadonlyArray<LinearTuningRow>
  readonly mixTuning: ReadonlyArray<MixTuningRow>
  readonly chosen: {
    dropout: number
    epochs: number
    linear: LinearOptions
    mix: number
    shift: readonly [number, number]
    model: FittedModel
  }
  readonly validation: Evaluation
  readonly test: Evaluation
  readonly loao: ReadonlyArray<SourceResult>
  readonly bytes: number
  readonly seconds: number
  readonly options: MlpOptions
  /** Whose tiers trained and scored the model: the adjudicated ones or the authors' own. */
  readonly labels: "adjudicated" | "authors"
}

const block = (s: string) => `\`\`\`\n${s}\n\`\`\``

export const renderReport = (r: ReportInput): string => {
  const count = (s: Side | "dropped") => r.side.filter((x) => x === s).length
  const m = r.chosen.model
  const lines = [
    "# Routing classifier — training report",
    "",
    "Written by `npm run train:router` (training/routing/train.ts); do not edit by hand.",
    "",
    "## Data",
    "",
    `${r.rows.length} labelled queries (${[...new Set(r.rows.map((x) => x.source))].join(", ")}); train ${count("train")}, validation ${count("validation")}, test ${count("test")}, left out ${count("dropped")} (data/routing/split.json). ${r.labels === "adjudicated" ? "Tiers: adjudicated (the tier at least two of the author and the blind relabellers give; data/routing/tier-votes.jsonl). " : ""}Rows without a tier (${r.rows.filter((x) => x.tier === null).length}) train the task head only.`,
    "",
    "## Tuning (validation split only)",
    "",
    `One hidden layer of ${r.options.hidden} ReLU units over 2^${r.options.bits} hashed rows and the dense features; Adam (learning rate ${r.options.learningRate}, batches of ${r.options.batch}, weight decay ${r.options.weightDecay}), tier loss weight ${r.options.tierWeight}, seed ${r.options.seed}. Validation task / tier accuracy after each epoch, per dropout rate:`,
    "",
    `| dropout | ${[...new Set(r.tuning.map((t) => t.epochs))].map((e) => `${e}`).join(" | ")} |`,
    `| --- | ${[...new Set(r.tuning.map((t) => t.epochs))].map(() => "---").join(" | ")} |`,
    ...[...new Set(r.tuning.map((t) => t.dropout))].map(
      (d) =>
        `| ${d} | ${r.tuning
          .filter((t) => t.dropout === d)
          .map((t) => `${(100 * t.task).toFixed(1)} / ${(100 * t.tier).toFixed(1)}`)
          .join(" | ")} |`,
    ),
    "",
    `Linear heads over the same features (softmax task head, cumulative-logit tier head, L2, L-BFGS ${r.chosen.linear.maxIter} iterations), the linear model alone on validation (its own thresholds):`,
    "",
    "| task λ | tier λ | task | tier |",
    "| --- | --- | --- | --- |",
    ...r.linearTuning.map((t) => `| ${t.taskLambda} | ${t.tierLambda} | ${pct(t.task)} | ${pct(t.tier)} |`),
    "",
    "The average of the two, network weight a (linear heads 1 − a; a = 1 is the network alone), on validation: with the threshold shift maximising mean per-tier recall, and with the best shift that also gives the design notes' nine examples their tier (the one a is chosen by):",
    "",
    "| a | shift | task | tier | quality recall | shift serving the examples | task | tier | quality recall |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...r.mixTuning.map(
      (t) =>
        `| ${t.a} | [${t.free.shift.join(", ")}] | ${pct(t.free.task)} | ${pct(t.free.tier)} | ${pct(t.free.qualityRecall)} | ${t.served === undefined ? "none | | | |" : `[${t.served.shift.join(", ")}] | ${pct(t.served.task)} | ${pct(t.served.tier)} | ${pct(t.served.qualityRecall)} |`}`,
    ),
    "",
    `Chosen (highest task + tier accuracy): dropout ${r.chosen.dropout}, ${r.chosen.epochs} epochs; linear λ ${r.chosen.linear.taskLambda} / ${r.chosen.linear.tierLambda}; network weight ${r.chosen.mix}; tier thresholds shifted by [${r.chosen.shift.join(", ")}] (latent units, maximising mean per-tier recall on validation among the shifts that serve the nine examples) to θ = [${m.thresholds.map((t) => t.toFixed(3)).join(", ")}]; temperatures fitted on validation: task ${m.taskTemperature.toFixed(3)}, tier ${m.tierTemperature.toFixed(3)}.`,
    "",
    "## Held-out test split",
    "",
    `| | task | tier | quality-tier recall |`,
    `| --- | --- | --- | --- |`,
    `| validation (${r.validation.n}) | ${pct(r.validation.taskAccuracy)} | ${pct(r.validation.tierAccuracy)} | ${pct(r.validation.qualityRecall)} |`,
    `| **test (${r.test.n}; ${r.test.tiered} with a tier)** | **${pct(r.test.taskAccuracy)}** | **${pct(r.test.tierAccuracy)}** | **${pct(r.test.qualityRecall)}** |`,
    "",
    "Task confusion (test):",
    "",
    block(renderConfusion(r.test.task)),
    "",
    "Tier confusion (test):",
    "",
    block(renderConfusion(r.test.tier)),
    "",
    "Calibration of the task head (test; top-class confidence, 10 bins; `#` accuracy, `|` mean confidence):",
    "",
    block(renderReliability(r.test.taskReliability)),
    "",
    "Calibration of the tier head (test):",
    "",
    block(renderReliability(r.test.tierReliability)),
    "",
  ]
  if (r.loao.length > 0) {
    lines.push(
      "## Leave one author out",
      "",
      "Refit on the train and validation rows of the other authors (near copies of the held-out author's rows removed), with the settings chosen above; scored on all of the held-out author's rows.",
      "",
      "| held out | rows | task | tier | quality recall |",
      "| --- | --- | --- | --- | --- |",
      ...r.loao.map(
        (s) => `| ${s.source} | ${s.n} | ${pct(s.task)} | ${pct(s.tier)} | ${pct(s.qualityRecall)} |`,
      ),
      `| mean | | ${pct(r.loao.reduce((a, s) => a + s.task, 0) / r.loao.length)} | ${pct(r.loao.reduce((a, s) => a + s.tier, 0) / r.loao.length)} | ${pct(r.loao.reduce((a, s) => a + s.qualityRecall, 0) / r.loao.length)} |`,
      "",
    )
  }
  lines.push(
    "## Output",
    "",
    `data/routing/model.json: ${(r.bytes / 1e6).toFixed(2)} MB (int8 sparse table 2^${m.bits} × ${m.hidden} with one scale per hidden unit; float32 dense rows, biases and the ${m.hidden} × 10 output layer over 9 tasks and the latent of ${TIERS.length} tiers${m.linear === undefined ? "" : `; the linear heads: int8 table 2^${m.bits} × 10 with one scale per output, float32 dense rows`}). Trained in ${r.seconds.toFixed(0)} s.`,
    "",
  )
  return lines.join("\n")
}
