import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { runCli } from "../support/cli.js"

describe("conductor CLI", () => {
  it("route --json prints one decision object", async () => {
    const r = await runCli([
      "route",
      "Write a Python function to sort a list",
      "--available",
      "qwen2.5-coder:32b,llama3.1:8b",
      "--json",
    ])
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split("\n")
    expect(lines).toHaveLength(1)
    const d = JSON.parse(lines[0] as string)
    expect(d).toMatchObject({ model: "qwen2.5-coder:32b", tier: "balanced", taskType: "code_generation" })
    for (const key of ["complexity", "confidence", "reason", "fallbacks", "breakdown", "warnings"])
      expect(d).toHaveProperty(key)
  })

  it("route explains every stage in human form", async () => {
    const r = await runCli([
      "route",
      "Explain neural networks",
      "--persona",
      "researcher",
      "--available",
      "llama3.3:70b,llama3.1:8b",
    ])
    expect(r.code).toBe(0)
    for (const stage of [
      "1. Override",
      "2. Persona",
      "3. Task",
      "4. Complexity",
      "5. Matching",
      "6. Fallbacks",
    ]) {
      expect(r.stdout).toContain(stage)
    }
    expect(r.stdout).toContain("Decision: llama3.3:70b (quality)")
  })

  it("route --jsonl answers every line in order, errors on their own line", async () => {
    const input = [
      JSON.stringify({ query: "What is the capital of France?" }),
      "{not json",
      JSON.stringify({
        query: "Write a Python function to sort a list",
        available: ["qwen2.5-coder:32b", "llama3.1:8b"],
      }),
      JSON.stringify({ query: "hi", tier: "huge" }),
      JSON.stringify({ query: "Describe this image", available: ["mistral:7b"] }),
      JSON.stringify({ query: "Summarise these", context: { retrievedDocs: 3 }, extra: 1 }),
      JSON.stringify({ query: "When does the lease end?", context: { retrievedDocs: 4 } }),
    ].join("\n")
    const r = await runCli(["route", "--jsonl"], { stdin: `${input}\n` })
    expect(r.code).toBe(0)
    const out = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
    expect(out).toHaveLength(7)
    expect(out[0]).toMatchObject({ tier: "fast", taskType: "general_qa" })
    expect(out[1].error).toMatch(/^line 2: invalid JSON/)
    expect(out[2]).toMatchObject({ model: "qwen2.5-coder:32b" })
    expect(out[3].error).toMatch(/^line 4: tier: expected "fast" \| "balanced" \| "quality"/)
    expect(out[4]).toMatchObject({ reason: "NoModelAvailable" })
    expect(out[4].error).toMatch(/^line 5: .*vision/)
    expect(out[5].error).toBe("line 6: extra: unknown key 'extra'")
    expect(out[6]).toMatchObject({ taskType: "rag_query" })
  })

  it("models lists the registry, as a table or JSON", async () => {
    const table = await runCli(["models"])
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/qwen2\.5-coder:32b\s+balanced\s+32B\s+22 GB/)
    const json = await runCli(["models", "--json"])
    expect(JSON.parse(json.stdout).length).toBeGreaterThanOrEqual(13)
  })

  it("config check prints a summary, or every error with file and path and exits 1", async () => {
    const good = await runCli(["config", "check"])
    expect(good.code).toBe(0)
    expect(good.stdout).toMatch(/^config ok: /)

    const dir = mkdtempSync(join(tmpdir(), "conductor-cli-"))
    writeFileSync(join(dir, "conductor.yaml"), "fallbacks:\n  maxLength: -1\n  enabeld: true\n")
    const bad = await runCli(["config", "check", "--config", dir])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain("configuration invalid (2 problems)")
    expect(bad.stderr).toMatch(
      /conductor\.yaml: fallbacks\.maxLength: expected a value greater than or equal to 0 \(line 2\)/,
    )
    expect(bad.stderr).toMatch(
      /conductor\.yaml: fallbacks\.enabeld: unknown key 'enabeld' \(did you mean 'enabled'\?\)/,
    )

    const env = await runCli(["config", "check"], { env: { CONDUCTOR_FALLBACKS_MAX: "x" } })
    expect(env.code).toBe(1)
    expect(env.stderr).toContain("env CONDUCTOR_FALLBACKS_MAX: expected a number, got 'x'")
  })

  it("usage errors exit 2 and name the flag", async () => {
    const r = await runCli(["route", "hi", "--tier", "ultra"])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("--tier: expected one of fast|balanced|quality, got 'ultra'")
    expect((await runCli(["route", "hi", "--bogus"])).code).toBe(2)
    expect((await runCli(["frobnicate"])).code).toBe(2)
  })

  it("hardware --json prints the GPUs, memory and budget, detected or configured", async () => {
    const configured = await runCli(["hardware", "--json"], { env: { CONDUCTOR_VRAM_GB: "24" } })
    expect(configured.code).toBe(0)
    expect(JSON.parse(configured.stdout)).toMatchObject({
      gpus: [{ vramBytes: 24e9 }],
      vramBytes: 24e9,
      budgetBytes: 24e9 * 0.95 - 0.25e9,
      source: "config",
    })
    const detected = JSON.parse((await runCli(["hardware", "--json"])).stdout)
    expect(detected.source).toBe("detected")
    expect(detected.budgetBytes).toBeGreaterThan(0)
    expect(detected.budgetBytes).toBeLessThan(detected.vramBytes)
    const human = await runCli(["hardware"], { env: { CONDUCTOR_VRAM_GB: "24" } })
    expect(human.stdout).toMatch(/budget\s+22\.6 GB = memory × 0\.95 − 0\.25 GB reserve/)
  })
})
