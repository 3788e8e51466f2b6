import { afterEach, describe, expect, it } from "vitest"
import type { ConductorResult, RequestHandle } from "../src/conductor.js"
import { type ConductorError, isConductorError } from "../src/domain/errors.js"
import type { ConductorEvent } from "../src/domain/events.js"
import { type ConductorEnv, conductorEnv } from "./support/conductor-env.js"

const PROMPT = "What is the capital of France?"
// On tiny-ci this routes to llama3.1:8b with fallbacks mistral:7b, qwen3:4b.
const CHAIN = ["llama3.1:8b", "mistral:7b", "qwen3:4b"]

let env: ConductorEnv | undefined
afterEach(async () => {
  await env?.conductor.close()
  env = undefined
})

const start = async (config: Record<string, unknown> = {}) => {
  env = await conductorEnv({ config })
  return env
}

const types = (events: ReadonlyArray<ConductorEvent>) => {
  const out: string[] = []
  for (const e of events) if (e.type !== "token" || out.at(-1) !== "token") out.push(e.type)
  return out
}

const terminalsOf = (e: ConductorEnv, id: string) =>
  e.of(id).filter((x) => x.type === "completed" || x.type === "failed" || x.type === "cancelled")

/** What `f` throws; the test fails when it throws nothing. */
const thrown = (f: () => unknown): unknown => {
  try {
    f()
  } catch (err) {
    return err
  }
  throw new Error("expected a throw, but nothing was thrown")
}

const run = async (e: ConductorEnv, handle: RequestHandle) => {
  const out = await e.settle(handle.result)
  await e.clock.advance(0)
  expect(terminalsOf(e, handle.id)).toHaveLength(1)
  return out as { value?: ConductorResult; error?: ConductorError }
}

