/**
 * Validating an answer: the checks configured for its task type (`validation.default`, then
 * `validation.tasks.<task>`), plus the requested format. A failed validation makes the request
 * fall back to the next model. Checks never contradict the request: an answer in a requested
 * format is checked by that format (and for being empty or cut off), not by the prose and code
 * checks (repetition, refusal, codePresent) that JSON cannot be held to. Each failure says whom it
 * blames: the model (empty, cut off, degenerate, a refusal, no code, a call to a tool not
 * offered) or the request (the answer does not satisfy the requested format or a tool's argument
 * schema — which may be impossible to satisfy); health counts only the model's.
 */
import type { ValidationConfig, ValidationRule } from "../config/schema.js"
import type { ToolCall } from "../domain/events.js"
import type { TaskType } from "../domain/task.js"
import {
  checkCodePresent,
  checkNonEmpty,
  checkNotRefusal,
  checkNotTruncated,
  checkRepetition,
} from "./checks.js"
import type { CompiledFormat } from "./json-format.js"

/** The tools a request offered: their compiled argument schemas, and what had to be called. */
export interface OfferedTools {
  readonly schemas: ReadonlyMap<string, CompiledFormat | undefined>
  readonly required: "any" | string | undefined
}

export type ResolvedRule = Required<ValidationRule>

export interface AnswerToValidate {
  readonly text: string
  readonly doneReason: "stop" | "length"
  readonly taskType: TaskType
  readonly format: CompiledFormat | undefined
  /** The client capped the answer's length itself: stopping at the cap is what it asked for. */
  readonly lengthCapped: boolean
  /** The request asks for code to be written (asks-for-code.ts): else `codePresent` does not apply. */
  readonly codeAsked: boolean
  /** Calls the answer made, and the tools the request offered. */
  readonly toolCalls: ReadonlyArray<ToolCall>
  readonly tools: OfferedTools | undefined
}

export type ValidatorName =
  | "nonEmpty"
  | "truncated"
  | "repetition"
  | "refusal"
  | "codePresent"
  | "format"
  | "toolCall"

export interface ValidationFailure {
  readonly validator: ValidatorName
  readonly message: string
  /** Who the failure says something about (health counts the model's only). */
  readonly blame: "model" | "request"
}

/** Whom a failed validation blames: the request when every failure is the request's. */
export const blameOf = (failures: ReadonlyArray<ValidationFailure>): "model" | "request" =>
  failures.length > 0 && failures.every((f) => f.blame === "request") ? "request" : "model"

export interface ValidationResult {
  readonly ok: boolean
  readonly failures: ReadonlyArray<ValidationFailure>
}

/** Below this task confidence a task's own checks do not apply (see `ruleFor`). */
export const TASK_CHECKS_MIN_CONFIDENCE = 0.9

/**
 * The checks for an answer: the defaults, then the task's own — when the router is sure of the
 * task. A task-specific check (code present for a code task) on a doubtful classification would
 * fail good answers to a misread question on every model, and blame the models for the router's
 * doubt; below `TASK_CHECKS_MIN_CONFIDENCE` the default checks alone apply.
 */
export const ruleFor = (config: ValidationConfig, task: TaskType, confidence = 1): ResolvedRule => ({
  ...config.default,
  ...(confidence >= TASK_CHECKS_MIN_CONFIDENCE ? config.tasks[task] : {}),
})

/**
 * An answer that calls tools is checked on its calls (each names an offered tool, its arguments
 * match that tool's schema) and its length; the text checks apply to answers in text. A required
 * tool call (`toolChoice: required` or a named tool) that did not happen fails `toolCall`.
 */
export const validateAnswer = (answer: AnswerToValidate, rule: ResolvedRule): ValidationResult => {
  const failures: ValidationFailure[] = []
  const add = (
    validator: ValidatorName,
    message: string | undefined,
    blame: "model" | "request" = "model",
  ) => {
    if (message !== undefined) failures.push({ validator, message, blame })
  }
  if (answer.toolCalls.length > 0) {
    if (!rule.allowTruncated && !answer.lengthCapped) add("truncated", checkNotTruncated(answer.doneReason))
    for (const call of answer.toolCalls) {
      const problem = checkToolCall(call, answer.tools)
      if (problem !== undefined) add("toolCall", problem.message, problem.blame)
    }
    return { ok: failures.length === 0, failures }
  }
  const required = answer.tools?.required
  if (required !== undefined) {
    add(
      "toolCall",
      required === "any"
        ? "the answer called no tool (toolChoice: required)"
        : `the answer did not call ${required} (toolChoice names it)`,
    )
  }
  if (rule.nonEmpty) add("nonEmpty", checkNonEmpty(answer.text))
  if (!rule.allowTruncated && !answer.lengthCapped) add("truncated", checkNotTruncated(answer.doneReason))
  if (answer.format !== undefined) {
    add("format", answer.format.check(answer.text), "request")
    return { ok: failures.length === 0, failures }
  }
  if (rule.repetition) add("repetition", checkRepetition(answer.text))
  if (rule.refusal) add("refusal", checkNotRefusal(answer.text))
  if (rule.codePresent && answer.codeAsked) add("codePresent", checkCodePresent(answer.text))
  return { ok: failures.length === 0, failures }
}

const checkToolCall = (
  call: ToolCall,
  tools: OfferedTools | undefined,
): { readonly message: string; readonly blame: "model" | "request" } | undefined => {
  if (tools === undefined || !tools.schemas.has(call.name)) {
    const offered = tools === undefined ? "none" : [...tools.schemas.keys()].join(", ")
    return { message: `called '${call.name}', which was not offered (offered: ${offered})`, blame: "model" }
  }
  if (tools.required !== undefined && tools.required !== "any" && call.name !== tools.required) {
    return { message: `called '${call.name}' but toolChoice names ${tools.required}`, blame: "model" }
  }
  const problem = tools.schemas.get(call.name)?.checkValue(call.arguments)
  return problem === undefined
    ? undefined
    : { message: `${call.name} arguments ${problem}`, blame: "request" }
}
