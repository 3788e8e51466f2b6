/**
 * Validating an answer: the checks configured for its task type (`validation.default`, then
 * `validation.tasks.<task>`), plus the requested format. A failed validation makes the request
 * fall back to the next model.
 */
import type { ValidationConfig, ValidationRule } from "../config/schema.js"
import type { TaskType } from "../domain/task.js"
import {
  checkCodePresent,
  checkNonEmpty,
  checkNotRefusal,
  checkNotTruncated,
  checkRepetition,
} from "./checks.js"
import type { CompiledFormat } from "./json-format.js"

export type ResolvedRule = Required<ValidationRule>

export interface AnswerToValidate {
  readonly text: string
  readonly doneReason: "stop" | "length"
  readonly taskType: TaskType
  readonly format: CompiledFormat | undefined
  /** The client capped the answer's length itself: stopping at the cap is what it asked for. */
  readonly lengthCapped: boolean
}

export type ValidatorName = "nonEmpty" | "truncated" | "repetition" | "refusal" | "codePresent" | "format"

export interface ValidationFailure {
  readonly validator: ValidatorName
  readonly message: string
}

export interface ValidationResult {
  readonly ok: boolean
  readonly failures: ReadonlyArray<ValidationFailure>
}

export const ruleFor = (config: ValidationConfig, task: TaskType): ResolvedRule => ({
  ...config.default,
  ...config.tasks[task],
})

export const validateAnswer = (answer: AnswerToValidate, rule: ResolvedRule): ValidationResult => {
  const failures: ValidationFailure[] = []
  const add = (validator: ValidatorName, message: string | undefined) => {
    if (message !== undefined) failures.push({ validator, message })
  }
  if (rule.nonEmpty) add("nonEmpty", checkNonEmpty(answer.text))
  if (!rule.allowTruncated && !answer.lengthCapped) add("truncated", checkNotTruncated(answer.doneReason))
  if (rule.repetition) add("repetition", checkRepetition(answer.text))
  if (rule.refusal) add("refusal", checkNotRefusal(answer.text))
  if (rule.codePresent) add("codePresent", checkCodePresent(answer.text))
  if (answer.format !== undefined) add("format", answer.format.check(answer.text))
  return { ok: failures.length === 0, failures }
}
