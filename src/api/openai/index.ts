/**
 * The OpenAI-compatible API under `/v1` (docs/openai.md): chat completions, models and
 * embeddings. It translates to Conductor's `submit` and `embed` and back; routing, scheduling,
 * validation and failover happen behind them, as for every entry point.
 */
import { Hono } from "hono"
import type { ApiDeps } from "../deps.js"
import { chatCompletions } from "./chat.js"
import { embeddings } from "./embeddings.js"
import { getModel, listModels } from "./models.js"

export { openaiError } from "./errors.js"

export const openaiRoutes = (deps: ApiDeps): Hono => {
  const app = new Hono()
  app.post("/chat/completions", chatCompletions(deps))
  app.post("/embeddings", embeddings(deps))
  app.get("/models", listModels(deps.conductor))
  app.get("/models/:id{.+}", getModel(deps.conductor))
  return app
}
