/**
 * What a client submits, checked and prepared. A request is a prompt or a chat (exactly one),
 * with optional persona, model, tier, output format, sampling options, routing context, tenant
 * and an id. Every problem is reported at once, each naming its field (`messages[2].role: …`),
 * before anything is accepted — an unknown persona, a schema that is too deep, too large or not a
 * JSON Schema — so a request with problems has no events. Preparing a valid one derives what
 * routing reads (the last user turn) and what generation sends.
 */
import { Schema } from "effect"
import type { ChatMessage, GenerateRequest, ToolDefinition } from "../backends/port.js"
import { CapabilitySchema, TierSchema } from "../config/schema.js"
import type { RoutingRequest } from "../domain/decision.js"
import { type ConductorError, conductorError } from "../domain/errors.js"
import { schemaProblems } from "../domain/schema-problems.js"
import { DEFAULT_TENANT, PRIORITIES, type Priority } from "../domain/tenant.js"
import { asksForCode } from "../validate/asks-for-code.js"
import { type CompiledFormat, type OutputFormat, prepareFormat } from "../validate/json-format.js"
import { checkJsonLimits, MAX_JSON_DEPTH } from "../validate/json-limits.js"
import type { OfferedTools } from "../validate/validate.js"

const NonEmpty = Schema.String.check(Schema.isNonEmpty())

const ToolCallSchema = Schema.Struct({
  /** The id a tool result answers (`toolCallId`); made up when absent. */
  id: Schema.optionalKey(NonEmpty),
  name: NonEmpty,
  arguments: Schema.Record(Schema.String, Schema.Unknown),
})

const Message = Schema.Struct({
  role: Schema.Literals(["system", "user", "assistant", "tool"]),
  content: Schema.String,
  /** Base64-encoded images (no `data:` prefix); the request then needs a vision model. */
  images: Schema.optionalKey(Schema.Array(NonEmpty)),
  /** An assistant turn's tool calls (the conversation so far, sent back with the results). */
  toolCalls: Schema.optionalKey(Schema.Array(ToolCallSchema)),
  /** A `tool` message: the call it answers. */
  toolCallId: Schema.optionalKey(NonEmpty),
  /** A `tool` message: the tool that answered (found from `toolCallId` when absent). */
  name: Schema.optionalKey(NonEmpty),
})

const ToolSchema = Schema.Struct({
  type: Schema.Literal("function"),
  function: Schema.Struct({
    name: Schema.String.check(
      Schema.isPattern(/^[A-Za-z0-9_.-]{1,64}$/, { message: "expected 1 to 64 letters, digits or _ . -" }),
    ),
    description: Schema.optionalKey(Schema.String),
    /** JSON Schema of the arguments object. */
    parameters: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)),
  }),
})

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
      topP: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(1))),
      seed: Schema.optionalKey(Schema.Int.annotate({ expected: "an integer between -(2^53-1) and 2^53-1" })),
      /** Stop sequences (at most 16). */
      stop: Schema.optionalKey(Schema.Array(NonEmpty).check(Schema.isMaxLength(16))),
    }),
  ),
  /** Functions the model may call; the request then routes only to tool-capable models. */
  tools: Schema.optionalKey(Schema.Array(ToolSchema).check(Schema.isMaxLength(128))),
  /**
   * `auto` (default): the model decides; `none`: tools are not offered; `required`: the answer
   * must call one (else it falls back); `{name}`: it must call that one.
   */
  toolChoice: Schema.optionalKey(
    Schema.Union([Schema.Literals(["auto", "none", "required"]), Schema.Struct({ name: NonEmpty })]),
  ),
  /** Ask a thinking model to reason first (streamed as `thinking` events; ignored by others). */
  think: Schema.optionalKey(Schema.Boolean),
  /**
   * After a model fails mid-answer: `restart` (the client discards what it got) or `continue`
   * (the next model carries on). Default: `fallbacks.mode`.
   */
  fallbackMode: Schema.optionalKey(Schema.Literals(["restart", "continue"])),
  /** Who sent it (an end user, an app): recorded with the request, never used as a label. */
  client: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(256))),
  /**
   * Whom the request runs for, for health accounting (docs/health.md): one tenant alone never
   * opens a model's breaker. Set by the server (`ws:<n>` per WebSocket connection; a client's
   * value is replaced) or by a library caller; default `library`. An identifier, not a secret:
   * it shows in events, logs and status.
   */
  tenant: Schema.optionalKey(
    NonEmpty.check(
      Schema.isPattern(/^[\x21-\x7e]{1,128}$/, {
        message: "expected 1 to 128 printable ASCII characters, no spaces",
      }),
    ),
  ),
  /**
   * `interactive` (default: someone is waiting) goes before `batch` work, within the aging bound
   * (`scheduler.maxWait`): batch work waits, but never starves.
   */
  priority: Schema.optionalKey(Schema.Literals(PRIORITIES)),
  /** Most GPU-seconds the answer should cost; the learner serves a cheaper fit model when it binds. */
  maxCost: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThan(0), Schema.isFinite())),
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
  /** Tools offered (none with `toolChoice: none`). */
  readonly tools: OfferedTools | undefined
  /** The client capped the answer's length (a length stop is then what it asked for). */
  readonly lengthCapped: boolean
  /** The query asks for code to be written, not only about code (the `codePresent` check). */
  readonly codeAsked: boolean
  /** Whom it runs for (`request.tenant`, else `library`). */
  readonly tenant: string
  readonly priority: Priority
}

