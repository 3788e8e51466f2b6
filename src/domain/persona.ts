/**
 * Personas: named routing preferences (a researcher wants quality, a casual user wants speed).
 * The router applies them after task and complexity are known; see `routing/persona.ts`.
 */
import type { TaskType } from "./task.js"
import type { Tier } from "./tier.js"

/** A task override sends a task either to a tier or straight to a model. */
export type TaskOverride = { readonly tier: Tier } | { readonly model: string }

export interface PersonaRule {
  readonly when: {
    readonly tasks?: ReadonlyArray<TaskType>
    /** Matches when complexity < this. */
    readonly complexityBelow?: number
    /** Matches when complexity >= this. */
    readonly complexityAtLeast?: number
  }
  readonly action: { readonly tier: Tier } | { readonly adjust: "up" | "down" }
}

export interface Persona {
  readonly name: string
  readonly description: string
  readonly preferredTier?: Tier
  /** Below this complexity the preferred tier is not forced upwards: the complexity tier stands. */
  readonly downgradeThreshold?: number
  /** At or above this complexity the preferred tier is not forced downwards. */
  readonly upgradeThreshold?: number
  readonly taskOverrides: Readonly<Partial<Record<TaskType, TaskOverride>>>
  /** First matching rule wins; applied before the preferred tier. */
  readonly rules: ReadonlyArray<PersonaRule>
  /** Models with a smaller context window are avoided (relaxed with a warning when nothing else fits). */
  readonly minContextWindow?: number
  /** Models preferred for a task, in order, when available and fitting. */
  readonly specialisedModels: Readonly<Partial<Record<TaskType, ReadonlyArray<string>>>>
}
