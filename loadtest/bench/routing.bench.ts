/**
 * Routing decision time. Routes every golden-set query (with personas, retrieved documents and
 * a VRAM budget in the mix) many times and reports per-decision latency percentiles in µs, with
 * the routing classifier (as configured by default) and with the rules alone; and the time to
 * load the classifier's weights. Target: p99 < 50 µs on a 2-core machine, load ≤ 100 ms.
 * Run: `npm run bench -- routing`.
 */
import { Result } from "effect"
import { loadConfig } from "../../src/config/load.js"
import type { RoutingRequest } from "../../src/domain/decision.js"
import { GB } from "../../src/domain/model-profile.js"
import { ModelRegistry } from "../../src/registry/registry.js"
import { type RouterEnv, route } from "../../src/routing/router.js"
import { loadClassifier, shippedWeightsPath } from "../../src/routing/weights.js"
import { GOLDEN as FIRST } from "../../test/routing/golden-queries.js"
import { GOLDEN_B } from "../../test/routing/golden-queries-b.js"
import { summary } from "./stats.js"

const measure = (requests: ReadonlyArray<RoutingRequest>, env: RouterEnv, rounds: number) => {
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
  return { s: summary(samples), failures, wallSec }
}

export const benchRouting = (rounds = 200): Record<string, number> => {
  const config = Result.getOrThrow(loadConfig({ env: {} }))
  // Load time of the shipped weights, cold (first read) then warm (file cached by the OS).
  const loads = [0, 1, 2].map(() => Result.getOrThrow(loadClassifier(shippedWeightsPath())))
  const classifier = (loads[2] as (typeof loads)[number]).classifier
  const rules = {
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
  const ruled = measure(requests, rules, rounds)
  const both = measure(requests, { ...rules, classifier }, rounds)
  return {
    decisions: both.s.n,
    failures: both.failures,
    p50Us: both.s.p50,
    p95Us: both.s.p95,
    p99Us: both.s.p99,
    maxUs: both.s.max,
    meanUs: both.s.mean,
    decisionsPerSec: both.s.n / both.wallSec,
    rulesOnlyP50Us: ruled.s.p50,
    rulesOnlyP99Us: ruled.s.p99,
    weightsLoadColdMs: (loads[0] as (typeof loads)[number]).loadMs,
    weightsLoadMs: (loads[2] as (typeof loads)[number]).loadMs,
  }
}
