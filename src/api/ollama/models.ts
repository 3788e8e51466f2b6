/**
 * The Ollama model endpoints over Conductor's registry and residency: `GET /api/tags` (the
 * routing aliases `auto`, `auto:fast|balanced|quality` and every registry model the backend
 * has), `POST /api/show` (details, `model_info` with the context length, capabilities as
 * Ollama names them; for an alias, what routing can reach), `GET /api/ps` (the models Conductor
 * holds resident or is draining; `expires_at` far in the future, since Conductor, not a timer,
 * decides when they go) and `GET /api/version` (the backend's Ollama version, which clients
 * gate features on, with Conductor's own beside it). Digests are stable identifiers of the name,
 * not blob digests.
 */
import { createHash } from "node:crypto"
import type { Context } from "hono"
import type { Conductor, ModelInfo } from "../../conductor.js"
import { isConductorError } from "../../domain/errors.js"
import { normaliseName } from "../../registry/registry.js"
import { readJsonBody } from "../body.js"
import type { ApiDeps } from "../deps.js"
import { ALIASES, isAlias } from "../model-field.js"
import { notFoundMessage, ollamaError } from "./errors.js"

const STARTED = new Date().toISOString()
/** Conductor keeps a model until it decides otherwise: never a keep_alive timer. */
const NEVER = "2318-01-01T00:00:00Z"

const digestOf = (name: string): string => createHash("sha256").update(`conductor:${name}`).digest("hex")

const familyOf = (m: ModelInfo): string => m.backend?.family ?? (m.name.split(":")[0] as string)

const detailsOf = (m: ModelInfo) => ({
  parent_model: "",
  format: "gguf",
  family: familyOf(m),
  families: [familyOf(m)],
  parameter_size: m.backend?.parameterSize ?? `${m.sizeB}B`,
  quantization_level: m.quantisation,
})

const ALIAS_DETAILS = {
  parent_model: "",
  format: "conductor",
  family: "conductor",
  families: ["conductor"],
  parameter_size: "",
  quantization_level: "",
}

/** A model someone else loaded on the backend, not in the registry. */
const UNKNOWN_DETAILS = { ...ALIAS_DETAILS, format: "gguf", family: "", families: [] }

/** Ollama's capability names, from the registry (and the backend's word on thinking). */
export const capabilitiesOf = (m: ModelInfo): string[] => {
  if (m.kind === "embedding") return ["embedding"]
  const caps = ["completion"]
  if (m.capabilities.includes("tools")) caps.push("tools")
  if (m.capabilities.includes("vision")) caps.push("vision")
  if (m.capabilities.includes("chain_of_thought") || m.backend?.capabilities.includes("thinking") === true)
    caps.push("thinking")
  return caps
}

const available = (conductor: Conductor) => conductor.models().filter((m) => m.available)

/** The models an alias routes among: the available chat models (of its tier). */
const reachable = (conductor: Conductor, alias: string): ModelInfo[] => {
  const tier = alias === "auto" ? undefined : alias.slice(5)
  return available(conductor).filter((m) => m.kind === "chat" && (tier === undefined || m.tier === tier))
}

const aliasCapabilities = (models: ReadonlyArray<ModelInfo>): string[] => {
  const caps = new Set(models.flatMap(capabilitiesOf))
  return ["completion", "tools", "vision", "thinking"].filter((c) => caps.has(c))
}

export const tags = (deps: ApiDeps) => (c: Context) => {
  const conductor = deps.conductor
  return c.json({
    models: [
      ...ALIASES.map((name) => ({
        name,
        model: name,
        modified_at: STARTED,
        size: 0,
        digest: digestOf(name),
        details: ALIAS_DETAILS,
        capabilities: aliasCapabilities(reachable(conductor, name)),
      })),
      ...available(conductor).map((m) => ({
        name: m.name,
        model: m.name,
        modified_at: STARTED,
        size: m.backend?.sizeBytes ?? Math.round(m.memoryGb * 1e9),
        digest: digestOf(m.name),
        details: detailsOf(m),
        capabilities: capabilitiesOf(m),
      })),
    ],
  })
}

export const show = (deps: ApiDeps) => async (c: Context) => {
  const read = await readJsonBody(c, deps.maxRequestBytes)
  if (!read.ok) return ollamaError(c, read.status, read.message)
  const b = read.value as Record<string, unknown> | null
  const name =
    typeof b === "object" && b !== null
      ? typeof b.model === "string" && b.model !== ""
        ? b.model
        : typeof b.name === "string" && b.name !== ""
          ? b.name
          : undefined
      : undefined
  if (name === undefined) return ollamaError(c, 400, "model is required")
  if (isAlias(name)) {
    const models = reachable(deps.conductor, name)
    const contextLength = Math.max(0, ...models.map((m) => m.contextWindow))
    return c.json({
      modelfile: `# ${name}: Conductor routes each query to one of: ${models.map((m) => m.name).join(", ")}\n`,
      parameters: "",
      template: "",
      details: ALIAS_DETAILS,
      model_info: {
        "general.architecture": "conductor",
        "general.basename": name,
        "conductor.context_length": contextLength,
      },
      capabilities: aliasCapabilities(models),
      modified_at: STARTED,
      conductor: { kind: "route", models: models.map((m) => m.name) },
    })
  }
  const wanted = normaliseName(name)
  const m = available(deps.conductor).find((x) => normaliseName(x.name) === wanted)
  if (m === undefined) return ollamaError(c, 404, notFoundMessage(name))
  const arch = familyOf(m)
  return c.json({
    modelfile: `# ${m.name} as Conductor loads it\nFROM ${m.name}\nPARAMETER num_ctx ${m.numCtx}\n`,
    parameters: `num_ctx                        ${m.numCtx}`,
    template: "",
    details: detailsOf(m),
    model_info: {
      "general.architecture": arch,
      "general.basename": m.name,
      "general.parameter_count": m.backend?.parameterCount ?? Math.round(m.sizeB * 1e9),
      [`${arch}.context_length`]: m.contextWindow,
      ...(m.backend !== undefined && m.backend.embeddingLength > 0
        ? { [`${arch}.embedding_length`]: m.backend.embeddingLength }
        : {}),
    },
    capabilities: capabilitiesOf(m),
    modified_at: STARTED,
    conductor: { kind: m.kind, tier: m.tier, numCtx: m.numCtx, memoryGb: m.memoryGb },
  })
}

export const ps = (deps: ApiDeps) => (c: Context) => {
  const conductor = deps.conductor
  const info = new Map(conductor.models().map((m) => [m.name, m]))
  const held = conductor.snapshot().models.filter((m) => m.state === "resident" || m.state === "draining")
  return c.json({
    models: held.map((r) => {
      const m = info.get(r.name)
      return {
        name: r.name,
        model: r.name,
        size: r.bytes,
        digest: digestOf(r.name),
        details: m !== undefined ? detailsOf(m) : UNKNOWN_DETAILS,
        // A draining model goes once its requests end.
        expires_at: r.state === "draining" ? new Date().toISOString() : NEVER,
        size_vram: r.bytes,
        context_length: m?.numCtx ?? 0,
        conductor: { state: r.state, leases: r.leases, pinned: r.pinned, external: r.external },
      }
    }),
  })
}

export const version = (deps: ApiDeps) => async (c: Context) => {
  try {
    return c.json({ version: await deps.conductor.backendVersion(), conductor: deps.version })
  } catch (e) {
    const message = isConductorError(e) ? e.message : String(e)
    return ollamaError(c, 503, `the backend did not answer: ${message}`)
  }
}
