import { afterEach, describe, expect, it } from "vitest"
import { type ConductorEnv, conductorEnv } from "./support/conductor-env.js"

let env: ConductorEnv | undefined
afterEach(async () => {
  await env?.conductor.close()
  env = undefined
})

const stateOf = (e: ConductorEnv, model: string) =>
  e.conductor.snapshot().models.find((m) => m.name === model)?.state

describe("conductor admin: load, unload, pin (through the scheduler and the budget)", () => {
  it("loads a model through the scheduler, then unloads it on request", async () => {
    env = await conductorEnv()
    const e = env
    const loaded = await e.settle(e.conductor.load("mistral:7b"))
    expect(loaded.value).toMatchObject({ model: "mistral:7b" })
    expect(loaded.value?.loadMs).toBeGreaterThan(0)
    expect(stateOf(e, "mistral:7b")).toBe("resident")
    expect(e.events.some((x) => x.type === "model_loaded" && x.model === "mistral:7b")).toBe(true)
    expect(e.conductor.unload("mistral:7b")).toEqual({ model: "mistral:7b", state: "unloading" })
    await e.until(() => stateOf(e, "mistral:7b") === "unloaded")
    expect(
      e.events.some(
        (x) => x.type === "model_evicted" && x.model === "mistral:7b" && x.reason === "requested",
      ),
    ).toBe(true)
    expect(e.conductor.unload("mistral:7b").state).toBe("not_loaded")
  })

  it("a busy model drains: it unloads once its request ends, which still completes", async () => {
    env = await conductorEnv()
    const e = env
    const h = e.conductor.submit({ prompt: "What is the capital of France?", model: "mistral:7b" })
    await e.until(() => e.of(h.id).some((x) => x.type === "started"))
    expect(e.conductor.unload("mistral:7b").state).toBe("draining")
    await e.until(() =>
      e.events.some(
        (x) => x.type === "model_draining" && x.model === "mistral:7b" && x.reason === "requested",
      ),
    )
    const out = await e.settle(h.result)
    expect(out.value?.model).toBe("mistral:7b")
    await e.until(() => stateOf(e, "mistral:7b") === "unloaded")
  })

  it("a pinned model refuses to unload until unpinned; unknown models are ModelNotFound", async () => {
    env = await conductorEnv()
    const e = env
    await e.settle(e.conductor.load("mistral:7b"))
    expect(e.conductor.pin("mistral:7b", true)).toEqual({ model: "mistral:7b", pinned: true })
    await e.until(() =>
      e.events.some((x) => x.type === "model_pinned" && x.model === "mistral:7b" && x.pinned),
    )
    expect(() => e.conductor.unload("mistral:7b")).toThrow(/pinned; unpin it first/)
    e.conductor.pin("mistral:7b", false)
    expect(e.conductor.unload("mistral:7b").state).toBe("unloading")
    await expect(e.conductor.load("nope:1b")).rejects.toMatchObject({ reason: "ModelNotFound" })
  })
})