describe("conductor (in-process simulator, virtual time)", () => {
  it("the routed event carries the routing classifier's verdict; routing.classifier: off leaves it out", async () => {
    const routedOf = async (e: ConductorEnv, id: string) => {
      await run(e, e.conductor.submit({ prompt: PROMPT, id }))
      const routed = e.of(id).find((x) => x.type === "routed")
      if (routed?.type !== "routed") throw new Error("no routed event")
      return routed.decision
    }
    const withModel = await routedOf(await start(), "model")
    expect(withModel.breakdown.model).toMatchObject({
      task: { type: "general_qa" },
      tier: { type: "fast" },
      used: { task: "model", complexity: "model" },
    })
    expect(withModel.breakdown.model?.task.probabilities.general_qa).toBeGreaterThan(0.5)
    await env?.conductor.close()
    const rulesOnly = await routedOf(await start({ routing: { classifier: "off" } }), "rules")
    expect(rulesOnly.breakdown.model).toBeUndefined()
    expect(rulesOnly.taskType).toBe("general_qa")
  })

  it("happy path: routed, queued, loaded, streamed, validated, completed — with a result and timings", async () => {
    const e = await start()
    const h = e.conductor.submit({ prompt: PROMPT, id: "happy" })
    const { value } = await run(e, h)
    expect(types(e.of("happy"))).toEqual([
      "accepted",
      "routed",
      "queued",
      "loading",
      "loaded",
      "started",
      "token",
      "validated",
      "completed",
    ])
    expect(value).toMatchObject({
      id: "happy",
      model: CHAIN[0],
      tier: "fast",
      taskType: "general_qa",
      reason: "complexity_tier",
      attempts: [{ model: CHAIN[0], outcome: "completed" }],
    })
    expect(value?.text.length).toBeGreaterThan(20)
    expect(value?.usage.evalTokens).toBeGreaterThan(0)
    expect(value?.timings.loadMs).toBeGreaterThan(0)
    expect(value?.timings.firstTokenMs).toBeGreaterThanOrEqual(value?.timings.loadMs ?? 0)
    // To the microsecond, not whole milliseconds (the simulator's generation takes 55⅔ ms here).
    expect(value?.timings.backendMs).toBeCloseTo(55.667, 3)
    expect(value?.timings.totalMs).toBeCloseTo((value?.timings.loadMs ?? 0) + 55.667, 3)
    const streamed: string[] = []
    for await (const ev of h.events) if (ev.type === "token") streamed.push(ev.text)
    expect(streamed.join("")).toBe(value?.text)
    const snap = e.conductor.snapshot()
    expect(snap.models.find((m) => m.name === CHAIN[0])).toMatchObject({ state: "resident", leases: 0 })
    expect(snap.vram.used).toBeGreaterThan(0)
    expect(snap.requests.inFlight).toBe(0)
  })

  it("rejects a bad request with every problem named, without accepting it", async () => {
    const e = await start()
    expect(() => e.conductor.submit({ prompt: "", tier: "ultra" } as never)).toThrow(
      /prompt: must not be empty|tier: Expected "fast" \| "balanced" \| "quality"/,
    )
    const err = thrown(() => e.conductor.submit({ messages: [{ role: "user", content: 3 }] } as never))
    expect(isConductorError(err) && err.reason).toBe("BadRequest")
    expect((err as Error).message).toContain("messages[0].content: Expected string")
    expect(e.events.filter((x) => x.type === "accepted")).toHaveLength(0)
  })

  it("refuses at submit, accepting nothing, what would fail later: an unknown persona, a format that is not a JSON Schema or is nested too deep", async () => {
    const e = await start()
    let deep: unknown = {}
    for (let i = 0; i < 100_000; i++) deep = { $defs: { a: deep } }
    const refused = [
      [{ prompt: PROMPT, persona: "nobody" }, /^persona: unknown persona 'nobody' \(known: researcher, /],
      [{ prompt: PROMPT, format: { type: "nonsense" } }, /^format\.type: unknown type 'nonsense'/],
      [{ prompt: PROMPT, format: deep }, /^format: the schema is nested deeper than 32 levels/],
    ] as const
    for (const [request, message] of refused) {
      const error = thrown(() => e.conductor.submit(request as never))
      expect(isConductorError(error) && error.reason).toBe("BadRequest")
      expect((error as Error).message).toMatch(message)
      await expect(e.conductor.generate(request as never)).rejects.toMatchObject({ reason: "BadRequest" })
    }
    await e.clock.advance(1_000)
    expect(e.events.filter((x) => x.type === "accepted")).toHaveLength(0)
  })

  it("a model error falls back to the next model in the chain", async () => {
    const e = await start()
    e.conductor.simulator?.injectFault(CHAIN[0] as string, "error")
    const h = e.conductor.submit({ prompt: PROMPT, id: "err" })
    const { value } = await run(e, h)
    expect(value?.model).toBe(CHAIN[1])
    expect(value?.attempts).toEqual([
      {
        model: CHAIN[0],
        outcome: "failed",
        reason: "Crashed",
        message: "an error was encountered while running the model: unexpected EOF",
      },
      { model: CHAIN[1], outcome: "completed" },
    ])
    expect(e.of("err").find((x) => x.type === "fallback")).toMatchObject({
      from: CHAIN[0],
      to: CHAIN[1],
      reason: "Crashed",
    })
    // Nothing was streamed before the error: nothing to discard.
    expect(e.of("err").some((x) => x.type === "restart")).toBe(false)
  })

  it("a model whose breaker is open is skipped", async () => {
    const e = await start({ health: { volumeThreshold: 2, errorThresholdPercentage: 50, probeAfter: "1m" } })
    e.conductor.simulator?.injectFault(CHAIN[0] as string, "error", 2)
    // Failures from two tenants (health.minTenants): one alone would not open it for others.
    await run(e, e.conductor.submit({ prompt: PROMPT, tenant: "a" }))
    await run(e, e.conductor.submit({ prompt: PROMPT, tenant: "b" }))
    expect(e.conductor.snapshot().breakers.find((b) => b.model === CHAIN[0])?.state).toBe("open")
    const { value } = await run(e, e.conductor.submit({ prompt: PROMPT, id: "skip" }))
    expect(value?.attempts[0]).toEqual({
      model: CHAIN[0],
      outcome: "skipped",
      reason: "CircuitOpen",
      message: "breaker open",
    })
    expect(value?.model).toBe(CHAIN[1])
    expect(e.events.some((x) => x.type === "breaker" && x.model === CHAIN[0] && x.state === "open")).toBe(
      true,
    )
  })

  it("no first token within the deadline falls back, and stops the slow generation on the simulator", async () => {
    const e = await start({ requests: { deadlines: { firstToken: "2s" } } })
    e.conductor.simulator?.injectFault(CHAIN[0] as string, "slow", 1, { slowFactor: 100_000 })
    const { value } = await run(e, e.conductor.submit({ prompt: PROMPT, id: "late" }))
    expect(value?.attempts[0]).toMatchObject({ model: CHAIN[0], outcome: "failed", reason: "Timeout" })
    expect(value?.attempts[0]?.message).toMatch(/no first token within 2000 ms/)
    expect(value?.model).toBe(CHAIN[1])
    await e.clock.advance(100)
    expect(e.conductor.simulator?.state().requests.cancelled).toBe(1)
  })

  it("the total deadline fails a request that runs too long, once; a request that ends first never hears of it", async () => {
    const e = await start({ requests: { deadlines: { firstToken: "10m", stall: "10m", total: "5s" } } })
    e.conductor.simulator?.injectFault(CHAIN[0] as string, "slow", 1, { slowFactor: 100_000 })
    const slow = await run(e, e.conductor.submit({ prompt: PROMPT, id: "too-long" }))
    expect(slow.error?.reason).toBe("Timeout")
    expect(slow.error?.message).toBe("request took longer than 5000 ms")
    expect(e.of("too-long").at(-1)).toMatchObject({ type: "failed", reason: "Timeout" })
    const fast = await run(e, e.conductor.submit({ prompt: PROMPT, id: "in-time" }))
    expect(fast.value?.text).not.toBe("")
    const seen = e.of("in-time").length
    await e.clock.advance(60_000)
    expect(e.of("in-time")).toHaveLength(seen)
    expect(terminalsOf(e, "too-long")).toHaveLength(1)
  })

  it("a stall mid-stream falls back and tells the client to discard what it had", async () => {
    const e = await start({ requests: { deadlines: { stall: "2s" } } })
    e.conductor.simulator?.injectFault(CHAIN[0] as string, "stall", 1, { stallSec: 60 })
    const { value } = await run(e, e.conductor.submit({ prompt: PROMPT, id: "stall" }))
    expect(value?.attempts[0]).toMatchObject({
      outcome: "failed",
      reason: "Timeout",
      message: "no token for 2000 ms",
    })
    const events = e.of("stall")
    const restart = events.find((x) => x.type === "restart")
    const before = events.slice(0, events.indexOf(restart as ConductorEvent))
    const discarded = before.reduce((n, x) => n + (x.type === "token" ? x.text.length : 0), 0)
    expect(restart).toMatchObject({ model: CHAIN[1], discard: discarded })
    expect(discarded).toBeGreaterThan(0)
    // After the restart, the tokens are exactly the answer.
    const after = events.slice(events.indexOf(restart as ConductorEvent))
    expect(after.flatMap((x) => (x.type === "token" ? [x.text] : [])).join("")).toBe(value?.text)
  })

  it("a cut stream falls back with a restart; with fallbacks.mode continue the next model carries on", async () => {
    const e = await start()
    e.conductor.simulator?.injectFault(CHAIN[0] as string, "cut")
    const { value } = await run(e, e.conductor.submit({ prompt: PROMPT, id: "cut" }))
    expect(value?.attempts.map((a) => a.outcome)).toEqual(["failed", "completed"])
    expect(e.of("cut").some((x) => x.type === "restart")).toBe(true)
    await e.conductor.close()

    const c = await start({ fallbacks: { mode: "continue" } })
    c.conductor.simulator?.injectFault(CHAIN[0] as string, "cut")
    const cont = await run(c, c.conductor.submit({ prompt: PROMPT, id: "cont" }))
    const events = c.of("cont")
    expect(events.some((x) => x.type === "restart")).toBe(false)
    const fallback = events.findIndex((x) => x.type === "fallback")
    const partial = events
      .slice(0, fallback)
      .flatMap((x) => (x.type === "token" ? [x.text] : []))
      .join("")
    expect(partial.length).toBeGreaterThan(0)
    expect(cont.value?.text.startsWith(partial)).toBe(true)
    expect(cont.value?.text.length).toBeGreaterThan(partial.length)
    expect(events.flatMap((x) => (x.type === "token" ? [x.text] : [])).join("")).toBe(cont.value?.text)
  })

  it("an answer that fails validation falls back and counts against the model", async () => {
    const e = await start()
    e.conductor.simulator?.injectFault(CHAIN[0] as string, "degenerate")
    const { value } = await run(e, e.conductor.submit({ prompt: PROMPT, id: "loop" }))
    const validated = e.of("loop").filter((x) => x.type === "validated")
    expect(validated[0]).toMatchObject({ model: CHAIN[0], ok: false })
    expect(validated[0]?.type === "validated" && validated[0].failures[0]).toMatchObject({
      validator: "repetition",
      message: expect.stringMatching(/degenerate repetition/),
    })
    expect(value?.attempts[0]).toMatchObject({
      model: CHAIN[0],
      outcome: "failed",
      reason: "ValidationFailed",
    })
    expect(value?.model).toBe(CHAIN[1])
    expect(e.of("loop").some((x) => x.type === "restart")).toBe(true)
    expect(e.conductor.snapshot().health.find((h) => h.model === CHAIN[0])).toMatchObject({
      failures: 1,
      lastFailure: { reason: "ValidationFailed" },
    })
  })

  it("fails when the chain is exhausted, listing every attempt with its reason", async () => {
    const e = await start()
    for (const m of CHAIN) e.conductor.simulator?.injectFault(m, "error")
    const { error } = await run(e, e.conductor.submit({ prompt: PROMPT, id: "all" }))
    expect(isConductorError(error) && error.reason).toBe("Crashed")
    const failed = e.of("all").find((x) => x.type === "failed")
    expect(failed?.type === "failed" && failed.attempts.map((a) => [a.model, a.outcome, a.reason])).toEqual(
      CHAIN.map((m) => [m, "failed", "Crashed"]),
    )
    expect(error?.message).toMatch(/every model failed/)
  })

  it("cancelling while queued leaves the queue; while generating stops the simulator's generation", async () => {
    const e = await start()
    const sim = e.conductor.simulator
    sim?.injectFault("qwen2.5:14b", "slow", 1, { slowFactor: 50 })
    const first = e.conductor.submit({ prompt: PROMPT, model: "qwen2.5:14b", id: "first" })
    await e.until(() => e.of("first").some((x) => x.type === "token"))
    // qwen2.5:14b has one slot: the second request waits for it.
    const queued = e.conductor.submit({ prompt: PROMPT, model: "qwen2.5:14b", id: "queued" })
    await e.clock.advance(100)
    expect(e.conductor.snapshot().requests.queued).toBe(1)
    queued.cancel()
    const q = await run(e, queued)
    expect(isConductorError(q.error) && q.error.reason).toBe("Cancelled")
    expect(e.of("queued").at(-1)).toMatchObject({
      type: "cancelled",
      attempts: [{ model: "qwen2.5:14b", outcome: "cancelled" }],
    })
    expect(e.conductor.snapshot().requests.queued).toBe(0)

    first.cancel()
    await run(e, first)
    await e.clock.advance(100)
    expect(sim?.state().requests.cancelled).toBe(1)
    expect(sim?.state().runners.find((r) => r.name === "qwen2.5:14b")?.active).toBe(0)
    expect(e.conductor.snapshot().models.find((m) => m.name === "qwen2.5:14b")?.leases).toBe(0)
  })

  it("cancelling while loading gives up a load still waiting for memory", async () => {
    // A short aging bound: the second request soon starves and drains the busy model for its load.
    const e = await start({ scheduler: { maxWait: "1s", minResidency: "0s" } })
    const sim = e.conductor.simulator
    sim?.injectFault("qwen2.5:14b", "slow", 1, { slowFactor: 50 })
    e.conductor.submit({ prompt: PROMPT, model: "qwen2.5:14b", id: "busy" })
    await e.until(() => e.of("busy").some((x) => x.type === "token"))
    // llama3.1:8b does not fit beside the busy 14b model: its load waits for that memory.
    const h = e.conductor.submit({ prompt: PROMPT, model: "llama3.1:8b", id: "waits" })
    await e.until(() => e.of("waits").some((x) => x.type === "loading"))
    const used = e.conductor.snapshot().vram.used
    h.cancel()
    await run(e, h)
    expect(e.conductor.snapshot().models.find((m) => m.name === "llama3.1:8b")?.state).toBe("unloaded")
    expect(e.conductor.snapshot().vram.used).toBe(used)
    expect(sim?.state().runners.map((r) => r.name)).toEqual(["qwen2.5:14b"])
  })

  it("close lets requests finish within drainMs, cancels the rest, and refuses new ones", async () => {
    const e = await start()
    e.conductor.simulator?.injectFault("qwen2.5:14b", "slow", 1, { slowFactor: 1_000 })
    const quick = e.conductor.submit({ prompt: PROMPT, id: "quick" })
    const slow = e.conductor.submit({ prompt: PROMPT, model: "qwen2.5:14b", id: "slow" })
    const closing = e.conductor.close({ drainMs: 10_000 })
    expect(() => e.conductor.submit({ prompt: PROMPT })).toThrow(/shutting down/)
    const closed = await e.settle(closing)
    expect(closed.error).toBeUndefined()
    expect((await quick.result).model).toBe(CHAIN[0])
    await expect(slow.result).rejects.toMatchObject({ reason: "Cancelled" })
    expect(terminalsOf(e, "slow").map((x) => x.type)).toEqual(["cancelled"])
    expect(e.clock.now()).toBeGreaterThanOrEqual(10_000)
  })

  it("events() filters by topic", async () => {
    const e = await start()
    const vram: ConductorEvent[] = []
    const sub = e.conductor.events({ topics: ["vram"] })
    void (async () => {
      for await (const x of sub) vram.push(x)
    })()
    await run(e, e.conductor.submit({ prompt: PROMPT }))
    expect(vram.length).toBeGreaterThan(0)
    expect(vram.every((x) => x.type === "vram")).toBe(true)
  })

  it("refuses submissions beyond requests.maxInFlight with a retry-after", async () => {
    const e = await start({ requests: { maxInFlight: 2 } })
    e.conductor.submit({ prompt: PROMPT })
    e.conductor.submit({ prompt: PROMPT })
    expect(() => e.conductor.submit({ prompt: PROMPT })).toThrow(/requests are in flight/)
    expect(thrown(() => e.conductor.submit({ prompt: PROMPT }))).toMatchObject({
      reason: "QueueFull",
      retryAfterMs: 1000,
    })
  })

  it("1,000 concurrent submissions each end with exactly one terminal event, within the budget", async () => {
    const e = await start({ requests: { maxInFlight: 1000 }, scheduler: { maxQueued: 1000 } })
    const prompts = [
      PROMPT,
      "Write a short poem about autumn leaves.",
      "Summarise the causes of the first world war in detail, comparing economic and political factors.",
      "Solve 3x + 7 = 22 and explain each step.",
    ]
    const handles = Array.from({ length: 1000 }, (_, i) =>
      e.conductor.submit({ prompt: prompts[i % prompts.length] as string, options: { numPredict: 16 } }),
    )
    const settled = handles.map((h) =>
      h.result.then(
        () => "ok",
        (err: ConductorError) => err.reason,
      ),
    )
    await e.until(() => e.conductor.snapshot().requests.inFlight === 0, 3_600_000, 1_000)
    const outcomes = await Promise.all(settled)
    const terminals = new Map<string, number>()
    for (const x of e.events) {
      if (x.type === "completed" || x.type === "failed" || x.type === "cancelled") {
        terminals.set(x.id, (terminals.get(x.id) ?? 0) + 1)
      }
    }
    expect(handles.every((h) => terminals.get(h.id) === 1)).toBe(true)
    expect(terminals.size).toBe(1000)
    expect(outcomes.filter((o) => o === "ok").length).toBe(1000)
    const budget = e.conductor.snapshot().vram.budget
    const used = e.events.flatMap((x) => (x.type === "vram" ? [x.usedBytes] : []))
    expect(Math.max(...used)).toBeLessThanOrEqual(budget)
    expect(e.conductor.simulator?.state().overcommits).toBe(0)
  })

  it("sends think only to models that think: a thinking model reasons, the others answer as if not asked", async () => {
    const e = await start()
    const plain = await run(e, e.conductor.submit({ prompt: PROMPT, model: "llama3.1:8b", think: true }))
    expect(plain.error).toBeUndefined()
    expect(plain.value).toMatchObject({ model: "llama3.1:8b", thinking: "" })
    const thinker = await run(e, e.conductor.submit({ prompt: PROMPT, model: "qwen3:4b", think: true }))
    expect(thinker.value?.model).toBe("qwen3:4b")
    expect(thinker.value?.thinking.length).toBeGreaterThan(0)
  })
})
