import { describe, expect, it } from "vitest"
import { makeMetrics } from "../../src/metrics/metrics.js"
import { sampleOf } from "../support/metric-sample.js"

describe("metrics with several GPU hosts", () => {
  it("labels host gauges by host and sums them in the unlabelled ones", async () => {
    const metrics = makeMetrics({ processMetrics: false })
    metrics.observe({ type: "vram", usedBytes: 10, budgetBytes: 20, capacityBytes: 24, host: "a" })
    metrics.observe({ type: "vram", usedBytes: 5, budgetBytes: 20, capacityBytes: 24, host: "b" })
    metrics.observe({ type: "queue", model: "m", depth: 2, inflight: 1, host: "a" })
    metrics.observe({ type: "queue", model: "m", depth: 3, inflight: 1, host: "b" })
    metrics.observe({ type: "model_loaded", model: "m", bytes: 10, loadMs: 100, host: "a" })
    metrics.observe({ type: "model_loaded", model: "m", bytes: 10, loadMs: 100, host: "b" })
    metrics.observe({ type: "model_evicted", model: "m", reason: "make_room", bytes: 10, host: "a" })
    metrics.observe({ type: "host", host: "b", url: "http://b:11434", state: "down", message: "gone" })
    expect(await sampleOf(metrics, "conductor_host_vram_bytes", { host: "a", kind: "used" })).toBe(10)
    expect(await sampleOf(metrics, "conductor_vram_bytes", { kind: "used" })).toBe(15)
    expect(await sampleOf(metrics, "conductor_vram_bytes", { kind: "budget" })).toBe(40)
    expect(await sampleOf(metrics, "conductor_queue_depth", { model: "m" })).toBe(5)
    expect(await sampleOf(metrics, "conductor_host_queue_depth", { host: "b", model: "m" })).toBe(3)
    expect(await sampleOf(metrics, "conductor_host_model_resident", { host: "a", model: "m" })).toBe(0)
    expect(await sampleOf(metrics, "conductor_model_resident", { model: "m" })).toBe(1)
    expect(await sampleOf(metrics, "conductor_model_loads_total", { model: "m", outcome: "success" })).toBe(2)
    expect(await sampleOf(metrics, "conductor_host_up", { host: "a" })).toBe(1)
    expect(await sampleOf(metrics, "conductor_host_up", { host: "b" })).toBe(0)
  })
})
