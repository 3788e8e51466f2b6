/**
 * `conductor config check [--config DIR]`: validate the configuration and print a summary of what
 * resolved (files, overrides, models, personas, routing and its classifier, fallbacks, hardware), or every problem
 * with its file and path, exiting 1.
 */

import { parseArgs } from "node:util"
import { Result } from "effect"
import { TASK_TYPES, type TaskType } from "../../domain/task.js"
import { TIERS } from "../../domain/tier.js"
import { classifierFor } from "../../routing/weights.js"
import { UsageError, withUsage } from "../args.js"
import { usageOf } from "../help.js"
import { configOrExit } from "../setup.js"

export const CONFIG_USAGE = usageOf("config")
export const runConfig = async (argv: ReadonlyArray<string>): Promise<number> => {
  const { values, positionals } = withUsage(
    () =>
      parseArgs({
        args: [...argv],
        options: { config: { type: "string" } },
        allowPositionals: true,
        strict: true,
      }),
    CONFIG_USAGE,
  )
  if (positionals[0] !== "check" || positionals.length !== 1) {
    throw new UsageError(`unknown config subcommand '${positionals.join(" ")}'\n\n${CONFIG_USAGE}`)
  }
  const c = configOrExit(values.config, { classifier: true })
  const { routing, fallbacks, hardware } = c.conductor
  const lines: string[] = []
  lines.push(`config ok: ${c.dir}`)
  lines.push(`  files       ${c.sources.conductor}, ${c.sources.models}, ${c.sources.personas}`)
  lines.push(`  env         ${c.envApplied.length > 0 ? c.envApplied.join(", ") : "no overrides"}`)
  lines.push(
    `  models      ${c.models.length} (${TIERS.map((t) => `${c.models.filter((m) => m.tier === t).length} ${t}`).join(", ")})${
      c.models.some((m) => m.pinned)
        ? `; pinned: ${c.models
            .filter((m) => m.pinned)
            .map((m) => m.name)
            .join(", ")}`
        : ""
    }`,
  )
  lines.push(
    `  personas    ${[...c.personas.keys()].join(", ")}${routing.defaultPersona ? ` (default: ${routing.defaultPersona})` : ""}`,
  )
  lines.push(
    `  tiers       fast < ${routing.tierThresholds.balanced} ≤ balanced < ${routing.tierThresholds.quality} ≤ quality`,
  )
  const classifier = Result.getOrThrow(classifierFor(c))
  lines.push(
    `  classifier  ${classifier === undefined ? "off (rules only)" : `${classifier.classifier.source}${classifier.stale !== undefined ? " (stale: retrain)" : ""}`}`,
  )
  const rules = TASK_TYPES.flatMap((t: TaskType) => {
    const r = routing.tasks[t]
    if (r === undefined) return []
    const parts = [
      r.minTier && `min ${r.minTier}`,
      r.maxTier && `max ${r.maxTier}`,
      r.preferSpecialised && "prefer specialised",
    ]
    return [`${t}: ${parts.filter(Boolean).join(", ")}`]
  })
  lines.push(`  task rules  ${rules.length > 0 ? rules.join("; ") : "none"}`)
  lines.push(
    `  fallbacks   ${fallbacks.enabled ? `enabled, up to ${fallbacks.maxLength}, ${fallbacks.strategy}` : "disabled"}`,
  )
  lines.push(
    `  hardware    ${hardware.vramGb !== undefined ? `VRAM ${hardware.vramGb} GB (configured)` : "VRAM detected at start"}, utilisation ${hardware.utilisation}, reserve ${hardware.reserveGb} GB`,
  )
  process.stdout.write(`${lines.join("\n")}\n`)
  return 0
}
