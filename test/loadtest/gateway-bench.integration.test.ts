import { describe, expect, it } from "vitest"
import { runGatewayBench } from "../../loadtest/bench/gateway.bench.js"
import { DEFAULT_OPTIONS, parseGatewayFlags } from "../../loadtest/bench/gateway-options.js"

describe("gateway benchmark harness", () => {
  it("reads its flags and refuses unknown ones", () => {
    const o = parseGatewayFlags([
      "--rounds=3",
      "--seconds=0.5",
      "--client=sdk",
      "--no-portkey",
      "--no-stream",
    ])
    expect(o).toMatchObject({ rounds: 3, seconds: 0.5, client: "sdk", portkey: false, stream: false })
    expect(() => parseGatewayFlags(["--roundz=3"])).toThrow(/unknown flag --roundz/)
    expect(() => parseGatewayFlags(["--client=curl"])).toThrow(/--client: expected fetch or sdk/)
    expect(() => parseGatewayFlags(["--rounds=0"])).toThrow(/--rounds: expected a number > 0/)
  })

  // The real processes (`conductor sim` and `conductor serve --backend ollama`), for a few requests
  // per block, and the relay; Portkey is left out, so nothing is downloaded. Correctness only: every
  // path answers.
  it("runs the direct and Conductor paths end to end and reports them", async () => {
    const run = await runGatewayBench({
      ...DEFAULT_OPTIONS,
      rounds: 1,
      seconds: 0.2,
      saturationSeconds: 0.2,
      portkey: false,
      warmRequests: 10,
      warmMaxSeconds: 5,
      warmBlockSeconds: 0.2,
      log: () => {},
    })
    const paths = new Set(run.samples.map((s) => s.path))
    expect([...paths].sort()).toEqual(["conductor-auto", "conductor-model", "direct", "relay"])
    for (const s of run.samples) {
      expect(s.errors, `${s.path} ${s.phase} ${s.client}`).toBe(0)
      expect(s.n, `${s.path} ${s.phase} ${s.client}`).toBeGreaterThan(0)
    }
    // Streamed blocks time the first token; the Conductor process's CPU is read from /v1/status.
    expect(
      run.samples.find((s) => s.phase === "stream-c1" && s.path === "conductor-auto")?.ttftP50,
    ).toBeGreaterThan(0)
    expect(
      run.samples.find((s) => s.phase === "saturation" && s.path === "conductor-model")?.cpu.gateway,
    ).toBeGreaterThan(0)
    // The direct path went through both clients.
    expect(run.samples.some((s) => s.path === "direct" && s.client === "sdk")).toBe(true)
    expect(run.report).toContain("| direct to the host's /v1 (floor) |")
    expect(run.report).toContain('| Conductor, `model: "auto"` |')
    // The relay forwards every request kind and reports the floor of an extra hop.
    expect(run.report).toContain("| relay (an extra hop, no work) |")
    expect(run.report).toMatch(/1 client, the floor: an extra hop alone \(the relay\) adds p50 -?\d/)
    expect(run.numbers["relay errors"]).toBe(0)
    expect(run.numbers["conductor-model errors"]).toBe(0)
  }, 120_000)
})
