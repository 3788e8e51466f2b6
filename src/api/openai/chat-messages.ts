/**
 * One OpenAI chat message → a Conductor chat message (pure), problems named at their place
 * (`messages[3].tool_calls[0].function.arguments: not valid JSON`): role for role (`developer`
 * is a system turn), text parts joined, base64 `data:` images, an assistant's tool calls with
 * their JSON-text arguments parsed, a tool result by its `tool_call_id`. Also the small shape
 * tests the request translation shares.
 */

export type Json = Record<string, unknown>

export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)
/** What a value is, for messages: `null`, `an array`, `number`… */
export const kind = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v)
/** Present and not null (OpenAI clients send null for "not set"). */
export const given = (v: unknown): boolean => v !== undefined && v !== null

const DATA_URL = /^data:(?:image\/(?:png|jpeg|jpg|webp|gif))?;base64,/

export const translateMessage = (m: unknown, at: string, problems: string[]): unknown => {
  if (!isObject(m)) {
    problems.push(`${at}: expected a message object, got ${kind(m)}`)
    return {}
  }
  const role = m.role === "developer" ? "system" : m.role
  if (role !== "system" && role !== "user" && role !== "assistant" && role !== "tool") {
    problems.push(
      `${at}.role: expected system, developer, user, assistant or tool, got ${JSON.stringify(m.role)}`,
    )
    return {}
  }
  const out: Record<string, unknown> = { role }
  const images: string[] = []
  if (typeof m.content === "string") out.content = m.content
  else if (!given(m.content)) {
    if (role !== "assistant") problems.push(`${at}.content: required for a ${role} message`)
    out.content = ""
  } else if (Array.isArray(m.content)) {
    const texts: string[] = []
    m.content.forEach((part, j) => {
      const p = `${at}.content[${j}]`
      if (!isObject(part)) {
        problems.push(`${p}: expected a content part object`)
        return
      }
      if (part.type === "text" && typeof part.text === "string") texts.push(part.text)
      else if (part.type === "refusal" && role === "assistant" && typeof part.refusal === "string")
        texts.push(part.refusal)
      else if (part.type === "image_url" && role === "user") {
        const url = isObject(part.image_url) ? part.image_url.url : part.image_url
        if (typeof url !== "string" || !DATA_URL.test(url)) {
          problems.push(
            `${p}.image_url.url: expected a base64 data URL (data:image/png;base64,…); remote URLs are not fetched`,
          )
        } else images.push(url.slice(url.indexOf(",") + 1))
      } else {
        problems.push(
          `${p}.type: expected text${role === "user" ? " or image_url" : ""}, got ${JSON.stringify(part.type)}`,
        )
      }
    })
    out.content = texts.join("\n")
  } else {
    problems.push(`${at}.content: expected a string or an array of content parts, got ${kind(m.content)}`)
  }
  if (images.length > 0) out.images = images
  if (given(m.tool_calls)) {
    if (role !== "assistant" || !Array.isArray(m.tool_calls)) {
      problems.push(`${at}.tool_calls: only an assistant message carries an array of tool calls`)
    } else if (m.tool_calls.length > 0) {
      out.toolCalls = m.tool_calls.map((c, j) => translateCall(c, `${at}.tool_calls[${j}]`, problems))
    }
  }
  if (role === "tool") {
    if (typeof m.tool_call_id === "string" && m.tool_call_id !== "") out.toolCallId = m.tool_call_id
    else problems.push(`${at}.tool_call_id: required for a tool message`)
  }
  return out
}

/** An assistant turn's call, its arguments parsed from the JSON text OpenAI sends. */
const translateCall = (c: unknown, at: string, problems: string[]): unknown => {
  const f = isObject(c) ? c.function : undefined
  if (!isObject(f) || typeof f.name !== "string" || f.name === "") {
    problems.push(`${at}.function.name: required`)
    return { name: "?", arguments: {} }
  }
  let args: unknown = {}
  if (typeof f.arguments === "string" && f.arguments.trim() !== "") {
    try {
      args = JSON.parse(f.arguments)
    } catch {
      problems.push(`${at}.function.arguments: not valid JSON`)
    }
  } else if (isObject(f.arguments)) args = f.arguments
  if (!isObject(args)) problems.push(`${at}.function.arguments: expected a JSON object`)
  return {
    ...(isObject(c) && typeof c.id === "string" && c.id !== "" ? { id: c.id } : {}),
    name: f.name,
    arguments: isObject(args) ? args : {},
  }
}