const decode = Schema.decodeUnknownResult(ConductorRequestSchema)

const invalid = (problems: ReadonlyArray<string>): ConductorError =>
  conductorError("BadRequest", problems.join("; "), { details: { problems } })

/** What checking a request needs to know beyond the request. */
export interface RequestContext {
  /** Persona names of personas.yaml (unchecked when absent). */
  readonly personas?: ReadonlySet<string>
}

/**
 * Check and prepare a submitted request; fails with BadRequest listing every problem. Nothing
 * that can be known wrong before generation is left for later: persona, schemas (their depth,
 * size and validity), tool definitions and the conversation are all checked here.
 */
export const prepareRequest = (
  input: unknown,
  context: RequestContext = {},
): { ok: true; value: PreparedRequest } | { ok: false; error: ConductorError } => {
  const decoded = decode(input, { errors: "all", onExcessProperty: "error" })
  if (decoded._tag === "Failure") {
    return { ok: false, error: invalid(schemaProblems(decoded.failure.issue)) }
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
  if (r.persona !== undefined && context.personas !== undefined && !context.personas.has(r.persona)) {
    problems.push(`persona: unknown persona '${r.persona}' (known: ${[...context.personas].join(", ")})`)
  }
  let format: CompiledFormat | undefined
  if (r.format !== undefined) {
    const prepared = prepareFormat(r.format as OutputFormat, "format")
    if (prepared.ok) format = prepared.compiled
    else problems.push(...prepared.problems)
  }
  const tools = prepareTools(r, problems)
  const messages = r.messages !== undefined ? chatMessages(r.messages, problems) : undefined
  if (problems.length > 0) return { ok: false, error: invalid(problems) }

  const lastUser = messages?.filter((m) => m.role === "user" && m.content.trim() !== "").at(-1)?.content
  const query = r.prompt ?? lastUser ?? ""
  const requires = new Set(r.requires ?? [])
  if (tools !== undefined) requires.add("tools")
  if (messages?.some((m) => m.images !== undefined && m.images.length > 0)) requires.add("vision")
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
    ...(requires.size > 0 ? { requires: [...requires] } : {}),
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
    ...(r.options?.topP !== undefined ? { topP: r.options.topP } : {}),
    ...(r.options?.seed !== undefined ? { seed: r.options.seed } : {}),
    ...(r.options?.stop !== undefined ? { stop: r.options.stop } : {}),
    ...(tools !== undefined && r.tools !== undefined ? { tools: offered(r.tools, tools) } : {}),
    ...(r.think !== undefined ? { think: r.think } : {}),
  }
  return {
    ok: true,
    value: {
      request: r,
      routing,
      generate,
      format,
      tools,
      lengthCapped: r.options?.numPredict !== undefined,
      codeAsked: asksForCode(query),
      tenant: r.tenant ?? DEFAULT_TENANT,
      priority: r.priority ?? "interactive",
    },
  }
}

