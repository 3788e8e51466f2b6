/** Shared fixtures: the bundled configuration and a router environment over it. */
import { Result } from "effect"
import { type Config, loadConfig } from "../../src/config/load.js"
import { ModelRegistry } from "../../src/registry/registry.js"
import type { RouterEnv } from "../../src/routing/router.js"
import { classifierFor } from "../../src/routing/weights.js"

let cached: Config | undefined

export const bundledConfig = (): Config => {
  if (cached === undefined) cached = Result.getOrThrow(loadConfig({ env: {} }))
  return cached
}

/** The shipped routing classifier (loaded once). */
export const shippedClassifier = () => Result.getOrThrow(classifierFor(bundledConfig()))?.classifier

/** The bundled configuration's router environment, with the shipped classifier unless overridden. */
export const routerEnv = (overrides: Partial<RouterEnv> = {}): RouterEnv => {
  const c = bundledConfig()
  return {
    classifier: shippedClassifier(),
    registry: new ModelRegistry(c.models),
    personas: c.personas,
    routing: c.conductor.routing,
    fallbacks: c.conductor.fallbacks,
    ...overrides,
  }
}
