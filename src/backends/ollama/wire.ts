/**
 * Ollama's wire format and its one mapping to the backend port, shared by both adapters (the
 * HTTP client and the in-process simulator, whose engine answers in these same shapes). Types
 * come from ollama-js, adjusted to what the JSON really carries (`Wire<T>`: dates are strings,
 * maps are plain objects; tool calls carry Ollama's `id` and `index`). Requests always send
 * `keep_alive: -1` and the model's fixed `num_ctx` (DESIGN decision 1).
 */
import type {
  ChatRequest,
  ChatResponse,
  EmbedResponse,
  GenerateResponse,
  ListResponse,
  Message,
  EmbedRequest as OllamaEmbedRequest,
  GenerateRequest as OllamaGenerateRequest,
  ShowResponse,
  Tool,
} from "ollama"
import type {
  BackendModel,
  BackendModelDetails,
  ChatMessage,
  EmbedRequest,
  EmbedResult,
  GenerateChunk,
  GenerateRequest,
  RunningModel,
  ToolCall,
} from "../port.js"

/** A type as JSON carries it: Date → ISO string, Map → object, recursively. */
export type Wire<T> = T extends Date
  ? string
  : T extends Map<string, infer V>
    ? Record<string, V>
    : T extends ReadonlyArray<infer U>
      ? Wire<U>[]
      : T extends object
        ? { [K in keyof T]: Wire<T[K]> }
        : T

/** A tool call as Ollama sends it (newer servers add `id` and `function.index`). */
export interface WireToolCall {
  readonly id?: string
  readonly function: {
    readonly index?: number
    readonly name: string
    readonly arguments: Record<string, unknown>
  }
}

export type WireMessage = Omit<Wire<Message>, "tool_calls"> & { tool_calls?: WireToolCall[] }
export type WireChatPart = Omit<Wire<ChatResponse>, "message"> & { message: WireMessage }
export type WireGeneratePart = Wire<GenerateResponse>
export type WireShow = Wire<ShowResponse>
export type WireList = Wire<ListResponse>
/** `/api/ps`: the list shape plus what only running models have. */
export type WirePs = {
  models: Array<
    Wire<ListResponse>["models"][number] & { size_vram: number; context_length?: number; expires_at: string }
  >
}
export type WireEmbed = Wire<EmbedResponse>

/** An `/api/tags` entry as sent: a model entry without what only running models have. */
export type WireTagsEntry = Omit<WireList["models"][number], "expires_at" | "size_vram">
/** An `/api/ps` entry as sent (no `modified_at`). */
export type WirePsEntry = Omit<WirePs["models"][number], "modified_at">
/** `/api/show` as sent: `system`, `messages` and `projector_info` only when set (Go's omitempty). */
export type WireShowBody = Omit<WireShow, "system" | "messages" | "projector_info"> &
  Partial<Pick<WireShow, "system" | "messages" | "projector_info">>

/** The fields Ollama sends only on a stream's last part (Go's omitempty leaves them out before). */
type Trailer =
  | "done_reason"
  | "total_duration"
  | "load_duration"
  | "prompt_eval_count"
  | "prompt_eval_duration"
  | "eval_count"
  | "eval_duration"
/** A streamed `/api/chat` part as sent: the metrics only on the last (`done: true`). */
export type WireChatChunk = Omit<WireChatPart, Trailer> & Partial<Pick<WireChatPart, Trailer>>
/** A streamed `/api/generate` part as sent (`context` and the metrics only on the last). */
export type WireGenerateChunk = Omit<WireGeneratePart, Trailer | "context"> &
  Partial<Pick<WireGeneratePart, Trailer | "context">>
/** What `modelsOf` reads: `/api/tags` entries (which have no `expires_at` or `size_vram`). */
export type WireTags = {
  models: ReadonlyArray<
    Pick<WireList["models"][number], "name" | "size"> & {
      details?: Partial<WireList["models"][number]["details"]>
    }
  >
}
/** What `runningOf` reads from `/api/ps`. */
export type WirePsInfo = {
  models: ReadonlyArray<Pick<WirePs["models"][number], "name" | "size" | "size_vram" | "context_length">>
}
/** What `detailsOf` reads from `/api/show`. */
export type WireShowInfo = Partial<Pick<WireShow, "details" | "model_info" | "capabilities">>

