/** Shared fixtures: the bundled configuration and a router environment over it. */
import { Result } from "effect"
import { type Config, loadConfig } from "../../src/config/load.js"
import { ModelRegistry } from "../../src/registry/registry.js"
import type { RouterEnv } from "../../src/routing/router.js"

let cached: Config | undefined

export const bundledConfig = (): Config => {
  if (cached === undefined) cached = Result.getOrThrow(loadConfig({ env: {} }))
  return cached
}

export const routerEnv = (overrides: Partial<RouterEnv> = {}): RouterEnv => {
  const c = bundledConfig()
  return {
    registry: new ModelRegistry(c.models),
    personas: c.personas,
    routing: c.conductor.routing,
    fallbacks: c.conductor.fallbacks,
    ...overrides,
  }
}
