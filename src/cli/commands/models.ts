/** `conductor models [--json]`: the registry as a table (or JSON), grouped by tier. */

import { parseArgs } from "node:util"
import { TIERS, tierIndex } from "../../domain/tier.js"
import { withUsage } from "../args.js"
import { usageOf } from "../help.js"
import { configOrExit } from "../setup.js"
import { table } from "../table.js"

export const MODELS_USAGE = usageOf("models")
export const runModels = async (argv: ReadonlyArray<string>): Promise<number> => {
  const { values } = withUsage(
    () =>
      parseArgs({
        args: [...argv],
        options: { json: { type: "boolean" }, config: { type: "string" } },
        allowPositionals: true,
        strict: true,
      }),
    MODELS_USAGE,
  )
  const config = configOrExit(values.config)
  const models = [...config.models].sort(
    (a, b) => tierIndex(b.tier) - tierIndex(a.tier) || b.sizeB - a.sizeB || a.name.localeCompare(b.name),
  )
  if (values.json) {
    process.stdout.write(`${JSON.stringify(models, null, 2)}\n`)
    return 0
  }
  const rows = models.map((m) => [
    m.name,
    m.tier,
    `${m.sizeB}B`,
    `${m.memoryGb} GB`,
    String(m.contextWindow),
    String(m.numCtx),
    String(m.parallel),
    String(m.tokensPerSec),
    m.capabilities.join(","),
    m.pinned ? "yes" : "",
  ])
  process.stdout.write(
    `${table(["MODEL", "TIER", "SIZE", "MEMORY", "CONTEXT", "NUM_CTX", "SLOTS", "TOK/S", "CAPABILITIES", "PINNED"], rows)}\n`,
  )
  const counts = TIERS.map((t) => `${models.filter((m) => m.tier === t).length} ${t}`).join(", ")
  process.stdout.write(`\n${models.length} models (${counts}) from ${config.sources.models}\n`)
  return 0
}
