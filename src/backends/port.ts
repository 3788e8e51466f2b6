/**
 * The backend port: what Conductor needs from a model server. Adapters: `ollama/` (the official
 * ollama-js client over HTTP) and `sim/adapter.ts` (the in-process simulator). Every call fails
 * with a `ConductorError` whose reason says what went wrong; generation is a Stream whose
 * interruption aborts the request on the server (freeing its GPU slot).
 */
import { Context, type Effect, type Stream } from "effect"
import type { ConductorError } from "../domain/errors.js"

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

export interface ChatMessage {
  readonly role: "system" | "user" | "assistant" | "tool"
  readonly content: string
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
  readonly seed?: number
}

export type GenerateChunk =
  | { readonly kind: "token"; readonly text: string }
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

export interface BackendShape {
  /** What this backend is, for banners and logs (e.g. `ollama http://127.0.0.1:11434`). */
  readonly description: string
  /** Version string; fails with Unavailable when the server does not answer. */
  readonly ping: Effect.Effect<string, ConductorError>
  readonly listModels: Effect.Effect<ReadonlyArray<BackendModel>, ConductorError>
  readonly describeModel: (name: string) => Effect.Effect<BackendModelDetails, ConductorError>
  readonly runningModels: Effect.Effect<ReadonlyArray<RunningModel>, ConductorError>
  /** Load with a fixed context and keep it resident until `unload` (keep_alive -1). */
  readonly load: (name: string, numCtx: number) => Effect.Effect<void, ConductorError>
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
}

export class Backend extends Context.Service<Backend, BackendShape>()("conductor/Backend") {}
