/**
 * The model registry: profiles by name, from `config/models.yaml` plus any inferred for models a
 * backend reports that the file lacks. A plain immutable value; adding a profile returns a new
 * registry so a routing decision always sees one consistent set.
 */
import type { ModelProfile } from "../domain/model-profile.js"

export class ModelRegistry {
  private readonly byName: ReadonlyMap<string, ModelProfile>
  /** Cached views; the registry never changes after construction. */
  readonly all: ReadonlyArray<ModelProfile>
  readonly names: ReadonlyArray<string>

  constructor(profiles: Iterable<ModelProfile>) {
    const map = new Map<string, ModelProfile>()
    for (const p of profiles) map.set(p.name, p)
    this.byName = map
    this.all = [...map.values()]
    this.names = [...map.keys()]
  }

  get(name: string): ModelProfile | undefined {
    return this.byName.get(name) ?? this.byName.get(normaliseName(name))
  }

  has(name: string): boolean {
    return this.get(name) !== undefined
  }

  get size(): number {
    return this.byName.size
  }

  /** A registry with `profiles` added; registry entries win over inferred ones of the same name. */
  withProfiles(profiles: Iterable<ModelProfile>): ModelRegistry {
    const merged = new Map(this.byName)
    for (const p of profiles) {
      const existing = merged.get(p.name)
      if (existing === undefined || existing.source === "inferred") merged.set(p.name, p)
    }
    return new ModelRegistry(merged.values())
  }
}

/** Ollama treats `name` and `name:latest` as the same model. */
export const normaliseName = (name: string): string => (name.includes(":") ? name : `${name}:latest`)
