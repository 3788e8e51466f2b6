/**
 * Errors in Ollama's shape, `{"error": "..."}`, with the status the shared table gives each
 * Conductor failure (`../error-status.ts`). An unknown model is 404 with Ollama's own words at
 * HEAD, `model 'x' not found`, which clients (the `ollama` CLI, ollama-js users) test for.
 */
import type { Context } from "hono"
import type { ConductorError } from "../../domain/errors.js"
import { retryHeaders, statusOf } from "../error-status.js"

export const notFoundMessage = (model: string): string => `model '${model}' not found`

export const ollamaError = (c: Context, status: number, message: string): Response =>
  c.json({ error: message }, status as 400)

export const fromConductorError = (c: Context, e: ConductorError): Response => {
  for (const [k, v] of Object.entries(retryHeaders(e))) c.header(k, v)
  const message = e.reason === "ModelNotFound" && e.model !== undefined ? notFoundMessage(e.model) : e.message
  return ollamaError(c, statusOf(e.reason), message)
}
