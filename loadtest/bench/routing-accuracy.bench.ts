/**
 * Routing accuracy: task type and tier against the golden set (used for calibration) and the
 * held-out set (never tuned against). Reports percentages; the golden thresholds are asserted in
 * test/routing/golden.test.ts, the held-out numbers only here. Run: `npm run bench -- routing-accuracy`.
 */
import { Result } from "effect"
import { route } from "../../src/routing/router.js"
import { GOLDEN, type GoldenQuery } from "../../test/routing/golden-queries.js"
import { GOLDEN_B } from "../../test/routing/golden-queries-b.js"
import { HOLDOUT } from "../../test/routing/holdout-queries.js"
import { routerEnv } from "../../test/support/router-env.js"

const score = (set: ReadonlyArray<GoldenQuery>) => {
  const env = routerEnv()
  let task = 0
  let tier = 0
  let clear = 0
  let clearTier = 0
  for (const g of set) {
    const r = route(
      { query: g.query, ...(g.docs !== undefined ? { context: { retrievedDocs: g.docs } } : {}) },
      env,
    )
    if (Result.isFailure(r)) continue
    const d = r.success
    if (d.taskType === g.task) task++
    const tierOk = d.breakdown.tier.target === g.tier
    if (tierOk) tier++
    if (g.clearCut) {
      clear++
      if (tierOk) clearTier++
    }
  }
  const pct = (a: number, b: number) => Math.round((a / Math.max(1, b)) * 1000) / 10
  return {
    queries: set.length,
    taskPct: pct(task, set.length),
    tierPct: pct(tier, set.length),
    clearCutTierPct: pct(clearTier, clear),
  }
}

export const benchRoutingAccuracy = (): Record<string, number> => {
  const golden = score([...GOLDEN, ...GOLDEN_B])
  const holdout = score(HOLDOUT)
  return {
    goldenQueries: golden.queries,
    goldenTaskPct: golden.taskPct,
    goldenClearCutTierPct: golden.clearCutTierPct,
    goldenTierPct: golden.tierPct,
    holdoutQueries: holdout.queries,
    holdoutTaskPct: holdout.taskPct,
    holdoutClearCutTierPct: holdout.clearCutTierPct,
    holdoutTierPct: holdout.tierPct,
  }
}
