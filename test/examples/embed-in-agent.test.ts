import { describe, expect, it } from "vitest"
import { runAgent } from "../../examples/embed-in-agent.js"
import { conductorEnv } from "../support/conductor-env.js"

describe("examples/embed-in-agent", () => {
  it("plans, runs the steps concurrently and writes a final answer, surviving a failing model", async () => {
    const env = await conductorEnv()
    try {
      env.conductor.simulator?.injectFault("qwen2.5:14b", "cut")
      const lines: string[] = []
      const run = await env.settle(runAgent(env.conductor, "Plan a database migration", (l) => lines.push(l)))
      expect(run.error).toBeUndefined()
      const r = run.value
      expect(r?.plan.length).toBeGreaterThan(0)
      expect(r?.answers).toHaveLength(r?.plan.length ?? -1)
      expect(r?.answers.every((a) => a.text.length > 0)).toBe(true)
      expect(r?.final.length).toBeGreaterThan(0)
      // The cut on qwen2.5:14b made one request fall back, and the run went on.
      expect(env.events.filter((x) => x.type === "fallback")).toHaveLength(1)
      expect(lines[0]).toMatch(/^plan from /)
      expect(lines.at(-1)).toMatch(/^final answer from /)
    } finally {
      await env.conductor.close()
    }
  })
})
