/**
 * Non-streamed answers as Ollama builds them (server/routes.go writeChatResponse and the
 * GenerateHandler's `stream: false` branch): the stream's parts folded into its last one, with the
 * content and thinking concatenated and the tool calls gathered.
 */
import type { WireChatChunk, WireGenerateChunk, WireToolCall } from "../ollama/wire.js"
import type { SimResponse } from "./engine.js"

/** Read the whole stream (or the single body) and fold it into one chat answer. */
export const collectChat = async (response: SimResponse<WireChatChunk>): Promise<WireChatChunk> => {
  if (response.kind === "single") return response.body
  let content = ""
  let thinking = ""
  const calls: WireToolCall[] = []
  let last = response.first
  const add = (p: WireChatChunk) => {
    content += p.message.content
    thinking += p.message.thinking ?? ""
    if (p.message.tool_calls !== undefined) calls.push(...p.message.tool_calls)
    last = p
  }
  add(response.first)
  for (let r = await response.rest.next(); r.done !== true; r = await response.rest.next()) add(r.value)
  return {
    ...last,
    message: {
      role: last.message.role,
      content,
      ...(thinking !== "" ? { thinking } : {}),
      ...(calls.length > 0 ? { tool_calls: calls } : {}),
    },
  }
}

/** Read the whole stream (or the single body) and fold it into one generate answer. */
export const collectGenerate = async (
  response: SimResponse<WireGenerateChunk>,
): Promise<WireGenerateChunk> => {
  if (response.kind === "single") return response.body
  let text = ""
  let thinking = ""
  let last = response.first
  const add = (p: WireGenerateChunk) => {
    text += p.response ?? ""
    thinking += p.thinking ?? ""
    last = p
  }
  add(response.first)
  for (let r = await response.rest.next(); r.done !== true; r = await response.rest.next()) add(r.value)
  const { thinking: _, ...rest } = last
  return { ...rest, response: text, ...(thinking !== "" ? { thinking } : {}) }
}
