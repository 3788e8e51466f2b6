/**
 * `conductor ask` in-process on the simulator (sped up), its `main` run in this process: the
 * answer streams to stdout; one line on stderr names the model, tier, reason and time; --json
 * prints the result; errors exit 1 or 2. (Against a server: ask.integration.test.ts.)
 */
import { describe, expect, it } from "vitest"
import { runMain as runCli } from "../support/cli.js"

const SIM = ["--backend", "sim", "--sim-profile", "tiny-ci", "--time-scale", "50"]
const SUMMARY = /^— (\S+) · tier (fast|balanced|quality) · reason ([a-z_]+) · \d+\.\d s/m
const NO_OLLAMA = { OLLAMA_HOST: "127.0.0.1:9" }

describe("conductor ask, in-process", () => {
  it("streams the answer, then says which model answered, its tier, why and how long it took", async () => {
    const r = await runCli(["ask", "What is the capital of France?", ...SIM], { env: NO_OLLAMA })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.trim().length).toBeGreaterThan(0)
    expect(r.stderr).toContain("embedded simulator (simulator tiny-ci; as configured)")
    const summary = SUMMARY.exec(r.stderr)
    expect(summary, r.stderr).not.toBeNull()
    expect(r.stderr).toMatch(/simulated at ×50/)
    // --json: the same answer (the simulator's text depends on the model, seed and prompt) as one object.
    const j = await runCli(["ask", "What is the capital of France?", "--json", ...SIM], { env: NO_OLLAMA })
    expect(j.code, j.stderr).toBe(0)
    const result = JSON.parse(j.stdout)
    expect(result).toMatchObject({ model: summary?.[1], tier: summary?.[2], reason: summary?.[3] })
    expect(result.text).toBe(r.stdout.trimEnd())
  })

  it("takes persona, tier and model like a query, and chooses the backend as serve does", async () => {
    const r = await runCli(["ask", "Write a haiku about autumn", "--tier", "fast", "--json", ...SIM], {
      env: NO_OLLAMA,
    })
    expect(JSON.parse(r.stdout)).toMatchObject({ tier: "fast", reason: "forced_tier" })
    const m = await runCli(["ask", "hi", "--model", "mistral:7b", "--json", ...SIM], { env: NO_OLLAMA })
    expect(JSON.parse(m.stdout)).toMatchObject({ model: "mistral:7b", reason: "explicit_override" })
    // No --backend and no Ollama: the simulator, and the note says why.
    const auto = await runCli(["ask", "hi", "--sim-profile", "tiny-ci", "--time-scale", "50"], {
      env: NO_OLLAMA,
    })
    expect(auto.code, auto.stderr).toBe(0)
    expect(auto.stderr).toContain("no Ollama answered at http://127.0.0.1:9")
  })

  it("exits 2 on bad usage or an invalid request, 1 when no model can answer", async () => {
    expect((await runCli(["ask"])).code).toBe(2)
    expect((await runCli(["ask", "hi", "--tier", "ultra"])).stderr).toContain("--tier: expected one of")
    const both = await runCli(["ask", "hi", "--url", "ws://127.0.0.1:9/ws", "--backend", "sim"])
    expect(both.code).toBe(2)
    expect(both.stderr).toContain("--backend chooses an in-process backend")
    const missing = await runCli(["ask", "hi", "--model", "nope:1b", ...SIM], { env: NO_OLLAMA })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/failed \(NoModelAvailable\)/)
  })
})