/** The tools the model sees: all of them, or only the one `toolChoice` names. */
const offered = (
  all: NonNullable<ConductorRequest["tools"]>,
  tools: OfferedTools,
): ReadonlyArray<ToolDefinition> =>
  tools.required !== undefined && tools.required !== "any"
    ? all.filter((t) => t.function.name === tools.required)
    : all

/** Compile the tools' argument schemas and check `toolChoice`; undefined when none are offered. */
const prepareTools = (r: ConductorRequest, problems: string[]): OfferedTools | undefined => {
  const choice = r.toolChoice
  if (r.tools === undefined || r.tools.length === 0) {
    if (choice !== undefined && choice !== "auto" && choice !== "none") {
      problems.push("toolChoice: no tools are offered (tools is empty)")
    }
    return undefined
  }
  if (choice === "none") return undefined
  const schemas = new Map<string, CompiledFormat | undefined>()
  r.tools.forEach((t, i) => {
    const name = t.function.name
    if (schemas.has(name)) problems.push(`tools[${i}].function.name: duplicate tool '${name}'`)
    let compiled: CompiledFormat | undefined
    if (t.function.parameters !== undefined) {
      const prepared = prepareFormat(t.function.parameters, `tools[${i}].function.parameters`)
      if (prepared.ok) compiled = prepared.compiled
      else problems.push(...prepared.problems)
    }
    schemas.set(name, compiled)
  })
  if (typeof choice === "object" && !schemas.has(choice.name)) {
    problems.push(
      `toolChoice.name: no tool named '${choice.name}' (tools: ${[...schemas.keys()].join(", ")})`,
    )
  }
  return {
    schemas,
    required: choice === "required" ? "any" : typeof choice === "object" ? choice.name : undefined,
  }
}

/** The chat as the backend takes it: tool results name their tool, found from the call they answer. */
const chatMessages = (
  messages: NonNullable<ConductorRequest["messages"]>,
  problems: string[],
): ReadonlyArray<ChatMessage> => {
  const callNames = new Map<string, string>()
  return messages.map((m, i): ChatMessage => {
    const toolCalls = m.toolCalls?.map((c, j) => {
      const tooDeep = checkJsonLimits(c.arguments, { maxDepth: MAX_JSON_DEPTH })
      if (tooDeep !== undefined) problems.push(`messages[${i}].toolCalls[${j}].arguments: ${tooDeep}`)
      const id = c.id ?? `call_${i}_${j}`
      callNames.set(id, c.name)
      return { id, name: c.name, arguments: c.arguments }
    })
    if (m.role !== "assistant" && toolCalls !== undefined) {
      problems.push(`messages[${i}].toolCalls: only assistant messages carry tool calls`)
    }
    let toolName = m.name
    if (m.role === "tool" && toolName === undefined && m.toolCallId !== undefined) {
      toolName = callNames.get(m.toolCallId)
      if (toolName === undefined) {
        problems.push(`messages[${i}].toolCallId: no earlier tool call has id '${m.toolCallId}'`)
      }
    }
    if (m.role !== "tool" && m.toolCallId !== undefined) {
      problems.push(`messages[${i}].toolCallId: only tool messages answer a tool call`)
    }
    return {
      role: m.role,
      content: m.content,
      ...(m.images !== undefined ? { images: m.images } : {}),
      ...(toolCalls !== undefined ? { toolCalls } : {}),
      ...(toolName !== undefined ? { toolName } : {}),
    }
  })
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
