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

export interface ValidationResult {
  readonly ok: boolean
  readonly failures: ReadonlyArray<string>
}

export const ruleFor = (config: ValidationConfig, task: TaskType): ResolvedRule => ({
  ...config.default,
  ...config.tasks[task],
})

export const validateAnswer = (answer: AnswerToValidate, rule: ResolvedRule): ValidationResult => {
  const failures: string[] = []
  const add = (failure: string | undefined) => {
    if (failure !== undefined) failures.push(failure)
  }
  if (rule.nonEmpty) add(checkNonEmpty(answer.text))
  if (!rule.allowTruncated && !answer.lengthCapped) add(checkNotTruncated(answer.doneReason))
  if (rule.repetition) add(checkRepetition(answer.text))
  if (rule.refusal) add(checkNotRefusal(answer.text))
  if (rule.codePresent) add(checkCodePresent(answer.text))
  if (answer.format !== undefined) add(answer.format.check(answer.text))
  return { ok: failures.length === 0, failures }
}
