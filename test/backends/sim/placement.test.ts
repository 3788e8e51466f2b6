/** llama-server's fit: all on the GPUs with its margin, else the rest on the CPU, slower. */
import { describe, expect, it } from "vitest"
import { loadProfile, resolveProfilePath } from "../../../src/backends/sim/index.js"
import { FIT_MARGIN_BYTES, place } from "../../../src/backends/sim/placement.js"

const GB = 1e9
const ws = loadProfile(resolveProfilePath("workstation-24gb"))
const coder = ws.models.find((m) => m.name === "qwen2.5-coder:32b")
if (coder === undefined) throw new Error("no coder")

describe("backends/sim/placement", () => {
  it("puts a model that fits with the margin on the GPUs", () => {
    expect(place(coder, 22 * GB, 25.76 * GB, 56 * GB, 60)).toEqual({
      gpuBytes: 22 * GB,
      cpuBytes: 0,
      slowdown: 1,
    })
    expect(place(coder, 22 * GB, 22 * GB + FIT_MARGIN_BYTES, 0, 60)?.cpuBytes).toBe(0)
  })

  it("runs the layers that do not fit on the CPU, each token then waiting for their share", () => {
    const need = 28.44 * GB
    const p = place(coder, need, 25.76 * GB, 56 * GB, 60)
    if (p === undefined) throw new Error("expected a placement")
    expect(p.gpuBytes).toBe(25.76 * GB - FIT_MARGIN_BYTES)
    expect(p.cpuBytes).toBeCloseTo(need - p.gpuBytes, 0)
    // 13% of the 19.9 GB of weights read at 60 GB/s per token, at 28 tokens/s: about 2× slower.
    const onGpu = p.gpuBytes / need
    expect(p.slowdown).toBeCloseTo(onGpu + ((1 - onGpu) * 19.9 * 28) / 60, 6)
    expect(p.slowdown).toBeGreaterThan(1.8)
    expect(p.slowdown).toBeLessThan(2.2)
  })

  it("refuses what fits in neither", () => {
    expect(place(coder, 30 * GB, 16 * GB, 4 * GB, 60)).toBeUndefined()
  })
})
