/**
 * What each task type looks for in a model: capabilities and specialisations that score (soft
 * preferences, never requirements), and the warning label attached to its answers.
 */
import type { Capability, Specialisation, TaskType } from "../domain/task.js"

export interface TaskProfile {
  readonly capabilities: ReadonlyArray<Capability>
  readonly specialisations: ReadonlyArray<Specialisation>
  readonly warning?: string
}

export const TASK_PROFILES: Readonly<Record<TaskType, TaskProfile>> = {
  code_generation: {
    capabilities: ["code"],
    specialisations: [
      "code_generation",
      "code_explanation",
      "debugging",
      "code_completion",
      "multiple_languages",
    ],
    warning: "Review before using - may contain bugs",
  },
  reasoning: {
    capabilities: ["reasoning", "analysis"],
    specialisations: ["complex_reasoning", "analysis", "chain_of_thought", "step_by_step"],
  },
  mathematical: {
    capabilities: ["mathematics", "reasoning"],
    specialisations: ["mathematical_reasoning", "step_by_step", "chain_of_thought"],
    warning: "Verify important calculations",
  },
  summarisation: {
    capabilities: ["summarisation", "long_context"],
    specialisations: ["summarisation", "long_documents"],
  },
  creative: {
    capabilities: ["creative", "general"],
    specialisations: ["creative_writing", "general_purpose"],
  },
  query_rewriting: {
    capabilities: ["general"],
    specialisations: ["query_rewriting", "fast_inference", "efficient"],
  },
  rag_query: {
    capabilities: ["long_context", "general"],
    specialisations: ["retrieval_augmented", "long_documents", "long_context"],
  },
  tool_use: {
    capabilities: ["tools"],
    specialisations: ["tool_calling", "general_purpose"],
  },
  general_qa: {
    capabilities: ["general"],
    specialisations: ["general_purpose"],
  },
}
