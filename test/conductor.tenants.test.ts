/**
 * Health describes the model, not the request (issue 13, part A): answers that fail a format the
 * request made impossible never count against a model, and no single tenant opens a model's
 * breaker for everyone — on the in-process simulator, virtual time.
 */
import { afterEach, describe, expect, it } from "vitest"
import type { ConductorRequest, ConductorResult } from "../src/conductor.js"
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

const opened = (events: ReadonlyArray<ConductorEvent>) =>
  events.flatMap((e) =>
    e.type === "breaker" && e.state === "open"
      ? [e.model]
      : e.type === "tenant_breaker" && e.state === "open"
        ? [`${e.model} for ${e.tenant}`]
        : [],
  )

const generate = async (e: ConductorEnv, request: ConductorRequest) => {
  const out = await e.settle(e.conductor.generate(request))
  return out as { value?: ConductorResult; error?: { reason: string; message: string } }
}

describe("health by tenant (in-process simulator, virtual time)", () => {
  // Each poison fails its format on every model it reaches (or, for the first, used to fail
  // codePresent on every model: a JSON answer holds no code block).
  const POISONS: ReadonlyArray<readonly [string, ConductorRequest, "completed" | "failed"]> = [
    [
      "a code task asking for JSON",
      { prompt: "Write a Python function that adds two numbers", format: "json" },
      "completed",
    ],
    ["a schema nothing satisfies", { prompt: "Say hi", format: { not: {} } }, "failed"],
    [
      "a contradictory schema",
      { prompt: "Say hi", format: { type: "integer", minimum: 10, maximum: 5 } },
      "failed",
    ],
  ]

  it.each(POISONS)(
    "%s, five times, opens no breaker: a plain query right after is served by its first choice",
    async (_, poison, outcome) => {
      const e = await conductorEnv()
      env = e
      const handles = Array.from({ length: 5 }, () => e.conductor.submit(poison))
      await e.settle(Promise.allSettled(handles.map((h) => h.result)))
      const ends = e.events.filter((x) => x.type === "completed" || x.type === "failed").map((x) => x.type)
      expect(ends).toEqual(Array(5).fill(outcome))
      expect(opened(e.events)).toEqual([])
      const hi = await generate(e, { prompt: "Say hi" })
      expect(hi.error).toBeUndefined()
      expect(hi.value?.attempts).toEqual([{ model: hi.value?.model, outcome: "completed" }])
    },
  )

  it("a failed format is the request's: the validated event blames it, the model's health is untouched", async () => {
    const e = await conductorEnv()
    env = e
    const r = await generate(e, { id: "never", prompt: PROMPT, format: { not: {} } })
    expect(r.error?.reason).toBe("ValidationFailed")
    const validated = e.of("never").filter((x) => x.type === "validated")
    expect(validated.length).toBeGreaterThan(1)
    for (const v of validated) {
      expect(v).toMatchObject({ ok: false, failures: [{ validator: "format", blame: "request" }] })
    }
    for (const h of e.conductor.snapshot().health) expect(h).toMatchObject({ attempts: 0, failures: 0 })
  })

  it("a tenant whose requests keep failing on a model is held back from it alone; failures from two tenants open it for all", async () => {
    const e = await conductorEnv()
    env = e
    e.conductor.simulator?.setFaults(CHAIN[0], { errorBeforeFirstToken: 1 })
    // Mallory's requests fail on the first model and are served by the next; five failures
    // (health.volumeThreshold) open Mallory's own breaker for it.
    for (let i = 0; i < 5; i++) {
      const r = await generate(e, { prompt: PROMPT, tenant: "mallory" })
      expect(r.value?.attempts.map((a) => `${a.model}:${a.outcome}`)).toEqual([
        `${CHAIN[0]}:failed`,
        `${CHAIN[1]}:completed`,
      ])
    }
    expect(opened(e.events)).toEqual([`${CHAIN[0]} for mallory`])
    const held = await generate(e, { prompt: PROMPT, tenant: "mallory" })
    expect(held.value?.attempts[0]).toEqual({
      model: CHAIN[0],
      outcome: "skipped",
      reason: "CircuitOpen",
      message: "breaker open for this tenant",
    })
    // Alice still reaches the first model (it fails for her too, and she is served by the next).
    const alice = await generate(e, { prompt: PROMPT, tenant: "alice" })
    expect(alice.value?.attempts[0]).toMatchObject({ model: CHAIN[0], outcome: "failed" })
    // Failures from two tenants: the model's shared breaker opens, for everyone.
    expect(opened(e.events)).toEqual([`${CHAIN[0]} for mallory`, CHAIN[0]])
    const bob = await generate(e, { prompt: PROMPT, tenant: "bob" })
    expect(bob.value?.attempts[0]).toMatchObject({
      model: CHAIN[0],
      outcome: "skipped",
      message: "breaker open",
    })
    expect(e.conductor.snapshot().health.find((h) => h.model === CHAIN[0])).toMatchObject({
      breaker: "open",
      tenantBreakersOpen: 1,
    })
    // Each accepted event says whom the request ran for.
    expect(
      e.events.filter((x) => x.type === "accepted").map((x) => x.type === "accepted" && x.tenant),
    ).toContain("alice")
  })

  it("library requests run for tenant `library`", async () => {
    const e = await conductorEnv()
    env = e
    const h = e.conductor.submit({ prompt: PROMPT, id: "lib" })
    await e.settle(h.result)
    expect(e.of("lib")[0]).toMatchObject({ type: "accepted", tenant: "library" })
  })
})
