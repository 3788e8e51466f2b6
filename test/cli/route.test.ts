/**
 * `conductor route` says what it plans against, and with `--backend` plans against what `serve`
 * would on that backend: the models it has and its budget, not the whole registry unconstrained.
 * The command's `main` runs in this process.
 */
import { describe, expect, it } from "vitest"
import { runMain } from "../support/cli.js"
import { TINY_CI_MODELS } from "../support/tiny-ci.js"

const QUERY = "Design a distributed caching system for a social network, step by step"
const NO_OLLAMA = { OLLAMA_HOST: "127.0.0.1:9" }

describe("conductor route: what it plans against", () => {
  it("without a backend, says it plans over every registry model and the configured budget", async () => {
    const r = await runMain(["route", QUERY])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.split("\n")[0]).toMatch(
      /^Planning against: the registry's 14 models \(.*models\.yaml\) and no memory limit \(set hardware\.vramGb or --vram-gb\)/,
    )
    const sized = await runMain(["route", QUERY, "--vram-gb", "24"])
    expect(sized.stdout.split("\n")[0]).toContain("and the VRAM budget 22.6 GB (--vram-gb 24)")
  })

  it("with --backend sim, plans against the simulated server's models and budget, as serve would", async () => {
    const registryWide = JSON.parse((await runMain(["route", QUERY, "--json"])).stdout)
    // The registry's choice is a model the simulated host does not have.
    expect(TINY_CI_MODELS).not.toContain(registryWide.model)
    const r = await runMain(["route", QUERY, "--json", "--backend", "sim", "--sim-profile", "tiny-ci"], {
      env: NO_OLLAMA,
    })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(
      /^Planning against: embedded simulator \(simulator tiny-ci; as configured\): the 7 models it has \(.*\) and the VRAM budget 14\.9 GB of 16\.0 GB \(simulator\)/,
    )
    const d = JSON.parse(r.stdout)
    expect(TINY_CI_MODELS).toContain(d.model)
    const candidates = d.breakdown.candidates as Array<{ model: string; eligible: boolean; note: string }>
    expect(candidates.every((c) => TINY_CI_MODELS.includes(c.model) || !c.eligible)).toBe(true)
    // qwen2.5-coder:32b is on the host but does not fit its 14.9 GB budget.
    expect(candidates.find((c) => c.model === "qwen2.5-coder:32b")?.eligible).toBe(false)

    const human = await runMain(["route", QUERY, "--backend", "sim", "--sim-profile", "tiny-ci"], {
      env: NO_OLLAMA,
    })
    expect(human.stdout.split("\n")[0]).toMatch(/^Planning against: embedded simulator/)
    expect(human.stdout).toContain(`Decision: ${d.model}`)
  })

  it("--jsonl plans each line against the backend too", async () => {
    const { Readable } = await import("node:stream")
    const stdin = Object.getOwnPropertyDescriptor(process, "stdin")
    Object.defineProperty(process, "stdin", {
      value: Readable.from([`${JSON.stringify({ query: QUERY })}\n`]),
    })
    try {
      const r = await runMain(["route", "--jsonl", "--backend", "sim", "--sim-profile", "tiny-ci"], {
        env: NO_OLLAMA,
      })
      expect(r.code, r.stderr).toBe(0)
      expect(TINY_CI_MODELS).toContain(JSON.parse(r.stdout).model)
    } finally {
      if (stdin !== undefined) Object.defineProperty(process, "stdin", stdin)
    }
  })
})
