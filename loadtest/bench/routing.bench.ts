/**
 * Routing decision time. Routes every golden-set query (with personas, retrieved documents and
 * a VRAM budget in the mix) many times and reports per-decision latency percentiles in µs.
 * Target: p99 < 50 µs on a 2-core machine. Run: `npm run bench -- routing`.
 */
import { Result } from "effect"
import { loadConfig } from "../../src/config/load.js"
import type { RoutingRequest } from "../../src/domain/decision.js"
import { GB } from "../../src/domain/model-profile.js"
import { ModelRegistry } from "../../src/registry/registry.js"
import { route } from "../../src/routing/router.js"
import { GOLDEN as FIRST } from "../../test/routing/golden-queries.js"
import { GOLDEN_B } from "../../test/routing/golden-queries-b.js"
import { summary } from "./stats.js"

export const benchRouting = (rounds = 200): Record<string, number> => {
  const config = Result.getOrThrow(loadConfig({ env: {} }))
  const env = {
    registry: new ModelRegistry(config.models),
    personas: config.personas,
    routing: config.conductor.routing,
    fallbacks: config.conductor.fallbacks,
    budgetBytes: 48 * GB,
  }
  const personas = [undefined, "researcher", "developer", "casual"]
  const requests: RoutingRequest[] = [...FIRST, ...GOLDEN_B].map((g, i) => ({
    query: g.query,
    ...(personas[i % 4] !== undefined ? { persona: personas[i % 4] as string } : {}),
    ...(g.docs !== undefined ? { context: { retrievedDocs: g.docs } } : {}),
  }))
  // Warm up the JIT before measuring.
  for (let i = 0; i < 20; i++) for (const r of requests) route(r, env)
  const samples: number[] = []
  let failures = 0
  const started = process.hrtime.bigint()
  for (let round = 0; round < rounds; round++) {
    for (const r of requests) {
      const t0 = process.hrtime.bigint()
      const d = route(r, env)
      const t1 = process.hrtime.bigint()
      samples.push(Number(t1 - t0) / 1000)
      if (Result.isFailure(d)) failures++
    }
  }
  const wallSec = Number(process.hrtime.bigint() - started) / 1e9
  const s = summary(samples)
  return {
    decisions: s.n,
    failures,
    p50Us: s.p50,
    p95Us: s.p95,
    p99Us: s.p99,
    maxUs: s.max,
    meanUs: s.mean,
    decisionsPerSec: s.n / wallSec,
  }
}
