/**
 * Discovery: which models the backend has, their facts from `/api/show`, and inferred profiles for
 * models the configured registry lacks. Registry models the backend does not have are reported as
 * missing (routing can still name them; loading them fails with ModelNotFound).
 */
import { Effect } from "effect"
import type { BackendModelDetails, BackendShape } from "../backends/port.js"
import type { ConductorError } from "../domain/errors.js"
import { inferProfile, type ModelFacts } from "./infer.js"
import { type ModelRegistry, normaliseName } from "./registry.js"

/** What the footprint estimate and profile inference need from `/api/show`. */
export const factsOf = (d: BackendModelDetails): ModelFacts => ({
  name: d.name,
  parameterSize: d.parameterCount > 0 ? d.parameterCount / 1e9 : d.parameterSize,
  quantisation: d.quantisation,
  ...(d.contextLength > 0 ? { contextLength: d.contextLength } : {}),
  ollamaCapabilities: d.capabilities,
  family: d.family,
  ...(d.layers > 0 ? { layers: d.layers } : {}),
  ...(d.kvHeads > 0 || d.heads > 0 ? { kvHeads: d.kvHeads > 0 ? d.kvHeads : d.heads } : {}),
  ...(d.heads > 0 && d.embeddingLength > 0 ? { headDim: Math.round(d.embeddingLength / d.heads) } : {}),
  ...(d.sizeBytes > 0 ? { sizeBytes: d.sizeBytes } : {}),
})

export interface Discovery {
  /** The configured registry plus inferred profiles for the backend's other models. */
  readonly registry: ModelRegistry
  /** `/api/show` facts of every model the backend has, by name. */
  readonly details: ReadonlyMap<string, BackendModelDetails>
  /** Registry models the backend does not have. */
  readonly missing: ReadonlyArray<string>
}

export const discover = (
  backend: BackendShape,
  registry: ModelRegistry,
): Effect.Effect<Discovery, ConductorError> =>
  Effect.gen(function* () {
    const listed = yield* backend.listModels
    const described = yield* Effect.forEach(
      listed,
      (m) =>
        backend.describeModel(m.name).pipe(
          // A model that vanished between list and show is simply not there.
          Effect.map((d): BackendModelDetails | undefined => d),
          Effect.catchIf(
            (e) => e.reason === "ModelNotFound",
            () => Effect.succeed(undefined),
          ),
        ),
      { concurrency: 4 },
    )
    const details = new Map<string, BackendModelDetails>()
    for (const d of described) if (d !== undefined) details.set(normaliseName(d.name), d)
    const inferred = [...details.values()]
      .filter((d) => !registry.has(d.name))
      .map((d) => inferProfile(factsOf(d)))
    const missing = registry.names.filter((n) => !details.has(normaliseName(n)))
    return { registry: registry.withProfiles(inferred), details, missing }
  })
