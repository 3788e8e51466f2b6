/**
 * The `model` field both compatible APIs share: `auto` (Conductor routes), `auto:<tier>` (routes
 * within a tier) or a registry model (an override), and the one lookup of a model a request
 * names (`name` and `name:latest` are one model; a registry model the backend lacks is unknown).
 */
import type { Conductor, ModelInfo } from "../conductor.js"
import { TIERS, type Tier } from "../domain/tier.js"
import { normaliseName } from "../registry/registry.js"

/** The routing aliases, as model lists show them. */
export const ALIASES = ["auto", ...TIERS.map((t) => `auto:${t}`)] as const

export const isAlias = (name: string): boolean => (ALIASES as ReadonlyArray<string>).includes(name)

/** A model field: `auto`, `auto:<tier>`, or a model name. */
export const parseModelField = (
  model: string,
): { readonly tier?: Tier; readonly model?: string } | { readonly error: string } => {
  if (model === "auto") return {}
  if (model.startsWith("auto:")) {
    const tier = model.slice(5)
    return (TIERS as ReadonlyArray<string>).includes(tier)
      ? { tier: tier as Tier }
      : {
          error: `model: unknown tier '${tier}' (auto, ${TIERS.map((t) => `auto:${t}`).join(", ")} or a model name)`,
        }
  }
  return { model }
}

export type ModelLookup =
  | { readonly ok: true; readonly info: ModelInfo }
  | { readonly ok: false; readonly why: "not_in_registry" | "not_on_backend" }

/** A model a request names, found in the registry and on the backend. */
export const lookupModel = (conductor: Conductor, name: string): ModelLookup => {
  const wanted = normaliseName(name)
  const info = conductor.models().find((m) => normaliseName(m.name) === wanted)
  if (info === undefined) return { ok: false, why: "not_in_registry" }
  if (!info.available) return { ok: false, why: "not_on_backend" }
  return { ok: true, info }
}
