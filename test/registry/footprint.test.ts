import { describe, expect, it } from "vitest"
import type { BackendModelDetails } from "../../src/backends/port.js"
import { factsOf } from "../../src/registry/discover.js"
import {
  estimateFootprintBytes,
  kvCacheBytes,
  overheadBytes,
  parseParameterSize,
  weightBytes,
} from "../../src/registry/footprint.js"

// llama3.1:8b as /api/show reports it (Q4_K_M).
const llama8b: BackendModelDetails = {
  name: "llama3.1:8b",
  sizeBytes: 4_920_753_328,
  family: "llama",
  parameterSize: "8.0B",
  quantisation: "Q4_K_M",
  parameterCount: 8_030_261_248,
  contextLength: 131_072,
  layers: 32,
  heads: 32,
  kvHeads: 8,
  embeddingLength: 4096,
  capabilities: ["completion", "tools"],
}
const GiB = 1024 ** 3

describe("registry/footprint", () => {
  it("parses Ollama's parameter sizes", () => {
    expect(parseParameterSize("8.0B")).toBe(8)
    expect(parseParameterSize("70.6B")).toBeCloseTo(70.6)
    expect(parseParameterSize("494.03M")).toBeCloseTo(0.494, 3)
    expect(parseParameterSize(13)).toBe(13)
    expect(parseParameterSize("lots")).toBeNaN()
  })

  it("KV cache is 2 · layers · kv_heads · head_dim · tokens · 2 bytes", () => {
    // llama3.1:8b: 32 layers, 8 KV heads of 128 → 128 KiB per token; 8192 tokens → 1 GiB.
    expect(kvCacheBytes(factsOf(llama8b), 8, 8192)).toBe(GiB)
    // Without KV heads (no grouped-query attention) every head caches.
    expect(kvCacheBytes(factsOf({ ...llama8b, kvHeads: 0 }), 8, 8192)).toBe(4 * GiB)
  })

  it("weights come from the file size, else parameters × bits per weight", () => {
    expect(weightBytes(factsOf(llama8b))).toBe(4_920_753_328)
    const fromParams = weightBytes(factsOf({ ...llama8b, sizeBytes: 0 }))
    expect(fromParams / 1e9).toBeGreaterThan(4.3)
    expect(fromParams / 1e9).toBeLessThan(5.2)
  })

  it("the footprint grows with context and parallel slots", () => {
    const facts = factsOf(llama8b)
    const one = estimateFootprintBytes(facts, 8192, 1)
    expect(one).toBe(llama8b.sizeBytes + GiB + overheadBytes(llama8b.sizeBytes))
    expect(estimateFootprintBytes(facts, 8192, 4) - one).toBe(3 * GiB)
    expect(estimateFootprintBytes(facts, 2048, 1)).toBeLessThan(one)
  })
})
