/**
 * What a client submits, checked and prepared. A request is a prompt or a chat (exactly one),
 * with optional persona, model, tier, output format, sampling options, routing context and an id.
 * Every problem is reported at once, each naming its field (`messages[2].role: …`); a request
 * with problems is never accepted, so it has no events. Preparing a valid one derives what
 * routing reads (the last user turn) and what generation sends.
 */
import { Schema, SchemaIssue } from "effect"
import type { ChatMessage, GenerateRequest } from "../backends/port.js"
import { CapabilitySchema, TierSchema } from "../config/schema.js"
import type { RoutingRequest } from "../domain/decision.js"
import { type ConductorError, conductorError } from "../domain/errors.js"
import { type CompiledFormat, compileFormat, type OutputFormat } from "../validate/json-format.js"

const Message = Schema.Struct({
  role: Schema.Literals(["system", "user", "assistant", "tool"]),
  content: Schema.String,
})

const NonEmpty = Schema.String.check(Schema.isNonEmpty())

export const ConductorRequestSchema = Schema.Struct({
  /** Your id for the request (unique among requests in flight); one is made when absent. */
  id: Schema.optionalKey(
    NonEmpty.check(
      Schema.isPattern(/^[A-Za-z0-9._:-]{1,128}$/, {
        message: "expected 1 to 128 letters, digits or . _ : -",
      }),
    ),
  ),
  prompt: Schema.optionalKey(Schema.String),
  /** A system prompt for `prompt` requests (chats put it in `messages`). */
  system: Schema.optionalKey(Schema.String),
  messages: Schema.optionalKey(Schema.Array(Message)),
  persona: Schema.optionalKey(NonEmpty),
  /** Route straight to this model. */
  model: Schema.optionalKey(NonEmpty),
  tier: Schema.optionalKey(TierSchema),
  /** "json", or a JSON Schema the answer must satisfy. */
  format: Schema.optionalKey(
    Schema.Union([Schema.Literal("json"), Schema.Record(Schema.String, Schema.Unknown)]),
  ),
  options: Schema.optionalKey(
    Schema.Struct({
      numPredict: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
      temperature: Schema.optionalKey(
        Schema.Number.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(2)),
      ),
      seed: Schema.optionalKey(Schema.Int),
    }),
  ),
  /** Routing hints: documents retrieved for the query, a context window the answer needs. */
  context: Schema.optionalKey(
    Schema.Struct({
      retrievedDocs: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
      minContextWindow: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
    }),
  ),
  /** Capabilities the answer needs beyond what the text shows (e.g. `vision`). */
  requires: Schema.optionalKey(Schema.Array(CapabilitySchema)),
})
export type ConductorRequest = typeof ConductorRequestSchema.Type

