/**
 * Priority over both compatible APIs, end to end: OpenAI's `service_tier: flex` (official SDK)
 * and Ollama's `x-conductor-priority` header (ollama-js) reach the scheduler as batch work — the
 * request's `queued` event says so — and a plain request is interactive.
 */
import { Ollama } from "ollama"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { ConductorEvent } from "../../src/domain/events.js"
import { type HttpEnv, httpEnv } from "../support/http-env.js"

describe("priority over the compatible APIs", () => {
  let env: HttpEnv
  const queued: Extract<ConductorEvent, { type: "queued" }>[] = []
  beforeAll(async () => {
    env = await httpEnv()
    env.conductor.subscribe((e) => {
      if (e.type === "queued") queued.push(e)
    })
  })
  afterAll(() => env.close())

  it("service_tier flex runs as batch, the default as interactive (OpenAI SDK)", async () => {
    const openai = new OpenAI({ baseURL: `${env.url}/v1`, apiKey: "unused" })
    const messages = [{ role: "user" as const, content: "Say hi" }]
    const flex = await openai.chat.completions.create({ model: "auto", messages, service_tier: "flex" })
    const plain = await openai.chat.completions.create({ model: "auto", messages })
    expect(flex.choices[0]?.message.content).toBeTruthy()
    const byId = (id: string) => queued.find((q) => q.id === id)?.priority
    expect(byId(flex.id.replace(/^chatcmpl-/, ""))).toBe("batch")
    expect(byId(plain.id.replace(/^chatcmpl-/, ""))).toBe("interactive")
  })

  it("x-conductor-priority: batch runs as batch (ollama-js)", async () => {
    const before = queued.length
    const ollama = new Ollama({ host: env.url, headers: { "x-conductor-priority": "batch" } })
    const r = await ollama.chat({ model: "auto", messages: [{ role: "user", content: "Say hi" }] })
    expect(r.message.content).toBeTruthy()
    expect(queued.slice(before).map((q) => q.priority)).toEqual(["batch"])
  })
})
