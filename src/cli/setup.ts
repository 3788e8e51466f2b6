/**
 * Shared start-up for commands: load the configuration and the routing classifier's weights
 * (printing every problem and exiting 1 when either is invalid) and build the router environment.
 */
import { Result } from "effect"
import { renderInvalidConfig } from "../config/issues.js"
import { type Config, loadConfig } from "../config/load.js"
import { GB } from "../domain/model-profile.js"
import { budgetOf } from "../gpu/hardware.js"
import { ModelRegistry } from "../registry/registry.js"
import type { RouterEnv } from "../routing/router.js"
import { classifierFor } from "../routing/weights.js"
import { ExitError } from "./args.js"

export { ExitError } from "./args.js"

export const configOrExit = (
  dir: string | undefined,
  options: { readonly classifier?: boolean } = {},
): Config => {
  const loaded = loadConfig({ dir })
  // Commands that route also load (and so check) the routing classifier's weights.
  const r = options.classifier
    ? Result.flatMap(loaded, (config) => Result.map(classifierFor(config), () => config))
    : loaded
  if (Result.isFailure(r)) {
    throw new ExitError(renderInvalidConfig(r.failure.issues), 1)
  }
  return r.success
}

/**
 * Budget from configured VRAM (× utilisation − reserve, as the server computes it: gpu/hardware.ts);
 * undefined means unconstrained.
 */
export const configuredBudgetBytes = (config: Config, vramGbOverride?: number): number | undefined => {
  const vram = vramGbOverride ?? config.conductor.hardware.vramGb
  if (vram === undefined) return undefined
  return budgetOf(Math.round(vram * GB), config.conductor.hardware)
}

/** The router environment; the classifier was loaded (and checked) by `configOrExit(dir, {classifier: true})`. */
export const routerEnv = (config: Config, budgetBytes: number | undefined): RouterEnv => {
  const loaded = Result.getOrThrow(classifierFor(config))
  if (loaded?.stale !== undefined) process.stderr.write(`warning: ${loaded.stale}\n`)
  return {
    registry: new ModelRegistry(config.models),
    personas: config.personas,
    routing: config.conductor.routing,
    fallbacks: config.conductor.fallbacks,
    budgetBytes,
    classifier: loaded?.classifier,
  }
}
