import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { OutcomeStore } from "../../src/learning/store.js"
import { outcomeRow } from "../learning/rows.js"
import { runCli } from "../support/cli.js"

const dir = mkdtempSync(join(tmpdir(), "conductor-stats-"))
const path = join(dir, "outcomes.db")
const env = { CONDUCTOR_LEARNING_STORE: path, CONDUCTOR_LEARNING_MODE: "shadow" }
afterAll(() => rmSync(dir, { recursive: true, force: true }))

beforeAll(() => {
  const now = Date.now()
  const store = OutcomeStore.open(path, now)
  const rows = []
  // general_qa: mistral answers 10 of 10 (two rated), llama fails 3 of 6; code: one old outcome.
  for (let i = 0; i < 10; i++) {
    rows.push(
      outcomeRow({
        requestId: `m${i}`,
        at: now - 60_000 * (i + 1),
        model: "mistral:7b",
        totalMs: 100 * (i + 1),
        gpuSeconds: 0.5,
        feedback: i < 2 ? 0.5 + i * 0.25 : undefined,
      }),
    )
  }
  for (let i = 0; i < 6; i++) {
    const failed = i < 3
    rows.push(
      outcomeRow({
        requestId: `l${i}`,
        at: now - 60_000 * (i + 1),
        model: "llama3.1:8b",
        outcome: failed ? "failed" : "completed",
        reason: failed ? "Timeout" : undefined,
        quality: failed ? 0 : 1,
        totalMs: 2000,
        gpuSeconds: 1,
      }),
    )
  }
  rows.push(
    outcomeRow({
      requestId: "old",
      at: now - 3 * 86_400_000,
      task: "code_generation",
      model: "qwen2.5-coder:32b",
    }),
  )
  store.write(rows)
  store.close()
})

describe("conductor stats", () => {
  it("--json: per task and model, requests, feedback, success, latency, GPU-seconds and the learner's preference", async () => {
    const r = await runCli(["stats", "--json"], { env })
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as { store: string; rows: Array<Record<string, unknown>> }
    expect(out.store).toBe(path)
    const byModel = Object.fromEntries(out.rows.map((x) => [`${x.task} ${x.model}`, x]))
    expect(byModel["general_qa mistral:7b"]).toMatchObject({
      task: "general_qa",
      model: "mistral:7b",
      requests: 10,
      feedback: 2,
      meanFeedback: 0.625,
      successRate: 1,
      p50Ms: 500,
      p95Ms: 1000,
      gpuSeconds: 5,
      preferred: true,
    })
    expect(byModel["general_qa llama3.1:8b"]).toMatchObject({
      requests: 6,
      feedback: 0,
      meanFeedback: null,
      successRate: 0.5,
      preferred: false,
    })
    const [m, l] = [byModel["general_qa mistral:7b"], byModel["general_qa llama3.1:8b"]]
    expect(m?.preference as number).toBeGreaterThan(l?.preference as number)
    expect(byModel["code_generation qwen2.5-coder:32b"]).toMatchObject({ requests: 1 })
  })

  it("--since narrows the window; a bad duration is a usage error", async () => {
    const r = await runCli(["stats", "--json", "--since", "1d"], { env })
    expect(r.code, r.stderr).toBe(0)
    const rows = (JSON.parse(r.stdout) as { rows: Array<{ task: string }> }).rows
    expect(rows.map((x) => x.task)).not.toContain("code_generation")
    const bad = await runCli(["stats", "--since", "yesterday"], { env })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("--since: expected a duration")
  })

  it("prints a table, and says when nothing was recorded", async () => {
    const r = await runCli(["stats"], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/TASK\s+MODEL\s+REQUESTS\s+SUCCESS\s+FEEDBACK/)
    expect(r.stdout).toMatch(/general_qa\s+mistral:7b\s+10\s+100\.0%\s+2\s+0\.63/)
    const none = await runCli(["stats"], { env: { CONDUCTOR_LEARNING_STORE: join(dir, "none.db") } })
    expect(none.code).toBe(0)
    expect(none.stdout).toContain("no outcomes recorded")
  })

  it("conductor route shows what the learner makes of the decision", async () => {
    const r = await runCli(["route", "What is the capital of France?", "--json"], { env })
    expect(r.code, r.stderr).toBe(0)
    const d = JSON.parse(r.stdout)
    expect(d.breakdown.learned).toMatchObject({ mode: "shadow", band: "low", rules: d.model })
    expect(d.breakdown.learned.evidence["mistral:7b"]).toBeGreaterThan(5)
    const human = await runCli(["route", "What is the capital of France?"], { env })
    expect(human.stdout).toMatch(/7\. Learned\s+shadow, general_qa\/low/)
  })
})
