/**
 * The Ollama-compatible API under `/api` (docs/ollama.md), so that `OLLAMA_HOST` pointed at
 * Conductor makes any Ollama client a Conductor client: chat and generate (streamed as NDJSON or
 * not; empty requests load and unload through Conductor's scheduler), embed and the legacy
 * embeddings, and the model endpoints (tags, show, ps, version). Each translates to Conductor
 * and back; routing, scheduling, validation and failover happen behind it.
 */
import { Hono } from "hono"
import type { ApiDeps } from "../deps.js"
import { chat } from "./chat.js"
import { embed, embeddings } from "./embed.js"
import { generate } from "./generate.js"
import { ps, show, tags, version } from "./models.js"

export const ollamaRoutes = (deps: ApiDeps): Hono => {
  const app = new Hono()
  app.post("/chat", chat(deps))
  app.post("/generate", generate(deps))
  app.post("/embed", embed(deps))
  app.post("/embeddings", embeddings(deps))
  app.get("/tags", tags(deps))
  app.post("/show", show(deps))
  app.get("/ps", ps(deps))
  app.get("/version", version(deps))
  return app
}
