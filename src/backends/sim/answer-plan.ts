/**
 * What a simulated model writes for a request, before any timing: its reasoning (for a thinking
 * model), then either a tool call (tools offered, the user spoke last) or its text answer (the
 * task-shaped answer, or one that uses the tool results when a tool spoke last), cut at the first
 * stop sequence and to the num_predict budget, which reasoning counts against as Ollama's does.
 */
import type { WireToolCall } from "../ollama/wire.js"
import type { SimModelSpec } from "./profile.js"
import { type Conversation, cutAtStop } from "./requests.js"
import { generateTokens } from "./text/answer-cache.js"
import { tokenPieces } from "./text/pieces.js"
import { type ThinkLevel, thinkingTokens } from "./thinking.js"
import { callsTool, type OfferedTool, toolCallFor, toolResultAnswer } from "./tool-calls.js"

/** What a generation produces, in order: reasoning, then answer text or the text of a tool call. */
export interface Plan {
  readonly thinking: ReadonlyArray<string>
  readonly content: ReadonlyArray<string>
  /** Tokens the model writes that Ollama's tool parser consumes (never sent as content). */
  readonly hidden: ReadonlyArray<string>
  readonly calls: ReadonlyArray<WireToolCall> | undefined
  /** The answer (thinking included) was cut by num_predict. */
  readonly cut: boolean
}

export interface Question {
  readonly model: SimModelSpec
  /** The prompt, or the chat flattened to "role: content" lines. */
  readonly text: string
  readonly chat: Conversation | undefined
  readonly tools: ReadonlyArray<OfferedTool>
  readonly think: ThinkLevel | false | undefined
  readonly seed: number
  /** Tokens the model may write (num_predict, or the room left in the context). */
  readonly limit: number
  readonly stop: ReadonlyArray<string> | undefined
  readonly format: "json" | Readonly<Record<string, unknown>> | undefined
}

export const planAnswer = (q: Question): Plan => {
  const { model, text, chat, tools, think, seed, limit, stop, format } = q
  const question = chat !== undefined ? chat.question : text
  const answeringTool = chat !== undefined && chat.lastRole === "tool"
  const subject = answeringTool ? chat.results.map((r) => r.content).join("\n") : question
  let thinking =
    think !== undefined && think !== false ? thinkingTokens(model.name, seed, subject, think) : []
  let content: ReadonlyArray<string> = []
  let hidden: ReadonlyArray<string> = []
  let calls: ReadonlyArray<WireToolCall> | undefined
  if (
    chat !== undefined &&
    tools.length > 0 &&
    chat.lastRole === "user" &&
    callsTool(model.name, seed, text, model.toolCallRate)
  ) {
    const made = toolCallFor(model.name, seed, tools, question)
    if (made !== undefined) {
      hidden = tokenPieces(made.text)
      calls = [made.call]
    }
  }
  if (calls === undefined) {
    content = answeringTool
      ? tokenPieces(toolResultAnswer(model.name, seed, chat.results, question))
      : generateTokens({
          model: model.name,
          prompt: text,
          seed,
          format,
        })
    const stopped = cutAtStop(content.join(""), stop)
    if (stopped !== undefined) content = tokenPieces(stopped)
  }
  // num_predict counts every generated token, reasoning included.
  const total = thinking.length + content.length + hidden.length
  if (total <= limit) return { thinking, content, hidden, calls, cut: false }
  thinking = thinking.slice(0, limit)
  const left = limit - thinking.length
  if (calls !== undefined)
    return { thinking, content: [], hidden: hidden.slice(0, left), calls: undefined, cut: true }
  return { thinking, content: content.slice(0, left), hidden: [], calls: undefined, cut: true }
}
