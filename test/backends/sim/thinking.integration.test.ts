/**
 * Thinking over the simulator's Ollama API with the official `ollama` client: a model with the
 * `thinking` capability streams `message.thinking` (chat) or `thinking` (generate) chunks before
 * its answer — by default, as Ollama turns `think` on for such models when the request leaves it
 * out — and not with `think: false`; `think` on a model without the capability is Ollama's 400.
 */
import type { ChatResponse, GenerateResponse } from "ollama"
import { afterEach, describe, expect, it } from "vitest"
import { ollamaFailure, type SimHttp, startSimHttp } from "../../support/sim-http.js"

const sims: SimHttp[] = []
afterEach(async () => {
  for (const s of sims.splice(0)) await s.close()
})
const start = async () => {
  const s = await startSimHttp()
  sims.push(s)
  return s
}

const PROMPT = "Why is the sky blue?"

const chatChunks = async (s: SimHttp, think?: boolean | "high" | "low") => {
  const out: ChatResponse[] = []
  const stream = await s.ollama.chat({
    model: "qwen3:4b",
    messages: [{ role: "user", content: PROMPT }],
    stream: true,
    ...(think !== undefined ? { think } : {}),
  })
  for await (const c of stream) out.push(c)
  return out
}

describe("backends/sim thinking (ollama client)", () => {
  it("think: true streams thinking chunks first, then content; thinking is never mixed into content", async () => {
    const s = await start()
    const chunks = await chatChunks(s, true)
    const firstContent = chunks.findIndex((c) => c.message.content !== "")
    const lastThinking = chunks.map((c) => (c.message.thinking ?? "") !== "").lastIndexOf(true)
    expect(lastThinking).toBeGreaterThanOrEqual(0)
    expect(firstContent).toBeGreaterThan(lastThinking)
    for (const c of chunks.slice(0, lastThinking + 1)) expect(c.message.content).toBe("")
    const thinking = chunks.map((c) => c.message.thinking ?? "").join("")
    expect(thinking).toMatch(/sky/i)
    // Reasoning tokens count as generated tokens.
    const done = chunks.at(-1) as ChatResponse
    expect(done.done).toBe(true)
    expect(done.eval_count).toBe(chunks.length - 1)
  })

  it("think absent on a thinking model: it thinks (Ollama's default for such models); think: false does not", async () => {
    const s = await start()
    const byDefault = await chatChunks(s)
    expect(byDefault.some((c) => (c.message.thinking ?? "") !== "")).toBe(true)
    const off = await chatChunks(s, false)
    expect(off.every((c) => c.message.thinking === undefined)).toBe(true)
    expect(off.map((c) => c.message.content).join("")).not.toBe("")
  })

  it("higher think levels reason longer", async () => {
    const s = await start()
    const length = async (level: "high" | "low") =>
      (await chatChunks(s, level)).map((c) => c.message.thinking ?? "").join("").length
    expect(await length("high")).toBeGreaterThan(await length("low"))
  })

  it("non-streamed chat and generate carry the whole reasoning in thinking", async () => {
    const s = await start()
    const chat = await s.ollama.chat({
      model: "qwen3:4b",
      messages: [{ role: "user", content: PROMPT }],
      think: true,
    })
    expect(chat.message.thinking).toMatch(/sky/i)
    expect(chat.message.content).not.toBe("")
    const gen = await s.ollama.generate({ model: "qwen3:4b", prompt: PROMPT, think: true })
    expect(gen.thinking).toMatch(/sky/i)
    expect(gen.response).not.toBe("")
    const parts: GenerateResponse[] = []
    for await (const p of await s.ollama.generate({ model: "qwen3:4b", prompt: PROMPT, stream: true }))
      parts.push(p)
    expect(parts[0]?.thinking).not.toBeUndefined()
    expect(parts[0]?.response).toBe("")
  })

  it("think on a model without the capability is 400 with Ollama's message; an invalid level too", async () => {
    const s = await start()
    expect(
      await ollamaFailure(() =>
        s.ollama.chat({ model: "llama3.1:8b", messages: [{ role: "user", content: PROMPT }], think: true }),
      ),
    ).toEqual({ status: 400, message: '"llama3.1:8b" does not support thinking' })
    expect(
      await ollamaFailure(() => s.ollama.generate({ model: "mistral:7b", prompt: PROMPT, think: "high" })),
    ).toEqual({
      status: 400,
      message: '"mistral:7b" does not support thinking',
    })
    // think: false on such a model is fine.
    const ok = await s.ollama.generate({ model: "mistral:7b", prompt: PROMPT, think: false })
    expect(ok.response).not.toBe("")
    const bad = await fetch(`${s.url}/api/chat`, {
      method: "POST",
      body: JSON.stringify({
        model: "qwen3:4b",
        messages: [{ role: "user", content: PROMPT }],
        think: "huge",
      }),
    })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toEqual({
      error: 'invalid think value: "huge" (must be "high", "medium", "low", "max", true, or false)',
    })
  })

  it("thinking counts against num_predict: a small budget is spent reasoning (done_reason length)", async () => {
    const s = await start()
    const r = await s.ollama.chat({
      model: "qwen3:4b",
      messages: [{ role: "user", content: PROMPT }],
      options: { num_predict: 5 },
    })
    expect(r.done_reason).toBe("length")
    expect(r.eval_count).toBe(5)
    expect(r.message.content).toBe("")
    expect(r.message.thinking).not.toBe("")
  })
})
