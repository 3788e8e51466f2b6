import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import BetterSqlite3 from "better-sqlite3"
import { afterAll, afterEach, describe, expect, it, vi } from "vitest"
import type { RoutingDecision } from "../../src/domain/decision.js"
import { isConductorError } from "../../src/domain/errors.js"
import { storePathOf } from "../../src/learning/learning.js"
import { OutcomeStore } from "../../src/learning/store.js"
import { type ConductorEnv, conductorEnv } from "../support/conductor-env.js"

const PROMPT = "What is the capital of France?"
const dir = mkdtempSync(join(tmpdir(), "conductor-learning-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let env: ConductorEnv | undefined
afterEach(async () => {
  await env?.conductor.close()
  env = undefined
  vi.restoreAllMocks()
})

const learning = (over: Record<string, unknown>) => ({ learning: { seed: 1, ...over } })
const decisionOf = (e: ConductorEnv, id: string) =>
  (e.of(id).find((x) => x.type === "routed") as { decision: RoutingDecision } | undefined)?.decision

const rows = (path: string) => {
  const db = new BetterSqlite3(path, { readonly: true })
  const out = db
    .prepare(
      "SELECT request_id, attempt, model, outcome, reason, quality, feedback, learned_model, rules_model, gpu_seconds, slot_ms, total_ms, ttft_ms FROM outcomes ORDER BY id",
    )
    .all() as Array<Record<string, unknown>>
  db.close()
  return out
}

describe("learned routing in Conductor", () => {
  it("records every attempt, writes only from the recorder's flush, and takes feedback from the handle", async () => {
    const path = join(dir, "shadow.db")
    const stacks: string[] = []
    const write = OutcomeStore.prototype.write
    vi.spyOn(OutcomeStore.prototype, "write").mockImplementation(function (this: OutcomeStore, ...args) {
      stacks.push(new Error().stack ?? "")
      return write.apply(this, args)
    })
    env = await conductorEnv({ config: learning({ mode: "shadow", store: path }) })
    const e = env
    e.conductor.simulator?.injectFault("llama3.1:8b", "error")
    const first = e.conductor.submit({ prompt: PROMPT, id: "first", tenant: "acme" })
    await e.settle(first.result)
    const second = e.conductor.submit({ prompt: PROMPT, id: "second" })
    const { value } = await e.settle(second.result)
    expect(value?.model).toBe("llama3.1:8b")
    second.feedback(0.25)
    expect(() => second.feedback(2)).toThrow(/score: expected a number from 0 to 1/)
    expect(decisionOf(e, "second")?.breakdown.learned).toMatchObject({ mode: "shadow", rules: "llama3.1:8b" })
    await e.conductor.close()
    expect(stacks.length).toBeGreaterThan(0)
    for (const s of stacks) expect(s).toMatch(/Recorder\.flush/)
    const got = rows(path)
    expect(got.map((r) => [r.request_id, r.attempt, r.model, r.outcome, r.quality, r.feedback])).toEqual([
      ["first", 1, "llama3.1:8b", "failed", 0, null],
      ["first", 2, "mistral:7b", "completed", 1, null],
      ["second", 1, "llama3.1:8b", "completed", 1, 0.25],
    ])
    for (const r of got) {
      expect(r.rules_model).toBe("llama3.1:8b")
      expect(typeof r.learned_model).toBe("string")
      expect(r.total_ms as number).toBeGreaterThanOrEqual(r.slot_ms as number)
    }
    const answered = got[2] as Record<string, number>
    expect(answered.slot_ms).toBeGreaterThan(0)
    expect(answered.gpu_seconds).toBeGreaterThan(0)
    expect(answered.ttft_ms).toBeLessThanOrEqual(answered.total_ms as number)
  })

  it("with learning on, moves a class of queries off a model whose answers keep failing — and remembers it at the next start", async () => {
    const path = join(dir, "on.db")
    const config = learning({ mode: "on", store: path, exploration: 0 })
    env = await conductorEnv({ config })
    const e = env
    e.conductor.simulator?.setFaults("llama3.1:8b", { errorBeforeFirstToken: 1 })
    const served: string[] = []
    for (let i = 0; i < 8; i++) {
      const h = e.conductor.submit({ prompt: PROMPT, id: `q${i}` })
      await e.settle(h.result)
      // Past the recorder's flush interval, so the outcome is learned from.
      await e.clock.advance(1000)
      served.push(decisionOf(e, `q${i}`)?.model as string)
    }
    expect(served[0]).toBe("llama3.1:8b")
    expect(served.at(-1)).not.toBe("llama3.1:8b")
    const last = decisionOf(e, "q7")
    expect(last).toMatchObject({ reason: "learned" })
    expect(last?.fallbacks[0]).toBe("llama3.1:8b")
    expect(last?.breakdown.learned?.evidence["llama3.1:8b"]).toBeGreaterThan(0)
    await e.conductor.close()

    env = await conductorEnv({ config })
    const h = env.conductor.submit({ prompt: PROMPT, id: "warm" })
    await env.settle(h.result)
    expect(decisionOf(env, "warm")).toMatchObject({ model: served.at(-1), reason: "learned" })
  })

  it("serves a tenant over its daily budget the cheapest fit model, and honours a request's maxCost", async () => {
    env = await conductorEnv({
      config: learning({
        mode: "on",
        store: ":memory:",
        exploration: 0,
        budgets: { tenants: { acme: 0.01 } },
      }),
    })
    const e = env
    const first = e.conductor.submit({ prompt: PROMPT, id: "b1", tenant: "acme" })
    await e.settle(first.result)
    expect(decisionOf(e, "b1")?.breakdown.learned?.cost).toMatchObject({ limit: 0.01, bound: true })
    await e.clock.advance(1000)
    const second = e.conductor.submit({ prompt: PROMPT, id: "b2", tenant: "acme" })
    await e.settle(second.result)
    const spent = decisionOf(e, "b2")
    expect(spent?.breakdown.learned?.cost).toMatchObject({ limit: 0, bound: true })
    const cheapest = spent?.model as string
    // Another tenant, unbudgeted and unlimited, gets the rules' choice; with a maxCost, the cheap one.
    const other = e.conductor.submit({ prompt: PROMPT, id: "b3", tenant: "other" })
    await e.settle(other.result)
    expect(decisionOf(e, "b3")).toMatchObject({ model: "llama3.1:8b" })
    expect(decisionOf(e, "b3")?.breakdown.learned?.cost).toBeUndefined()
    const capped = e.conductor.submit({ prompt: PROMPT, id: "b4", maxCost: 0.0001 })
    await e.settle(capped.result)
    expect(decisionOf(e, "b4")?.model).toBe(cheapest)
    expect(cheapest).not.toBe("llama3.1:8b")
  })

  it("with learning off, opens no store, refuses feedback and says maxCost is ignored", async () => {
    env = await conductorEnv()
    const h = env.conductor.submit({ prompt: PROMPT, id: "off", maxCost: 1 })
    const { value } = await env.settle(h.result)
    expect(value?.warnings).toContain("maxCost ignored: learning.mode is off")
    expect(decisionOf(env, "off")?.breakdown.learned).toBeUndefined()
    let error: unknown
    try {
      h.feedback(1)
    } catch (e) {
      error = e
    }
    expect(isConductorError(error) && error.reason).toBe("BadRequest")
    expect(String((error as Error).message)).toMatch(/learning.mode is off/)
  })

  it("names the store it cannot open", async () => {
    // A directory path through a plain file.
    const file = join(dir, "not-a-directory")
    writeFileSync(file, "")
    const store = join(file, "outcomes.db")
    await expect(conductorEnv({ config: learning({ mode: "on", store }) })).rejects.toThrow(
      `learning.store: cannot open '${store}'`,
    )
  })

  it("keeps the store under the user's state directory by default", () => {
    const base = { mode: "on", retention: 1, halfLife: 1 } as never
    expect(storePathOf(base, { XDG_STATE_HOME: "/x/state", HOME: "/home/u" })).toBe(
      "/x/state/conductor/outcomes.db",
    )
    expect(storePathOf(base, { HOME: "/home/u" })).toBe("/home/u/.local/state/conductor/outcomes.db")
    expect(storePathOf({ store: ":memory:" } as never, {})).toBe(":memory:")
  })
})
