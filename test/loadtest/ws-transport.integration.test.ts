/**
 * The load tester over real WebSockets (`transport: ws`, as the overhead benchmarks run): it
 * starts `conductor serve` itself with the flags serve takes, drives a few seconds of the
 * overhead scenario and accounts for every request. Correctness only; speed is the benchmark's.
 */
import { describe, expect, it } from "vitest"
import { runWs } from "../../loadtest/run-ws.js"
import { loadScenario } from "../../loadtest/scenario.js"

describe("loadtest over WebSockets", () => {
  it("starts conductor serve, runs the trace and accounts for every request", async () => {
    const scenario = loadScenario("loadtest/scenarios/overhead.yaml")
    const r = await runWs({ ...scenario, clients: { ...scenario.clients, count: 8 } } as typeof scenario, {
      policy: "swap-aware",
      durationSec: 2,
    })
    expect(r.requests).toBeGreaterThan(0)
    expect(r.lost).toBe(0)
    expect(r.duplicateTerminals).toBe(0)
    expect(r.completed + r.failed + r.cancelled + r.rejected).toBe(r.requests)
    expect(r.completed).toBeGreaterThan(0)
  }, 90_000)
})