/** One of the two generation calls, with its body. */
export type OllamaCall =
  | { readonly path: "chat"; readonly body: ChatRequest & { stream: true } }
  | { readonly path: "generate"; readonly body: OllamaGenerateRequest & { stream: true } }

const NS_PER_MS = 1e6
const ms = (ns: unknown): number => (typeof ns === "number" ? ns / NS_PER_MS : 0)

const wireMessage = (m: ChatMessage): Message => ({
  role: m.role,
  content: m.content,
  ...(m.images !== undefined && m.images.length > 0 ? { images: [...m.images] } : {}),
  ...(m.toolCalls !== undefined && m.toolCalls.length > 0
    ? {
        tool_calls: m.toolCalls.map((c) => ({
          function: { name: c.name, arguments: { ...c.arguments } },
        })),
      }
    : {}),
  ...(m.toolName !== undefined ? { tool_name: m.toolName } : {}),
  ...(m.thinking !== undefined ? { thinking: m.thinking } : {}),
})

/**
 * The generation call for a request: a chat when it has messages or tools (Ollama's generate
 * takes no tools), else a generate. Always streamed, kept resident, at the model's fixed context.
 */
export const generationCall = (model: string, req: GenerateRequest): OllamaCall => {
  const options = {
    num_ctx: req.numCtx,
    ...(req.numPredict !== undefined ? { num_predict: req.numPredict } : {}),
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    ...(req.topP !== undefined ? { top_p: req.topP } : {}),
    ...(req.seed !== undefined ? { seed: req.seed } : {}),
    ...(req.stop !== undefined && req.stop.length > 0 ? { stop: [...req.stop] } : {}),
  }
  const common = {
    model,
    keep_alive: -1,
    options,
    stream: true as const,
    ...(req.format !== undefined ? { format: req.format as string | object } : {}),
    ...(req.think !== undefined ? { think: req.think } : {}),
  }
  if (req.messages !== undefined || (req.tools !== undefined && req.tools.length > 0)) {
    const messages: ChatMessage[] =
      req.messages !== undefined
        ? [...req.messages]
        : [
            ...(req.system !== undefined ? [{ role: "system" as const, content: req.system }] : []),
            { role: "user" as const, content: req.prompt ?? "" },
          ]
    return {
      path: "chat",
      body: {
        ...common,
        messages: messages.map(wireMessage),
        ...(req.tools !== undefined && req.tools.length > 0 ? { tools: req.tools as Tool[] } : {}),
      },
    }
  }
  return {
    path: "generate",
    body: {
      ...common,
      prompt: req.prompt ?? "",
      ...(req.system !== undefined ? { system: req.system } : {}),
    },
  }
}

/** The call that loads a model and keeps it: an empty generate, or an empty embed for embedding models. */
export const loadCall = (
  model: string,
  numCtx: number,
  kind: "chat" | "embedding",
):
  | { readonly path: "generate"; readonly body: OllamaGenerateRequest & { stream: false } }
  | { readonly path: "embed"; readonly body: OllamaEmbedRequest } =>
  kind === "embedding"
    ? { path: "embed", body: { model, input: [], keep_alive: -1, options: { num_ctx: numCtx } } }
    : {
        path: "generate",
        body: { model, prompt: "", keep_alive: -1, options: { num_ctx: numCtx }, stream: false },
      }

/** The call that unloads a model at once (an empty generate with keep_alive 0: Ollama expires its runner). */
export const unloadCall = (model: string): OllamaGenerateRequest & { stream: false } => ({
  model,
  prompt: "",
  keep_alive: 0,
  stream: false,
})

export const embedCall = (model: string, req: EmbedRequest): OllamaEmbedRequest => ({
  model,
  input: [...req.input],
  keep_alive: -1,
  options: { num_ctx: req.numCtx },
  ...(req.truncate !== undefined ? { truncate: req.truncate } : {}),
  ...(req.dimensions !== undefined ? { dimensions: req.dimensions } : {}),
})

