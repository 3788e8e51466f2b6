/** Outcome rows for store and recorder tests. */
import type { OutcomeRow } from "../../src/learning/store.js"

export const T0 = Date.UTC(2026, 0, 1)

export const outcomeRow = (over: Partial<OutcomeRow> = {}): OutcomeRow => ({
  at: T0,
  requestId: "r1",
  attempt: 1,
  tenant: undefined,
  task: "general_qa",
  band: "low",
  complexity: 1.5,
  tier: "fast",
  persona: undefined,
  model: "mistral:7b",
  outcome: "completed",
  reason: undefined,
  validation: "passed",
  quality: 1,
  ttftMs: 120,
  totalMs: 900,
  queueMs: 0,
  loadMs: 0,
  slotMs: 880,
  promptTokens: 12,
  evalTokens: 60,
  gpuSeconds: 0.1,
  feedback: undefined,
  rulesModel: "mistral:7b",
  learnedModel: undefined,
  explored: false,
  ...over,
})
