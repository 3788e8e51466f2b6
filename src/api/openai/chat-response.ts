/**
 * The shapes a chat completion answers in (pure): the `chat.completion` object, tool calls (with
 * `index` only in streamed deltas, as OpenAI sends them) and usage. The `conductor` object is the
 * shared summary (`../conductor-summary.ts`).
 */
import type { ConductorResult } from "../../conductor.js"
import type { ToolCall, Usage } from "../../domain/events.js"
import type { ConductorSummary } from "../conductor-summary.js"

/** Every response says who built it; there is no backend configuration to fingerprint. */
export const FINGERPRINT = "conductor"

/** Tool calls as OpenAI writes them: arguments as JSON text; streamed deltas carry their index. */
export const toolCallsOf = (calls: ReadonlyArray<ToolCall>, streamed: boolean) =>
  calls.map((c, index) => ({
    ...(streamed ? { index } : {}),
    id: c.id,
    type: "function" as const,
    function: { name: c.name, arguments: JSON.stringify(c.arguments) },
  }))

export const usageOf = (u: Usage) => ({
  prompt_tokens: u.promptTokens,
  completion_tokens: u.evalTokens,
  total_tokens: u.promptTokens + u.evalTokens,
})

/** The whole answer, for a request without `stream`. */
export const completionOf = (id: string, r: ConductorResult, summary: ConductorSummary) => ({
  id: `chatcmpl-${id}`,
  object: "chat.completion" as const,
  created: Math.floor(Date.now() / 1000),
  model: r.model,
  system_fingerprint: FINGERPRINT,
  choices: [
    {
      index: 0,
      message: {
        role: "assistant" as const,
        content: r.toolCalls.length > 0 && r.text === "" ? null : r.text,
        refusal: null,
        ...(r.toolCalls.length > 0 ? { tool_calls: toolCallsOf(r.toolCalls, false) } : {}),
        ...(r.thinking !== "" ? { reasoning: r.thinking } : {}),
      },
      logprobs: null,
      finish_reason: r.finishReason,
    },
  ],
  usage: usageOf(r.usage),
  conductor: summary,
})
