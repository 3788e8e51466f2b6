/**
 * `POST /api/chat` in Ollama's shapes: streamed chunks `{model, created_at, message: {role,
 * content, thinking?, tool_calls?}, done: false}`, then `{…, done: true, done_reason, metrics,
 * conductor}`; or, with `stream: false`, one object with the whole message. Tool calls go out as
 * Ollama sends them (`{id, function: {index, name, arguments: {…}}}`); `model` is the model
 * that answered. An empty `messages` is a load request (`done_reason: "load"`), with
 * `keep_alive: 0` an unload (`"unload"`).
 */
import type { ApiDeps } from "../deps.js"
import { answerRoute, type Endpoint } from "./answer.js"
import { type AnswerShape, createdAt, doneReasonOf, type Json, metricsOf, toolCallsOut } from "./responses.js"
import { translateChat } from "./translate.js"

const chatShape: AnswerShape = {
  chunk: (model, p) => ({
    model,
    created_at: createdAt(),
    message: {
      role: "assistant",
      content: p.content ?? "",
      ...(p.thinking !== undefined ? { thinking: p.thinking } : {}),
      ...(p.toolCalls !== undefined ? { tool_calls: toolCallsOut(p.toolCalls) } : {}),
    },
    done: false,
  }),
  final: (model, r, summary, whole) => {
    const message: Json = { role: "assistant", content: whole ? r.text : "" }
    if (whole && r.thinking !== "") message.thinking = r.thinking
    if (whole && r.toolCalls.length > 0) message.tool_calls = toolCallsOut(r.toolCalls)
    return {
      model,
      created_at: createdAt(),
      message,
      done: true,
      done_reason: doneReasonOf(r),
      ...metricsOf(r),
      conductor: summary,
    }
  },
  residency: (model, reason, conductor) => ({
    model,
    created_at: createdAt(),
    message: { role: "assistant", content: "" },
    done: true,
    done_reason: reason,
    conductor,
  }),
}

export const chatEndpoint: Endpoint = {
  name: "chat",
  translate: translateChat,
  shapeFor: () => chatShape,
  residencyShape: chatShape,
}

export const chat = (deps: ApiDeps) => answerRoute(deps, chatEndpoint)
