import { describe, expect, it } from "vitest"
import { runAgent } from "../../examples/embed-in-agent.js"
import { conductorEnv } from "../support/conductor-env.js"

describe("examples/embed-in-agent", () => {
  it("plans, runs the steps concurrently and writes a final answer, surviving a failing model", async () => {
    // A first run finds a model whose first request has a fallback (routing decides which)…
    const probe = await conductorEnv()
    let victim: string | undefined
    try {
      await probe.settle(runAgent(probe.conductor, "Plan a database migration", () => {}))
      const firstUse = new Map<string, number>()
      for (const e of probe.events)
        if (e.type === "routed" && !firstUse.has(e.decision.model))
          firstUse.set(e.decision.model, e.decision.fallbacks.length)
      victim = [...firstUse].find(([, fallbacks]) => fallbacks > 0)?.[0]
    } finally {
      await probe.conductor.close()
    }
    expect(victim).toBeDefined()
    // …and the same run again (same seed, same virtual time) has that request cut.
    const env = await conductorEnv()
    try {
      env.conductor.simulator?.injectFault(victim as string, "cut")
      const lines: string[] = []
      const run = await env.settle(runAgent(env.conductor, "Plan a database migration", (l) => lines.push(l)))
      expect(run.error).toBeUndefined()
      const r = run.value
      expect(r?.plan.length).toBeGreaterThan(0)
      expect(r?.answers).toHaveLength(r?.plan.length ?? -1)
      expect(r?.answers.every((a) => a.text.length > 0)).toBe(true)
      expect(r?.final.length).toBeGreaterThan(0)
      // The cut made exactly that request fall back, and the run went on.
      const fallbacks = env.events.filter((x) => x.type === "fallback")
      expect(fallbacks).toHaveLength(1)
      expect(fallbacks[0]).toMatchObject({ from: victim, reason: "Crashed" })
      expect(lines[0]).toMatch(/^plan from /)
      expect(lines.at(-1)).toMatch(/^final answer from /)
    } finally {
      await env.conductor.close()
    }
  })

  it("plans a code goal (a JSON plan is checked by its schema, not for code) and runs it through", async () => {
    const env = await conductorEnv()
    try {
      const lines: string[] = []
      const goal = "Plan a small REST API for a todo app and write the main handler"
      const run = await env.settle(runAgent(env.conductor, goal, (l) => lines.push(l)))
      expect(run.error).toBeUndefined()
      expect(lines[0]).toMatch(/^plan from /)
      expect(run.value?.plan.length).toBeGreaterThan(0)
      expect(run.value?.final.length).toBeGreaterThan(0)
    } finally {
      await env.conductor.close()
    }
  })

  it("survives a step that fails on every model: without a plan it works on the goal as one step", async () => {
    const env = await conductorEnv()
    try {
      // Every model fails its next request: the plan is the first, and it fails on its whole chain.
      for (const m of env.conductor.models()) {
        if (m.kind === "chat" && m.available) env.conductor.simulator?.injectFault(m.name, "error")
      }
      const lines: string[] = []
      const goal = "Plan a database migration"
      const run = await env.settle(runAgent(env.conductor, goal, (l) => lines.push(l)))
      expect(run.error).toBeUndefined()
      expect(lines[0]).toMatch(
        /^planning failed \(\w+: every model failed — .*\); working on the goal as one step$/,
      )
      expect(run.value?.plan).toEqual([goal])
      expect(run.value?.answers).toHaveLength(1)
      expect(run.value?.final.length).toBeGreaterThan(0)
    } finally {
      await env.conductor.close()
    }
  })
})
