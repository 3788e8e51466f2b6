/**
 * `POST /v1/embeddings`: text (a string or up to 2,048 of them) → vectors on an embedding model,
 * scheduled under the VRAM budget like every request. `model` is `auto` (the default embedding
 * model) or a registry embedding model; `encoding_format` `float` or `base64` (little-endian
 * float32, as OpenAI and Ollama send it); `dimensions` shortens the vectors. A client that
 * disconnects cancels the request.
 */
import type { Context } from "hono"
import { isConductorError } from "../../domain/errors.js"
import { readJsonBody } from "../body.js"
import type { ApiDeps } from "../deps.js"
import { tenantOf } from "../tenant.js"
import { errorResponse, openaiError } from "./errors.js"
import { resolveModel } from "./models.js"

const base64Of = (v: ReadonlyArray<number>): string =>
  Buffer.from(new Float32Array(v).buffer).toString("base64")

export const embeddings =
  (deps: ApiDeps) =>
  async (c: Context): Promise<Response> => {
    if (deps.draining()) return c.json(openaiError(503, "the server is shutting down", "draining"), 503)
    const body = await readJsonBody(c, deps.maxRequestBytes)
    if (!body.ok) return c.json(openaiError(body.status, body.message, "invalid_request"), body.status)
    const b = body.value as Record<string, unknown>
    if (typeof b !== "object" || b === null || Array.isArray(b)) {
      return c.json(openaiError(400, "request: expected a JSON object", "invalid_request"), 400)
    }
    const problems: string[] = []
    if (typeof b.model !== "string" || b.model === "")
      problems.push("model: required (auto or an embedding model)")
    const input = b.input
    const texts: string | string[] | undefined =
      typeof input === "string"
        ? input
        : Array.isArray(input) && input.length > 0 && input.every((s) => typeof s === "string")
          ? (input as string[])
          : undefined
    if (texts === undefined) {
      problems.push(
        Array.isArray(input) && input.length > 0 && typeof input[0] !== "string"
          ? "input: token arrays are not supported; send text"
          : "input: expected a string or a non-empty array of strings",
      )
    } else if (texts === "" || (Array.isArray(texts) && texts.includes(""))) {
      problems.push("input: must not be empty (nor any of its strings)")
    }
    const format = b.encoding_format ?? "float"
    if (format !== "float" && format !== "base64") problems.push("encoding_format: expected float or base64")
    if (b.dimensions !== undefined && (!Number.isInteger(b.dimensions) || (b.dimensions as number) < 1)) {
      problems.push("dimensions: expected an integer ≥ 1")
    }
    if (problems.length > 0) return c.json(openaiError(400, problems.join("; "), "invalid_request"), 400)
    const model = b.model === "auto" ? undefined : (b.model as string)
    if (model !== undefined) {
      const m = resolveModel(deps.conductor, model)
      if (!m.ok) return c.json(m.body, m.status)
      if (m.info.kind !== "embedding") {
        return c.json(
          openaiError(
            400,
            `model: '${m.info.name}' is a chat model, not an embedding model`,
            "invalid_model",
          ),
          400,
        )
      }
    }
    try {
      const r = await deps.conductor.embed(
        {
          input: texts as string | string[],
          ...(model !== undefined ? { model } : {}),
          ...(b.dimensions !== undefined ? { dimensions: b.dimensions as number } : {}),
          ...(typeof b.user === "string" && b.user !== "" ? { client: b.user.slice(0, 256) } : {}),
          tenant: tenantOf(
            "openai",
            typeof b.user === "string" ? b.user.slice(0, 256) : undefined,
            c.req.header("authorization"),
          ),
        },
        { signal: c.req.raw.signal },
      )
      c.header("x-conductor-request-id", r.id)
      c.header("x-conductor-model", r.model)
      return c.json({
        object: "list",
        data: r.embeddings.map((v, index) => ({
          object: "embedding",
          embedding: format === "base64" ? base64Of(v) : v,
          index,
        })),
        model: r.model,
        usage: { prompt_tokens: r.usage.promptTokens, total_tokens: r.usage.promptTokens },
      })
    } catch (e) {
      if (c.req.raw.signal.aborted) return c.body(null, 499 as 200)
      if (!isConductorError(e)) throw e
      return errorResponse(c, e)
    }
  }
