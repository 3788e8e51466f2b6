/**
 * `conductor serve`'s banner tells the truth about the backend: an Ollama that does not answer
 * is said not to (its models are unknown, not listed as present), and a GPU on another machine
 * is planned with `hardware.vramGb` — said so at start — or not at all.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { runMain } from "../support/cli.js"
import { serve } from "../support/serve.js"

/** A TEST-NET-1 address (RFC 5737): never this machine, never answers. */
const REMOTE = "http://192.0.2.10:11434"

const quickCalls = () => {
  const dir = mkdtempSync(join(tmpdir(), "conductor-serve-"))
  writeFileSync(join(dir, "conductor.yaml"), "backend:\n  callTimeout: 300ms\n")
  return dir
}

describe("conductor serve: the banner", () => {
  it("says when Ollama does not answer, instead of listing every registry model as present", async () => {
    const s = await serve(["--backend", "ollama", "--config", quickCalls()], { OLLAMA_HOST: "127.0.0.1:9" })
    try {
      expect(s.stdout()).toContain("backend: Ollama (ollama http://127.0.0.1:9; as configured)")
      expect(s.stdout()).toMatch(/models: unknown: Ollama at http:\/\/127\.0\.0\.1:9 did not answer/)
      expect(s.stdout()).not.toMatch(/models: qwen/)
    } finally {
      await s.stop()
    }
  })

  it("refuses to plan a GPU on another machine with this machine's memory", async () => {
    const r = await runMain(["serve", "--backend", "ollama", "--ollama-host", REMOTE, "--port", "0"], {
      env: { CONDUCTOR_VRAM_GB: undefined },
    })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      `cannot start: Ollama at ${REMOTE} runs on another machine, whose GPU memory cannot be detected from here: set hardware.vramGb`,
    )
  })

  it("plans a GPU on another machine with hardware.vramGb, and says so", async () => {
    const s = await serve(["--backend", "ollama", "--ollama-host", REMOTE, "--config", quickCalls()], {
      CONDUCTOR_VRAM_GB: "24",
    })
    try {
      expect(s.stdout()).toContain(
        `VRAM budget: 22.6 GB of 24.0 GB (hardware.vramGb: the GPU is on another machine (${REMOTE}), not detected here)`,
      )
      expect(s.stdout()).toMatch(/models: unknown: Ollama at http:\/\/192\.0\.2\.10:11434 did not answer/)
    } finally {
      await s.stop()
    }
  })
})
