/**
 * A route of the simulator's HTTP server: a method, a path (`:name` matches one segment) and the
 * handler that answers it over the engine. Ollama's API (http.ts) and its OpenAI-compatible `/v1`
 * endpoints (openai.ts) are both lists of these.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import type { SimEngine } from "./engine.js"

export type Handler = (
  engine: SimEngine,
  req: IncomingMessage,
  res: ServerResponse,
  params: Readonly<Record<string, string>>,
) => Promise<void> | void

export interface Route {
  readonly method: "HEAD" | "GET" | "POST" | "DELETE"
  /** A path; a segment `:name` matches any one segment. */
  readonly path: string
  /** Undefined: Ollama serves it, the simulator does not (501). */
  readonly handler?: Handler
}
