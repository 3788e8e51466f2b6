/**
 * A scenario's `learning` section (scenarios/learning.yaml): which hidden ground truth the load
 * tester draws feedback from, how many answers get rated, and how drift recovery is measured.
 * With it, a run compares learned routing (`learning.mode: on`) with the static rules (`off`) on
 * the same trace instead of comparing scheduling policies (loadtest/learning/run-learning.ts).
 */
import { Schema } from "effect"
import { PositiveInt, Probability, withDefault } from "../../src/config/schema-parts.js"

export const LearningSettings = Schema.Struct({
  /** The ground truth file (relative to the scenario file); `--ground-truth` overrides it. */
  groundTruth: Schema.String,
  /** Share of answers the simulated users rate (the rest teach only that they validated). */
  feedbackRate: Probability.pipe(withDefault(1)),
  /** Drift recovery is judged over this many consecutive requests of the drift's task… */
  recoveryWindow: PositiveInt.pipe(withDefault(50)),
  /** …of which at least this share must have left the degraded model. */
  recoveryShare: Probability.pipe(withDefault(0.8)),
})
export type LearningSettings = typeof LearningSettings.Type
