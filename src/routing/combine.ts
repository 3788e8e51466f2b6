/**
 * Rules and model together (decision 16). The rules keep every hard signal: capabilities asked
 * for (`requires`: tool schemas, images), vision cues, overrides, personas and the matching
 * constraints are applied elsewhere and never see the model. Here the task and the complexity
 * are decided:
 *   task       — the model's, except where a hard signal in the request settles it (retrieved
 *                documents make a question — general_qa, reasoning — a rag_query; a fenced code
 *                block makes one code_generation) or the rules are decisive and the model is
 *                not sure (the rules' task scores ≥ DECISIVE_RULE_SCORE, one decisive signal, and
 *                the model's top probability < UNSURE_MODEL): explicit, formulaic requests
 *                ("Compare X and Y", "Summarise …") are what the rules were written for and what
 *                the corpus, told to avoid formulaic openings, has least of; without a model,
 *                the rules';
 *   complexity — the model's (its tier probabilities on the 0–10 scale, see classifier.ts) plus
 *                a share of what the request's context adds by the rules (retrieved documents, a
 *                required context window); without a model, the rules'.
 * Hard needs are not decided here: they stay the rules' (router.ts).
 * The breakdown keeps both verdicts so the explanation can show them side by side.
 */
import type { ModelBreakdown, RoutingContext } from "../domain/decision.js"
import { TASK_TYPES, type TaskType } from "../domain/task.js"
import { TIERS } from "../domain/tier.js"
import type { ModelVerdict } from "./classifier.js"
import type { Classification } from "./classify.js"
import type { ComplexityResult } from "./complexity.js"

export interface Combined {
  readonly task: TaskType
  readonly confidence: number
  readonly complexity: number
  readonly model?: ModelBreakdown
}

const QUESTION_TASKS: ReadonlySet<TaskType> = new Set(["general_qa", "reasoning", "rag_query"])
/**
 * The gate between rules and model, chosen on the corpus validation split and the router's golden
 * set together (equal weight; docs/routing.md has the grid). Never on the test split.
 */
export const DECISIVE_RULE_SCORE = 2.5
export const UNSURE_MODEL = 0.7
/**
 * The share of the rules' complexity for the request context (retrieved documents, a required
 * window) added to the model's: the text already names its material ("these 30 trial
 * reports"), so all of it double-counts. Chosen on the golden set (0, ½, 1 tried; ½ best).
 */
export const CONTEXT_SHARE = 0.5
const round3 = (x: number) => Math.round(x * 1000) / 1000
const round2 = (x: number) => Math.round(x * 100) / 100

/**
 * `rules`/`rulesCx` are the rules' verdicts with the request context; `plainCx` without it (the
 * text alone, what the model was given), so their difference is what the context adds.
 */
export const combine = (
  rules: Classification,
  rulesCx: ComplexityResult,
  plainCx: ComplexityResult,
  verdict: ModelVerdict | undefined,
  context: RoutingContext | undefined,
  hasCodeBlock: boolean,
  source: string | undefined,
): Combined => {
  if (verdict === undefined)
    return { task: rules.type, confidence: rules.confidence, complexity: rulesCx.total }
  let task = verdict.task
  let taskUsed: ModelBreakdown["used"]["task"] = "model"
  let top = 0
  for (const p of verdict.taskProbabilities) if (p > top) top = p
  let ruleScore = 0
  for (const s of rules.scores) if (s.task === rules.type) ruleScore = s.score
  if (rules.type !== task && ruleScore >= DECISIVE_RULE_SCORE && top < UNSURE_MODEL) {
    task = rules.type
    taskUsed = "rules: decisive signals"
  }
  if ((context?.retrievedDocs ?? 0) > 0 && QUESTION_TASKS.has(task)) {
    if (task !== "rag_query") taskUsed = "rule: retrieved documents"
    task = "rag_query"
  } else if (hasCodeBlock && (task === "general_qa" || task === "reasoning")) {
    task = "code_generation"
    taskUsed = "rule: code block"
  }
  const contextAdds = CONTEXT_SHARE * Math.max(0, rulesCx.total - plainCx.total)
  const complexity = round2(Math.min(10, verdict.complexity + contextAdds))
  const taskProbabilities = {} as Record<TaskType, number>
  for (let i = 0; i < TASK_TYPES.length; i++)
    taskProbabilities[TASK_TYPES[i] as TaskType] = round3(verdict.taskProbabilities[i] as number)
  const tp = verdict.tierProbabilities
  const model: ModelBreakdown = {
    source: source ?? "model",
    task: { type: verdict.task, probabilities: taskProbabilities },
    tier: {
      type: verdict.tier,
      probabilities: {
        [TIERS[0]]: round3(tp[0]),
        [TIERS[1]]: round3(tp[1]),
        [TIERS[2]]: round3(tp[2]),
      } as ModelBreakdown["tier"]["probabilities"],
      complexity: verdict.complexity,
    },
    rules: { task: rules.type, complexity: rulesCx.total },
    used: { task: taskUsed, complexity: contextAdds > 0 ? "model + request context" : "model" },
  }
  const p = verdict.taskProbabilities[TASK_TYPES.indexOf(task)] as number
  // The model's calibrated probability; the rules' confidence when they decided; a hard signal is certain.
  const confidence =
    taskUsed === "model"
      ? round2(Math.max(0.01, p))
      : taskUsed === "rules: decisive signals"
        ? rules.confidence
        : 1
  return { task, confidence, complexity, model }
}