/** A request ready to run: what routing reads, what generation sends, how the answer is checked. */
export interface PreparedRequest {
  readonly request: ConductorRequest
  readonly routing: RoutingRequest
  /** What every attempt sends, but the model's fixed num_ctx. */
  readonly generate: Omit<GenerateRequest, "numCtx">
  readonly format: CompiledFormat | undefined
  /** The client capped the answer's length (a length stop is then what it asked for). */
  readonly lengthCapped: boolean
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()
const decode = Schema.decodeUnknownResult(ConductorRequestSchema)

/** `messages.2.role` → `messages[2].role`. */
const pathText = (path: ReadonlyArray<unknown>): string => {
  if (path.length === 0) return "request"
  let out = ""
  for (const seg of path) {
    const key = typeof seg === "object" && seg !== null && "key" in seg ? (seg as { key: unknown }).key : seg
    out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`
  }
  return out
}

const invalid = (problems: ReadonlyArray<string>): ConductorError =>
  conductorError("BadRequest", problems.join("; "), { details: { problems } })

/** Check and prepare a submitted request; fails with BadRequest listing every problem. */
export const prepareRequest = (
  input: unknown,
): { ok: true; value: PreparedRequest } | { ok: false; error: ConductorError } => {
  const decoded = decode(input, { errors: "all", onExcessProperty: "error" })
  if (decoded._tag === "Failure") {
    const problems = formatter(decoded.failure.issue).issues.map(
      (i) =>
        `${pathText(i.path ?? [])}: ${i.message === "Expected no excess property" ? "unknown field" : i.message}`,
    )
    return { ok: false, error: invalid(problems) }
  }
  const r = decoded.success
  const problems: string[] = []
  if ((r.prompt === undefined) === (r.messages === undefined)) {
    problems.push("request: give exactly one of prompt and messages")
  }
  if (r.prompt !== undefined && r.prompt.trim() === "") problems.push("prompt: must not be empty")
  if (r.messages !== undefined) {
    if (r.system !== undefined) problems.push("system: put the system prompt in messages for a chat")
    if (!r.messages.some((m) => m.role === "user" && m.content.trim() !== "")) {
      problems.push("messages: need at least one user message with content")
    }
  }
  let format: CompiledFormat | undefined
  if (r.format !== undefined) {
    try {
      format = compileFormat(r.format as OutputFormat)
    } catch (e) {
      problems.push(`format: unusable JSON Schema: ${(e as Error).message}`)
    }
  }
  if (problems.length > 0) return { ok: false, error: invalid(problems) }

  const messages: ReadonlyArray<ChatMessage> | undefined = r.messages
  const lastUser = messages?.filter((m) => m.role === "user").at(-1)?.content
  const query = r.prompt ?? lastUser ?? ""
  // The whole conversation has to fit the model's context window.
  const conversationTokens =
    messages !== undefined ? Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4) : 0
  const minContextWindow = Math.max(
    r.context?.minContextWindow ?? 0,
    conversationTokens > 0 ? conversationTokens + 512 : 0,
  )
  const routing: RoutingRequest = {
    query,
    ...(r.persona !== undefined ? { persona: r.persona } : {}),
    ...(r.model !== undefined ? { model: r.model } : {}),
    ...(r.tier !== undefined ? { tier: r.tier } : {}),
    ...(r.requires !== undefined ? { requires: r.requires } : {}),
    context: {
      ...(r.context?.retrievedDocs !== undefined ? { retrievedDocs: r.context.retrievedDocs } : {}),
      ...(minContextWindow > 0 ? { minContextWindow } : {}),
    },
  }
  const generate: PreparedRequest["generate"] = {
    ...(r.prompt !== undefined ? { prompt: r.prompt } : {}),
    ...(r.system !== undefined ? { system: r.system } : {}),
    ...(messages !== undefined ? { messages } : {}),
    ...(r.format !== undefined ? { format: r.format as OutputFormat } : {}),
    ...(r.options?.numPredict !== undefined ? { numPredict: r.options.numPredict } : {}),
    ...(r.options?.temperature !== undefined ? { temperature: r.options.temperature } : {}),
    ...(r.options?.seed !== undefined ? { seed: r.options.seed } : {}),
  }
  return {
    ok: true,
    value: { request: r, routing, generate, format, lengthCapped: r.options?.numPredict !== undefined },
  }
}

/**
 * The request to send a model that continues a cut-off answer (`fallbacks.mode: continue`): the
 * conversation so far, the partial answer as the assistant's turn, and a request to go on.
 */
export const continuation = (
  base: PreparedRequest["generate"],
  partial: string,
): PreparedRequest["generate"] => {
  const history: ChatMessage[] =
    base.messages !== undefined
      ? [...base.messages]
      : [
          ...(base.system !== undefined ? [{ role: "system" as const, content: base.system }] : []),
          { role: "user" as const, content: base.prompt ?? "" },
        ]
  const { prompt: _prompt, system: _system, ...rest } = base
  return {
    ...rest,
    messages: [
      ...history,
      { role: "assistant", content: partial },
      { role: "user", content: "Continue your answer exactly where it stopped, without repeating anything." },
    ],
  }
}
