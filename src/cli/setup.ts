/**
 * Shared start-up for commands: load the configuration and the routing classifier's weights
 * (printing every problem and exiting 1 when either is invalid) and build the router environment.
 */
import { Result } from "effect"
import { renderIssue } from "../config/issues.js"
import { type Config, loadConfig } from "../config/load.js"
import { GB } from "../domain/model-profile.js"
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
    const issues = r.failure.issues
    throw new ExitError(
      `configuration invalid (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${issues.map((i) => `  ${renderIssue(i)}`).join("\n")}`,
      1,
    )
  }
  return r.success
}

/** Budget from configured VRAM (× utilisation − reserve); undefined means unconstrained. */
export const configuredBudgetBytes = (config: Config, vramGbOverride?: number): number | undefined => {
  const vram = vramGbOverride ?? config.conductor.hardware.vramGb
  if (vram === undefined) return undefined
  const { utilisation, reserveGb } = config.conductor.hardware
  return Math.max(0, vram * GB * utilisation - reserveGb * GB)
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
