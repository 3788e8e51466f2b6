import { execFileSync } from "node:child_process"
import { describe, expect, it } from "vitest"
import { makeMetrics } from "../../src/metrics/metrics.js"
import { skipWithout } from "../support/binaries.js"
import { conductorEnv } from "../support/conductor-env.js"
import { sampleOf } from "../support/metric-sample.js"

describe("metrics", () => {
  it("starts every registry model's series: breaker closed (or as given), not resident, counters at zero", async () => {
    const metrics = makeMetrics({ processMetrics: false })
    metrics.startModels([{ name: "a" }, { name: "b", breaker: "open" }])
    expect(await sampleOf(metrics, "conductor_breaker_state", { model: "a" })).toBe(0)
    expect(await sampleOf(metrics, "conductor_breaker_state", { model: "b" })).toBe(2)
    for (const model of ["a", "b"]) {
      expect(await sampleOf(metrics, "conductor_model_resident", { model })).toBe(0)
      expect(await sampleOf(metrics, "conductor_queue_depth", { model })).toBe(0)
      expect(await sampleOf(metrics, "conductor_model_loads_total", { model, outcome: "failure" })).toBe(0)
      expect(await sampleOf(metrics, "conductor_model_evictions_total", { model, reason: "idle" })).toBe(0)
      expect(await sampleOf(metrics, "conductor_breaker_transitions_total", { model, to: "open" })).toBe(0)
      expect(await sampleOf(metrics, "conductor_tokens_total", { model, kind: "completion" })).toBe(0)
    }
    const text = await metrics.text()
    expect(text).toContain('conductor_request_duration_seconds_count{model="a"} 0')
    expect(text).toContain('conductor_model_load_duration_seconds_bucket{le="+Inf",model="b"} 0')
    // Events then move them as before.
    metrics.observe({ type: "model_loaded", model: "a", bytes: 5e9, loadMs: 2_000 })
    expect(await sampleOf(metrics, "conductor_model_resident", { model: "a" })).toBe(1)
    expect(await sampleOf(metrics, "conductor_model_loads_total", { model: "a", outcome: "success" })).toBe(1)
  })

  it("counts requests and queue waits per tenant: configured tenants by name, every other as other", async () => {
    const metrics = makeMetrics({ processMetrics: false, tenants: ["batch-jobs"] })
    const env = await conductorEnv()
    try {
      env.conductor.subscribe(metrics.observe)
      for (const tenant of ["batch-jobs", "ws:7", "ws:8"]) {
        await env.settle(env.conductor.submit({ prompt: "What is the capital of France?", tenant }).result)
      }
      expect(
        await sampleOf(metrics, "conductor_tenant_requests_total", {
          tenant: "batch-jobs",
          outcome: "completed",
        }),
      ).toBe(1)
      expect(
        await sampleOf(metrics, "conductor_tenant_requests_total", { tenant: "other", outcome: "completed" }),
      ).toBe(2)
      const waits = await metrics.registry.getSingleMetric("conductor_tenant_queue_wait_seconds")?.get()
      const tenants = new Set(waits?.values.map((v) => v.labels.tenant))
      expect([...tenants].sort()).toEqual(["batch-jobs", "other"])
    } finally {
      await env.conductor.close()
    }
  })

  it("derives counters, gauges and histograms from events, with bounded labels", async () => {
    const metrics = makeMetrics({ processMetrics: false })
    const env = await conductorEnv({
      // One tenant's failure may open the shared breaker here (health.minTenants: 1).
      config: { health: { volumeThreshold: 1, errorThresholdPercentage: 10, minTenants: 1 } },
    })
    try {
      env.conductor.subscribe(metrics.observe)
      env.conductor.simulator?.injectFault("llama3.1:8b", "error")
      const h = env.conductor.submit({ prompt: "What is the capital of France?" })
      await env.settle(h.result)
      expect(
        await sampleOf(metrics, "conductor_requests_total", {
          model: "mistral:7b",
          outcome: "completed",
          task: "general_qa",
          tier: "fast",
        }),
      ).toBe(1)
      expect(
        await sampleOf(metrics, "conductor_fallbacks_total", {
          from: "llama3.1:8b",
          to: "mistral:7b",
          reason: "Crashed",
        }),
      ).toBe(1)
      expect(
        await sampleOf(metrics, "conductor_model_loads_total", { model: "mistral:7b", outcome: "success" }),
      ).toBe(1)
      expect(await sampleOf(metrics, "conductor_model_resident", { model: "mistral:7b" })).toBe(1)
      expect(await sampleOf(metrics, "conductor_breaker_state", { model: "llama3.1:8b" })).toBe(2)
      // The library tenant's own breaker for it opened too.
      expect(await sampleOf(metrics, "conductor_tenant_breakers_open", { model: "llama3.1:8b" })).toBe(1)
      expect(
        await sampleOf(metrics, "conductor_breaker_transitions_total", { model: "llama3.1:8b", to: "open" }),
      ).toBe(1)
      expect(
        await sampleOf(metrics, "conductor_routing_decisions_total", {
          task: "general_qa",
          tier: "fast",
          reason: "complexity_tier",
        }),
      ).toBe(1)
      expect(await sampleOf(metrics, "conductor_vram_bytes", { kind: "budget" })).toBe(14.95e9)
      expect(
        await sampleOf(metrics, "conductor_tokens_total", { model: "mistral:7b", kind: "completion" }),
      ).toBeGreaterThan(0)
      const text = await metrics.text()
      expect(text).toMatch(/conductor_request_duration_seconds_bucket\{le="1200",model="mistral:7b"\} 1/)
      // No label carries a request id.
      expect(text).not.toContain(h.id)
    } finally {
      await env.conductor.close()
    }
  })

  it("counts validation failures by validator and cancelled requests by their last model", async () => {
    const metrics = makeMetrics({ processMetrics: false })
    metrics.observe({
      type: "validated",
      id: "r",
      model: "m",
      ok: false,
      failures: [
        { validator: "repetition", message: "loop" },
        { validator: "refusal", message: "no" },
      ],
    })
    metrics.observe({ type: "cancelled", id: "r", attempts: [{ model: "m", outcome: "cancelled" }] })
    expect(await sampleOf(metrics, "conductor_validation_failures_total", { validator: "repetition" })).toBe(
      1,
    )
    expect(
      await sampleOf(metrics, "conductor_requests_total", {
        model: "m",
        outcome: "cancelled",
        task: "unrouted",
      }),
    ).toBe(1)
  })

  it.skipIf(skipWithout("promtool"))("passes promtool check metrics, process metrics included", async () => {
    const metrics = makeMetrics()
    const env = await conductorEnv()
    try {
      env.conductor.subscribe(metrics.observe)
      await env.settle(env.conductor.generate({ prompt: "What is the capital of France?" }))
      const text = await metrics.text()
      const out = execFileSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" })
      expect(out).toBe("")
      expect(text).toContain("process_cpu_seconds_total")
      expect(text).not.toContain("nodejs_active_handles_total")
    } finally {
      await env.conductor.close()
    }
  })

  it("counts the learner's decisions and shows its preferences, from routed and learning events", async () => {
    const metrics = makeMetrics({ processMetrics: false })
    const env = await conductorEnv({ config: { learning: { mode: "shadow", store: ":memory:", seed: 1 } } })
    try {
      env.conductor.subscribe(metrics.observe)
      const h = env.conductor.submit({ prompt: "What is the capital of France?" })
      await env.settle(h.result)
      // The recorder flushes once a second of the Conductor's clock.
      await env.clock.advance(1000)
      const decided =
        ((await sampleOf(metrics, "conductor_learning_decisions_total", {
          mode: "shadow",
          choice: "rules",
        })) ?? 0) +
        ((await sampleOf(metrics, "conductor_learning_decisions_total", {
          mode: "shadow",
          choice: "explored",
        })) ?? 0)
      expect(decided).toBe(1)
      expect(await sampleOf(metrics, "conductor_learning_outcomes_total", { result: "stored" })).toBe(1)
      const preference = await sampleOf(metrics, "conductor_learning_preference", {
        task: "general_qa",
        band: "low",
        model: "llama3.1:8b",
      })
      expect(preference).toBeGreaterThan(0.7)
      expect(
        await sampleOf(metrics, "conductor_learning_evidence", {
          task: "general_qa",
          band: "low",
          model: "llama3.1:8b",
        }),
      ).toBeCloseTo(1, 3)
      // Feedback, per task: how many scores and their sum (the dashboard's mean score).
      expect(
        await sampleOf(metrics, "conductor_learning_feedback_total", { task: "general_qa" }),
      ).toBeUndefined()
      h.feedback(0.25)
      await env.clock.advance(1000)
      expect(await sampleOf(metrics, "conductor_learning_feedback_total", { task: "general_qa" })).toBe(1)
      expect(await sampleOf(metrics, "conductor_learning_feedback_score_total", { task: "general_qa" })).toBe(
        0.25,
      )
    } finally {
      await env.conductor.close()
    }
  })
})
