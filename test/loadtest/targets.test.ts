/**
 * The report's target checks and load-cost sweep rows, on hand-made results: each check says
 * what it compared, and a miss is reported as one. The baseline's context follows the scenario.
 */
import { describe, expect, it } from "vitest"
import type { PolicyResult, Quantiles } from "../../loadtest/recorder.js"
import { baselineContext } from "../../loadtest/run-direct.js"
import { loadScenario } from "../../loadtest/scenario.js"
import { sweepPoint } from "../../loadtest/sweep.js"
import { checkTargets } from "../../loadtest/targets.js"
import { loadProfile } from "../../src/backends/sim/profile.js"
import { resolveProfilePath } from "../../src/backends/sim/profile-path.js"

const qs = (p95: number, p99 = p95): Quantiles => ({ p50: p95 / 2, p95, p99, max: p99 })

const result = (over: Partial<PolicyResult>): PolicyResult =>
  ({
    requests: 100,
    completed: 100,
    failed: 0,
    cancelled: 0,
    rejected: 0,
    lost: 0,
    duplicateTerminals: 0,
    throughputRps: 1,
    tokensPerSec: 10,
    latencyMs: qs(1000, 2000),
    ttftMs: qs(100),
    queueWaitMs: qs(100),
    loads: 1,
    evictions: 0,
    vramUtilization: { avg: 0.5, peak: 0.6 },
    overcommits: 0,
    fallbacks: 0,
    overheadMs: { p50: 0, p99: 0 },
    healthyChainFailures: 0,
    perModel: {},
    byPriority: {},
    byTenant: {},
    noisyTenants: [],
    durationSec: 100,
    ...over,
  }) as PolicyResult

const tenant = (completed: number, waitP95: number) => ({
  sent: completed,
  completed,
  queueWaitMs: qs(waitP95),
  latencyMs: qs(waitP95 + 1000),
})

describe("loadtest: targets", () => {
  it("checks the ceiling fraction, throughput and p99 against the baseline", () => {
    const scenario = loadScenario("loadtest/scenarios/pairs-24gb.yaml")
    const checks = checkTargets({
      scenario,
      policies: {
        ollama: result({ throughputRps: 0.5, latencyMs: qs(1000, 3000) }),
        "swap-aware": {
          ...result({ throughputRps: 0.8, latencyMs: qs(1000, 4000) }),
          fractionOfCeiling: 0.8,
        },
      },
      variants: {},
      sweep: [],
    })
    const ok = Object.fromEntries(checks.map((c) => [c.target, c.ok]))
    expect(ok).toEqual({
      "0 lost, 0 overcommits in every run": true,
      "swap-aware ≥ 85% of the ceiling": false,
      "swap-aware throughput ≥ ollama's": true,
      "swap-aware p99 latency ≤ ollama's": false,
    })
    expect(checks.find((c) => c.target.includes("p99"))?.detail).toBe("4.00 s vs 3.00 s")
  })

  it("interactive TTFT and batch work against the variant without priorities; a lost request in the sweep", () => {
    const scenario = loadScenario("loadtest/scenarios/interactive-batch.yaml")
    const byPriority = (ttft: number) => ({
      interactive: { completed: 10, ttftMs: qs(ttft), queueWaitMs: qs(0), latencyMs: qs(0) },
      batch: { completed: 10, ttftMs: qs(0), queueWaitMs: qs(0), latencyMs: qs(0) },
    })
    const lostOne = result({ lost: 1 })
    const checks = checkTargets({
      scenario,
      policies: {
        ollama: result({ byPriority: byPriority(10_000) }),
        "swap-aware": result({ byPriority: byPriority(1_000), byTenant: { batch: tenant(95, 0) } }),
      },
      variants: { "no-priorities": result({ byTenant: { batch: tenant(100, 0) } }) },
      sweep: [sweepPoint(2, { "swap-aware": lostOne }, 1)],
    })
    const by = (s: string) => checks.find((c) => c.target.startsWith(s))
    expect(by("interactive p95 TTFT")?.ok).toBe(true)
    expect(by("batch throughput")).toMatchObject({
      ok: true,
      detail: "95 vs 100 batch requests completed (0.95×)",
    })
    expect(by("0 lost")).toMatchObject({ ok: false, detail: "violated by swap-aware at 2×" })
  })

  it("polite tenants' waits against the baseline and the run without the flooder", () => {
    const scenario = loadScenario("loadtest/scenarios/noisy-neighbour.yaml")
    const tenants = (alpha: number) => ({ alpha: tenant(10, alpha), scraper: tenant(100, 50_000) })
    const checks = checkTargets({
      scenario,
      policies: {
        // Held to its share, the flooder sent less under Conductor: the baseline names it.
        ollama: result({ byTenant: tenants(9_000), noisyTenants: ["scraper"] }),
        "swap-aware": result({ byTenant: tenants(3_000) }),
      },
      variants: { "without-scraper": result({ byTenant: { alpha: tenant(10, 1_000) } }) },
      sweep: [],
    })
    const alpha = checks.filter((c) => c.target.startsWith("alpha"))
    expect(alpha.map((c) => c.ok)).toEqual([true, false])
    expect(checks.some((c) => c.target.startsWith("scraper"))).toBe(false)
  })

  it("the baseline runs with Conductor's 8192-token context unless the scenario says auto", () => {
    const scenario = loadScenario("loadtest/scenarios/contention-24gb.yaml")
    const profile = loadProfile(resolveProfilePath(scenario.profilePath))
    expect(baselineContext(scenario, profile)).toBe(8192)
    expect(baselineContext({ ...scenario, baselineContextLength: "auto" }, profile)).toBe("auto")
  })
})
