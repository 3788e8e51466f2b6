/**
 * Tenant limits and priorities through `submit` (issue 16): a tenant over its limits is refused
 * with QueueFull and a retry-after before anything is accepted; an interactive request overtakes
 * batch work queued for the same busy model — on the in-process simulator, virtual time.
 */
import { afterEach, describe, expect, it } from "vitest"
import { isConductorError } from "../src/domain/errors.js"
import { type ConductorEnv, conductorEnv } from "./support/conductor-env.js"

const PROMPT = "What is the capital of France?"

let env: ConductorEnv | undefined
afterEach(async () => {
  await env?.conductor.close()
  env = undefined
})

const refusal = (f: () => unknown) => {
  try {
    f()
  } catch (e) {
    return isConductorError(e) ? e : undefined
  }
  return undefined
}

describe("conductor: tenant limits and priorities", () => {
  it("refuses a tenant over maxInFlight or its rate with QueueFull and a retry-after, accepting nothing", async () => {
    env = await conductorEnv({
      config: {
        tenants: {
          "batch-jobs": { weight: 1, maxInFlight: 1 },
          default: { weight: 1, requestsPerMinute: 60, burst: 1 },
        },
      },
    })
    const e = env
    const accepted: string[] = []
    e.conductor.subscribe((x) => {
      if (x.type === "accepted") accepted.push(x.id)
    })
    const first = e.conductor.submit({ prompt: PROMPT, tenant: "batch-jobs" })
    const capped = refusal(() => e.conductor.submit({ prompt: PROMPT, tenant: "batch-jobs" }))
    expect(capped).toMatchObject({ reason: "QueueFull", retryAfterMs: 1000 })
    expect(capped?.message).toMatch(/maxInFlight 1/)
    e.conductor.submit({ prompt: PROMPT, tenant: "ws:1" })
    const rated = refusal(() => e.conductor.submit({ prompt: PROMPT, tenant: "ws:1" }))
    expect(rated).toMatchObject({ reason: "QueueFull", retryAfterMs: 1000 })
    // Two accepted (one per tenant), none for the refused ones.
    expect(accepted).toHaveLength(2)
    await e.settle(first.result)
    // Its request ended: the tenant may send again.
    expect(refusal(() => e.conductor.submit({ prompt: PROMPT, tenant: "batch-jobs" }))).toBeUndefined()
  })

  it("an interactive request overtakes batch requests queued before it for the same busy model", async () => {
    env = await conductorEnv()
    const e = env
    e.conductor.simulator?.injectFault("mistral:7b", "slow", 1, { slowFactor: 20 })
    const busy = e.conductor.submit({ prompt: PROMPT, model: "mistral:7b" })
    await e.until(() => e.of(busy.id).some((x) => x.type === "started"))
    const batch = [1, 2, 3].map(() =>
      e.conductor.submit({ prompt: PROMPT, model: "mistral:7b", priority: "batch", tenant: "jobs" }),
    )
    const chat = e.conductor.submit({ prompt: PROMPT, model: "mistral:7b", tenant: "ws:1" })
    await e.settle(Promise.all([busy.result, chat.result, ...batch.map((b) => b.result)]))
    const startedAt = (id: string) => e.of(id).find((x) => x.type === "started")?.at ?? Number.NaN
    for (const b of batch) expect(startedAt(chat.id)).toBeLessThan(startedAt(b.id))
    expect(e.of(batch[0]?.id as string).find((x) => x.type === "queued")).toMatchObject({
      priority: "batch",
      tenant: "jobs",
    })
  })
})
