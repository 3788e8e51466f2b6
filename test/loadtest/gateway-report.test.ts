import { describe, expect, it } from "vitest"
import type { BlockResult, PathName } from "../../loadtest/bench/gateway-clients.js"
import {
  latencyTable,
  median,
  type Phase,
  type Sample,
  sampleOf,
  saturationTable,
  summarisePhase,
  verdict,
} from "../../loadtest/bench/gateway-report.js"

const block = (latencies: number[], extra: Partial<BlockResult> = {}): BlockResult => ({
  latencies,
  firstTokens: [],
  errors: 0,
  elapsedMs: 1000,
  ...extra,
})

/** A block whose latencies are all `ms` (so every percentile is `ms`). */
const flat = (phase: Phase, round: number, path: PathName, ms: number, n = 100, cpu = {}): Sample =>
  sampleOf({ phase, round, path, client: "fetch" }, block(Array(n).fill(ms)), cpu)

describe("gateway benchmark report", () => {
  it("reduces a block to percentiles, req/s and first tokens", () => {
    const lat = Array.from({ length: 100 }, (_, i) => i + 1) // 1 … 100 ms
    const s = sampleOf(
      { phase: "stream-c1", round: 0, path: "portkey", client: "fetch" },
      block(lat, { firstTokens: [5, 1, 3], errors: 2, elapsedMs: 2000 }),
      { client: 10 },
    )
    expect(s.p50).toBe(50)
    expect(s.p99).toBe(99)
    expect(s.ttftP50).toBe(3)
    expect(s.n).toBe(100)
    expect(s.errors).toBe(2)
    expect(s.reqPerSec).toBe(50)
  })

  it("medians ignore what could not be measured and average the middle pair", () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([Number.NaN, 7])).toBe(7)
    expect(median([])).toBeNaN()
  })

  it("added latency is path minus direct in the same round, then the median over rounds", () => {
    // Round 1 is slow for everyone (a noisy minute): the difference stays 1 ms.
    const samples = [
      flat("c1", 0, "direct", 2),
      flat("c1", 0, "portkey", 3),
      flat("c1", 1, "direct", 20),
      flat("c1", 1, "portkey", 21),
      flat("c1", 2, "direct", 2),
      flat("c1", 2, "portkey", 4),
    ]
    const s = summarisePhase(samples, "c1", "fetch")
    expect(s.portkey?.p50).toBe(4) // median of 3, 21, 4
    expect(s.portkey?.addedP50).toBe(1) // median of 1, 1, 2
    expect(s.direct?.addedP50).toBe(0)
    // Another client kind's blocks are not mixed in.
    expect(summarisePhase(samples, "c1", "sdk")).toEqual({})
  })

  it("CPU per request is total CPU over total requests; the bound is cores over the path's CPU", () => {
    const samples = [
      flat("saturation", 0, "portkey", 10, 1000, { client: 300, sim: 200, gateway: 500 }),
      flat("saturation", 1, "portkey", 10, 3000, { client: 900, sim: 600, gateway: 1500 }),
    ]
    const s = summarisePhase(samples, "saturation", "fetch").portkey
    expect(s?.cpuPerRequest).toEqual({ client: 0.3, sim: 0.2, gateway: 0.5 })
    // 1 ms per request on 2 cores: at most 2,000 req/s.
    const table = saturationTable(samples, "fetch", 2)
    expect(table).toContain("| 1.00 ms | 2000 |")
  })

  it("the verdict compares each Conductor path with Portkey, and says when the target is missed", () => {
    const samples: Sample[] = []
    for (const round of [0, 1, 2]) {
      samples.push(flat("c1", round, "direct", 2), flat("c1", round, "portkey", 3))
      samples.push(flat("c1", round, "conductor-auto", 2.5), flat("c1", round, "conductor-model", 4))
      samples.push(
        sampleOf(
          { phase: "saturation", round, path: "portkey", client: "fetch" },
          block(Array(500).fill(1)),
          {},
        ),
        sampleOf(
          { phase: "saturation", round, path: "conductor-model", client: "fetch" },
          block(Array(400).fill(1)),
          {},
        ),
      )
    }
    const streamed = (round: number, path: PathName, ttft: number) =>
      sampleOf(
        { phase: "stream-c1", round, path, client: "fetch" },
        block(Array(50).fill(ttft + 1), { firstTokens: Array(50).fill(ttft) }),
        {},
      )
    for (const round of [0, 1, 2]) {
      samples.push(
        streamed(round, "direct", 1),
        streamed(round, "portkey", 26),
        streamed(round, "conductor-auto", 2.5),
      )
    }
    const lines = verdict(samples, "fetch")
    expect(lines.find((l) => l.startsWith("1 client, streamed"))).toMatch(
      /added first-token p50 1\.50 ms vs Portkey 25\.00 ms \(0\.06×\) met/,
    )
    expect(lines.find((l) => l.startsWith('1 client, Conductor, `model: "auto"`'))).toMatch(
      /added p50 0\.50 ms vs Portkey 1\.00 ms \(0\.50×\) met/,
    )
    expect(lines.find((l) => l.startsWith("1 client, Conductor, `model: llama3.1:8b`"))).toMatch(
      /added p50 2\.00 ms .* NOT met/,
    )
    expect(lines.find((l) => l.startsWith("saturation"))).toMatch(
      /400 req\/s vs Portkey 500 \(0\.80×\) NOT met/,
    )
    expect(latencyTable(samples, "fetch", ["c1", "c10"], false)).toContain(
      "| Portkey | 3.00 ms / 3.00 ms | 1.00 ms / 1.00 ms | 0 |",
    )
  })
})
