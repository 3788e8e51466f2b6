/**
 * The backend port: what Conductor needs from a model server. Adapters: `ollama/` (the official
 * ollama-js client over HTTP) and `sim/adapter.ts` (the in-process simulator). Every call fails
 * with a `ConductorError` whose reason says what went wrong; generation is a Stream whose
 * interruption aborts the request on the server (freeing its GPU slot).
 */
import { Context, type Effect, type Stream } from "effect"
import type { ConductorError } from "../domain/errors.js"
import type { ToolCall } from "../domain/events.js"
import type { ModelKind } from "../domain/model-profile.js"

export interface BackendModel {
  readonly name: string
  readonly sizeBytes: number
  readonly family: string
  /** As the server reports it, e.g. "8.0B". */
  readonly parameterSize: string
  readonly quantisation: string
}

export interface BackendModelDetails extends BackendModel {
  readonly parameterCount: number
  readonly contextLength: number
  readonly layers: number
  readonly heads: number
  readonly kvHeads: number
  readonly embeddingLength: number
  /** Ollama's capabilities: completion, tools, vision, insert, thinking… */
  readonly capabilities: ReadonlyArray<string>
}

/** A model resident on the server (residency truth). */
export interface RunningModel {
  readonly name: string
  readonly sizeBytes: number
  readonly vramBytes: number
  readonly contextLength: number
}

/** A function the model may call (OpenAI's and Ollama's `tools` entries). */
export interface ToolDefinition {
  readonly type: "function"
  readonly function: {
    readonly name: string
    readonly description?: string
    /** JSON Schema of the arguments object. */
    readonly parameters?: Readonly<Record<string, unknown>>
  }
}

/** A call the model asked for: the function's name and its arguments (parsed JSON). */
export type { ToolCall }

export interface ChatMessage {
  readonly role: "system" | "user" | "assistant" | "tool"
  readonly content: string
  /** Base64-encoded images (no `data:` prefix) for vision models. */
  readonly images?: ReadonlyArray<string>
  /** An assistant turn that called tools. */
  readonly toolCalls?: ReadonlyArray<ToolCall>
  /** A tool result: the tool that answered (Ollama's `tool_name`). */
  readonly toolName?: string
  /** An assistant turn's reasoning, for models that think. */
  readonly thinking?: string
}

export interface GenerateRequest {
  readonly prompt?: string
  readonly system?: string
  readonly messages?: ReadonlyArray<ChatMessage>
  /** "json" or a JSON Schema. */
  readonly format?: "json" | Readonly<Record<string, unknown>>
  /** The model's fixed context size: the same on every call, so the server never reloads. */
  readonly numCtx: number
  readonly numPredict?: number
  readonly temperature?: number
  readonly topP?: number
  readonly seed?: number
  /** Stop sequences. */
  readonly stop?: ReadonlyArray<string>
  /** Functions the model may call; only chats carry them (prompt requests are sent as chats). */
  readonly tools?: ReadonlyArray<ToolDefinition>
  /** Ask a thinking model to reason first (its reasoning streams as `thinking` chunks). */
  readonly think?: boolean
}

export type GenerateChunk =
  | { readonly kind: "token"; readonly text: string }
  /** Reasoning of a thinking model, before (or between) its answer tokens. */
  | { readonly kind: "thinking"; readonly text: string }
  /** Calls the model made instead of (or besides) answering in text; ids are unique per answer. */
  | { readonly kind: "tool_calls"; readonly calls: ReadonlyArray<ToolCall> }
  | {
      readonly kind: "done"
      readonly reason: "stop" | "length"
      readonly promptTokens: number
      readonly evalTokens: number
      /** Milliseconds, as reported by the server. */
      readonly loadMs: number
      readonly promptEvalMs: number
      readonly evalMs: number
      readonly totalMs: number
    }

export interface EmbedRequest {
  readonly input: ReadonlyArray<string>
  /** The model's fixed context size (as for generation: never varied per request). */
  readonly numCtx: number
  /** Cut inputs longer than the context instead of failing (Ollama's default: true). */
  readonly truncate?: boolean
  /** Shorter vectors, for models that support it. */
  readonly dimensions?: number
}

export interface EmbedResult {
  /** One vector per input, in order. */
  readonly embeddings: ReadonlyArray<ReadonlyArray<number>>
  readonly promptTokens: number
  /** Milliseconds, as reported by the server. */
  readonly totalMs: number
  readonly loadMs: number
}

/** Where `generateInto` pushes a generation (see `BackendShape.generateInto`). */
export interface GenerationSink {
  /** The chunks one read brought (never empty), in order; the last batch ends with the done chunk. */
  readonly chunks: (chunks: ReadonlyArray<GenerateChunk>) => void
  /** The generation failed (after the chunks that came before): the stream's error. */
  readonly failed: (error: ConductorError) => void
}

export interface BackendShape {
  /** What this backend is, for banners and logs (e.g. `ollama http://127.0.0.1:11434`). */
  readonly description: string
  /** Version string; fails with Unavailable when the server does not answer. */
  readonly ping: Effect.Effect<string, ConductorError>
  readonly listModels: Effect.Effect<ReadonlyArray<BackendModel>, ConductorError>
  readonly describeModel: (name: string) => Effect.Effect<BackendModelDetails, ConductorError>
  readonly runningModels: Effect.Effect<ReadonlyArray<RunningModel>, ConductorError>
  /**
   * Load with a fixed context and keep it resident until `unload` (keep_alive -1): a chat model
   * by an empty generate, an embedding model by an empty embed (Ollama refuses generate on it).
   */
  readonly load: (name: string, numCtx: number, kind: ModelKind) => Effect.Effect<void, ConductorError>
  /**
   * Unload (keep_alive 0). Resolves once the server has let the model go and its memory is free
   * again, so the next load can count on it. Call it for idle models: the server only unloads a
   * model once its in-flight requests end.
   */
  readonly unload: (name: string) => Effect.Effect<void, ConductorError>
  /**
   * Generate on a resident model. Tokens stream as they come; the stream ends with one `done`
   * chunk. A failure mid-stream fails the stream (never a silent end). Interrupting the stream
   * aborts the request on the server.
   */
  readonly generate: (name: string, request: GenerateRequest) => Stream.Stream<GenerateChunk, ConductorError>
  /**
   * Optional: the same generation as `generate`, pushed to `sink` instead of pulled through a
   * Stream (the attempt actor's hot path: no fiber, no queue). The chunks and the failure are
   * exactly the stream's; after the done chunk or a failure nothing more comes. The returned
   * function stops it as interrupting the stream does (the request is aborted on the server
   * unless its done part came). Backends without it are run through `generate`.
   */
  readonly generateInto?: (name: string, request: GenerateRequest, sink: GenerationSink) => () => void
  /** Embed on a resident embedding model (keep_alive -1, the model's fixed num_ctx). Interruption aborts it. */
  readonly embed: (name: string, request: EmbedRequest) => Effect.Effect<EmbedResult, ConductorError>
}

export class Backend extends Context.Service<Backend, BackendShape>()("conductor/Backend") {}
