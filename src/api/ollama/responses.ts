/**
 * The pieces of Ollama's response shapes that chat and generate share (pure): `created_at`, the
 * final chunk's metrics in nanoseconds, `done_reason`, tool calls as Ollama sends them, and the
 * shape contract each endpoint fills. Metrics come from the result: `total_duration` is
 * Conductor's whole request (acceptance to end: queueing, loading, every attempt),
 * `load_duration` the time it waited for its model to load, `prompt_eval_*` and `eval_*` the
 * serving attempt's counts and durations as the backend reported them — so `total_duration` ≥
 * `load_duration` + `prompt_eval_duration` + `eval_duration`, the rest being queueing, failed
 * attempts and Conductor's own work.
 */
import type { ConductorResult } from "../../conductor.js"
import type { ToolCall } from "../../domain/events.js"
import type { ConductorSummary } from "../conductor-summary.js"
import type { AnswerPiece } from "../stream-policy.js"

export type Json = Record<string, unknown>

export const createdAt = (): string => new Date().toISOString()

/** Milliseconds (to the µs) → whole nanoseconds. */
const ns = (ms: number): number => Math.round(ms * 1e6)

export const metricsOf = (r: ConductorResult) => ({
  total_duration: ns(r.timings.totalMs),
  load_duration: ns(r.timings.loadMs),
  prompt_eval_count: r.usage.promptTokens,
  prompt_eval_duration: ns(r.timings.promptEvalMs),
  eval_count: r.usage.evalTokens,
  eval_duration: ns(r.timings.evalMs),
})

/** Ollama has no `tool_calls` reason: an answer that called tools stopped. */
export const doneReasonOf = (r: ConductorResult): "stop" | "length" =>
  r.finishReason === "length" ? "length" : "stop"

export const toolCallsOut = (calls: ReadonlyArray<ToolCall>) =>
  calls.map((c, index) => ({ id: c.id, function: { index, name: c.name, arguments: c.arguments } }))

/** What one endpoint (chat, generate) answers in. */
export interface AnswerShape {
  /** A streamed chunk carrying a piece (`done: false`). */
  readonly chunk: (model: string, piece: AnswerPiece) => Json
  /**
   * The `done: true` object: the closing chunk of a stream (`whole` false: no text, it was
   * streamed), or the whole answer when not streamed.
   */
  readonly final: (model: string, result: ConductorResult, summary: ConductorSummary, whole: boolean) => Json
  /** The answer to a load or unload request. */
  readonly residency: (model: string, reason: "load" | "unload", conductor: Json) => Json
}
