/**
 * `GET /v1/models` and `GET /v1/models/{id}`: the routing aliases (`auto`, `auto:fast`,
 * `auto:balanced`, `auto:quality`) and every registry model, in OpenAI's list shape, with a
 * `conductor` object per entry (kind, tier, capabilities, context window, whether the backend
 * has it). `resolveModel` is the
 * one lookup the facades use for a model a request names.
 */
import type { Context } from "hono"
import type { Conductor, ModelInfo } from "../../conductor.js"
import { normaliseName } from "../../registry/registry.js"
import { ALIASES, isAlias, lookupModel } from "../model-field.js"
import { type OpenAIErrorBody, openaiError } from "./errors.js"

const STARTED = Math.floor(Date.now() / 1000)

/** Ollama's convention: the namespace before `/`, else `library`. */
const ownerOf = (name: string): string =>
  name.includes("/") ? (name.split("/").at(-2) ?? "library") : "library"

const aliasEntry = (id: string) => ({
  id,
  object: "model" as const,
  created: STARTED,
  owned_by: "conductor",
  conductor: {
    kind: "route",
    ...(id === "auto" ? {} : { tier: id.slice(5) }),
  },
})

const modelEntry = (m: ModelInfo) => ({
  id: m.name,
  object: "model" as const,
  created: STARTED,
  owned_by: ownerOf(m.name),
  conductor: {
    kind: m.kind,
    tier: m.tier,
    available: m.available,
    contextWindow: m.contextWindow,
    capabilities: m.capabilities,
  },
})

/** A model a request names, found in the registry (`name` and `name:latest` are one model). */
export const resolveModel = (
  conductor: Conductor,
  name: string,
): { ok: true; info: ModelInfo } | { ok: false; status: 404; body: OpenAIErrorBody } => {
  const found = lookupModel(conductor, name)
  if (!found.ok) {
    return {
      ok: false,
      status: 404,
      body: openaiError(
        404,
        `model: '${name}' ${found.why === "not_in_registry" ? "is not in the registry" : "is not on the backend"}; GET /v1/models lists them (or use auto)`,
        "model_not_found",
      ),
    }
  }
  return found
}

export const listModels = (conductor: Conductor) => (c: Context) =>
  c.json({ object: "list", data: [...ALIASES.map(aliasEntry), ...conductor.models().map(modelEntry)] })

export const getModel = (conductor: Conductor) => (c: Context) => {
  const id = c.req.param("id") ?? ""
  if (isAlias(id)) return c.json(aliasEntry(id))
  const wanted = normaliseName(id)
  const m = conductor.models().find((x) => normaliseName(x.name) === wanted)
  if (m === undefined)
    return c.json(openaiError(404, `model: '${id}' is not in the registry`, "model_not_found"), 404)
  return c.json(modelEntry(m))
}