/**
 * Turns the parts of one streamed answer into port chunks, in order: reasoning, text, tool calls,
 * and the final `done`. Tool calls get ids unique within the answer when the server sends none.
 */
export class ChunkMapper {
  private calls = 0

  /** The chunks of one part; the last part (`done: true`) ends with a `done` chunk. */
  map(part: WireChatChunk | WireGenerateChunk): GenerateChunk[] {
    const out: GenerateChunk[] = []
    const message = "message" in part ? part.message : undefined
    const thinking = message !== undefined ? message.thinking : (part as WireGenerateChunk).thinking
    const text = message !== undefined ? message.content : (part as WireGenerateChunk).response
    if (thinking !== undefined && thinking !== "") out.push({ kind: "thinking", text: thinking })
    if (text !== undefined && text !== "") out.push({ kind: "token", text })
    const wireCalls = message?.tool_calls
    if (wireCalls !== undefined && wireCalls.length > 0) {
      out.push({ kind: "tool_calls", calls: wireCalls.map((c) => this.toolCall(c)) })
    }
    if (part.done) {
      out.push({
        kind: "done",
        reason: part.done_reason === "length" ? "length" : "stop",
        promptTokens: part.prompt_eval_count ?? 0,
        evalTokens: part.eval_count ?? 0,
        loadMs: ms(part.load_duration),
        promptEvalMs: ms(part.prompt_eval_duration),
        evalMs: ms(part.eval_duration),
        totalMs: ms(part.total_duration),
      })
    }
    return out
  }

  private toolCall(c: WireToolCall): ToolCall {
    const n = this.calls++
    const args = c.function.arguments
    return {
      id: c.id !== undefined && c.id !== "" ? c.id : `call_${n}`,
      name: c.function.name,
      arguments: typeof args === "object" && args !== null && !Array.isArray(args) ? args : {},
    }
  }
}

export const modelsOf = (r: WireTags): ReadonlyArray<BackendModel> =>
  r.models.map((m) => ({
    name: m.name,
    sizeBytes: m.size,
    family: m.details?.family ?? "",
    parameterSize: m.details?.parameter_size ?? "",
    quantisation: m.details?.quantization_level ?? "",
  }))

const infoNumber = (info: Record<string, unknown>, key: string): number => {
  const v = info[key]
  return typeof v === "number" ? v : 0
}

/** `/api/show` → details (the file size is not in it: `sizeBytes` comes from `/api/tags`). */
export const detailsOf = (name: string, r: WireShowInfo, sizeBytes: number): BackendModelDetails => {
  const info = (r.model_info ?? {}) as Record<string, unknown>
  const arch =
    typeof info["general.architecture"] === "string" ? (info["general.architecture"] as string) : ""
  return {
    name,
    sizeBytes,
    family: r.details?.family ?? arch,
    parameterSize: r.details?.parameter_size ?? "",
    quantisation: r.details?.quantization_level ?? "",
    parameterCount: infoNumber(info, "general.parameter_count"),
    contextLength: infoNumber(info, `${arch}.context_length`),
    layers: infoNumber(info, `${arch}.block_count`),
    heads: infoNumber(info, `${arch}.attention.head_count`),
    kvHeads: infoNumber(info, `${arch}.attention.head_count_kv`),
    embeddingLength: infoNumber(info, `${arch}.embedding_length`),
    capabilities: Array.isArray(r.capabilities) ? r.capabilities : ["completion"],
  }
}

export const runningOf = (r: WirePsInfo): ReadonlyArray<RunningModel> =>
  r.models.map((m) => ({
    name: m.name,
    sizeBytes: m.size,
    vramBytes: m.size_vram,
    contextLength: m.context_length ?? 0,
  }))

export const embedResultOf = (r: WireEmbed): EmbedResult => ({
  embeddings: r.embeddings,
  promptTokens: r.prompt_eval_count ?? 0,
  totalMs: ms(r.total_duration),
  loadMs: ms(r.load_duration),
})
