/**
 * Task types a query is classified into, and capability vocabulary shared by the registry and
 * the router. Both are closed sets so a typo in configuration is an error, not a silent miss.
 */

export const TASK_TYPES = [
  "code_generation",
  "reasoning",
  "mathematical",
  "summarisation",
  "creative",
  "query_rewriting",
  "rag_query",
  "tool_use",
  "general_qa",
] as const
export type TaskType = (typeof TASK_TYPES)[number]

export const isTaskType = (value: unknown): value is TaskType =>
  typeof value === "string" && (TASK_TYPES as ReadonlyArray<string>).includes(value)

/** What a model can do. `tools`, `vision` and `long_context` are also hard requirements a query can carry. */
export const CAPABILITIES = [
  "general",
  "code",
  "reasoning",
  "analysis",
  "mathematics",
  "summarisation",
  "creative",
  "multilingual",
  "long_context",
  "tools",
  "vision",
  "chain_of_thought",
] as const
export type Capability = (typeof CAPABILITIES)[number]

/** What a model is especially good at; scored (soft), never required. */
export const SPECIALISATIONS = [
  "general_purpose",
  "complex_reasoning",
  "analysis",
  "chain_of_thought",
  "step_by_step",
  "mathematical_reasoning",
  "long_documents",
  "long_context",
  "summarisation",
  "multilingual",
  "code_generation",
  "code_explanation",
  "code_completion",
  "debugging",
  "infilling",
  "multiple_languages",
  "instruction_following",
  "creative_writing",
  "tool_calling",
  "query_rewriting",
  "retrieval_augmented",
  "routing",
  "vision",
  "efficient",
  "fast_inference",
] as const
export type Specialisation = (typeof SPECIALISATIONS)[number]
