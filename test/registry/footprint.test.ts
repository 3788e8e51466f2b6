import { describe, expect, it } from "vitest"
import type { BackendModelDetails } from "../../src/backends/port.js"
import { estimateFootprint, kvBytes, overheadBytes, weightBytes } from "../../src/gpu/footprint.js"

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

describe("gpu/footprint", () => {
  it("KV cache is 2 · layers · kv_heads · head_dim · tokens · 2 bytes", () => {
    // 2 · 32 · 8 · 128 · 8192 · 2 = 1 GiB for 8k tokens of llama3.1:8b.
    expect(kvBytes(llama8b, 8192)).toBe(1024 ** 3)
    expect(kvBytes({ ...llama8b, kvHeads: 0 }, 8192)).toBe(4 * 1024 ** 3)
    expect(kvBytes({ ...llama8b, layers: 0 }, 8192)).toBe(0)
  })

  it("weights come from the file size, else parameters × bits per weight", () => {
    expect(weightBytes(llama8b)).toBe(4_920_753_328)
    const fromParams = weightBytes({ ...llama8b, sizeBytes: 0 })
    expect(fromParams / 1e9).toBeGreaterThan(4.3)
    expect(fromParams / 1e9).toBeLessThan(5.2)
  })

  it("the footprint grows with context and parallel slots", () => {
    const one = estimateFootprint(llama8b, 8192, 1)
    expect(one).toBe(llama8b.sizeBytes + 1024 ** 3 + overheadBytes(llama8b.sizeBytes))
    expect(estimateFootprint(llama8b, 8192, 4) - one).toBe(3 * 1024 ** 3)
    expect(estimateFootprint(llama8b, 2048, 1)).toBeLessThan(one)
  })
})
