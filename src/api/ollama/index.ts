/**
 * The Ollama-compatible API under `/api` (docs/ollama.md), so that `OLLAMA_HOST` pointed at
 * Conductor makes any Ollama client a Conductor client.
 */
import { Hono } from "hono"
import type { ApiDeps } from "../deps.js"

export const ollamaRoutes = (deps: ApiDeps): Hono => {
  const app = new Hono()
  app.get("/version", (c) => c.json({ version: deps.version }))
  return app
}
