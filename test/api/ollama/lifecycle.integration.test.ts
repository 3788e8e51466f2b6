/**
 * The Ollama API's edges at real time (slow simulated tokens, so generations are still running):
 * the token (CONDUCTOR_TOKEN, sent by ollama-js as a header), a client that aborts a stream
 * cancels its request (the lease returns, `outcome="cancelled"` in /metrics), and a draining
 * server refuses new requests with 503 while a stream cut by the drain ends in an error line.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Ollama } from "ollama"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Served, SLOW_TOKENS, serve } from "../../support/serve.js"

const LONG = "Summarise the history of the printing press in detail."
const TOKEN = "s3cret-ollama"
const AUTH = { Authorization: `Bearer ${TOKEN}` }

const configDir = (conductorYaml: string): string => {
  const dir = mkdtempSync(join(tmpdir(), "conductor-ollama-"))
  writeFileSync(join(dir, "conductor.yaml"), conductorYaml)
  return dir
}

/** Poll (bounded) until `check` returns a value. */
const until = async <T>(check: () => Promise<T | undefined>, what: string): Promise<T> => {
  for (let i = 0; i < 400; i++) {
    const v = await check()
    if (v !== undefined) return v
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`never: ${what}`)
}

describe("Ollama API: token, abort and drain (slow tokens, real time)", () => {
  let server: Served

  beforeAll(async () => {
    server = await serve(
      ["--backend", "sim", "--sim-profile", SLOW_TOKENS, "--config", configDir("server:\n  drainMs: 1000\n")],
      { CONDUCTOR_TOKEN: TOKEN },
    )
  })
  afterAll(async () => {
    await server.stop()
  })

  it("needs the token: ollama-js sends it as a header; without it, 401 in Ollama's shape", async () => {
    const authed = new Ollama({ host: server.url, headers: AUTH })
    expect((await authed.list()).models.length).toBeGreaterThan(4)
    const r = await authed.chat({
      model: "auto",
      messages: [{ role: "user", content: "Hi" }],
      options: { num_predict: 3 },
      stream: false,
    })
    expect(r.done).toBe(true)
    const anonymous = new Ollama({ host: server.url })
    await expect(anonymous.list()).rejects.toMatchObject({ status_code: 401, error: expect.any(String) })
    const wrong = new Ollama({ host: server.url, headers: { Authorization: "Bearer nope" } })
    await expect(
      wrong.chat({ model: "auto", messages: [{ role: "user", content: "Hi" }], stream: true }),
    ).rejects.toMatchObject({ status_code: 401 })
  })

  it("cancels the request when the client aborts the stream: the lease returns and the request ends cancelled", async () => {
    const metrics = async () => (await fetch(`${server.url}/metrics`, { headers: AUTH })).text()
    const cancelledCount = (text: string) =>
      text
        .split("\n")
        .filter((l) => l.startsWith("conductor_requests_total{") && l.includes('outcome="cancelled"'))
        .reduce((n, l) => n + Number(l.split(" ").at(-1)), 0)
    const before = cancelledCount(await metrics())
    const ollama = new Ollama({ host: server.url, headers: AUTH })
    const stream = await ollama.chat({
      model: "llama3.1:8b",
      messages: [{ role: "user", content: LONG }],
      stream: true,
    })
    let parts = 0
    await expect(
      (async () => {
        for await (const part of stream) {
          expect(part.done).toBe(false)
          parts++
          if (parts === 2) stream.abort()
        }
      })(),
    ).rejects.toMatchObject({ name: "AbortError" })
    expect(parts).toBe(2)
    await until(
      async () => (cancelledCount(await metrics()) > before ? true : undefined),
      "a cancelled request",
    )
    const status = async () =>
      (await (await fetch(`${server.url}/v1/status`, { headers: AUTH })).json()) as {
        requests: { inFlight: number }
        models: Array<{ name: string; leases: number }>
      }
    await until(async () => {
      const s = await status()
      return s.requests.inFlight === 0 && s.models.every((m) => m.leases === 0) ? true : undefined
    }, "no request in flight and no lease held")
  })

  it("refuses new requests with 503 while draining; a stream the drain cuts ends in an error line, not done", async () => {
    const ollama = new Ollama({ host: server.url, headers: AUTH })
    const stream = await ollama.generate({ model: "llama3.1:8b", prompt: LONG, stream: true })
    const iterator = stream[Symbol.asyncIterator]()
    expect((await iterator.next()).value).toMatchObject({ done: false })
    server.proc.kill("SIGTERM")
    await until(
      async () =>
        (await fetch(`${server.url}/readyz`, { headers: AUTH })).status === 503 ? true : undefined,
      "not ready",
    )
    await expect(
      ollama.chat({ model: "auto", messages: [{ role: "user", content: "Hi" }], stream: false }),
    ).rejects.toMatchObject({ status_code: 503, error: "the server is shutting down" })
    await expect(ollama.embed({ model: "auto", input: "Hi" })).rejects.toMatchObject({
      status_code: 503,
      error: "the server is shutting down",
    })
    const rest: Array<{ done: boolean }> = []
    await expect(
      (async () => {
        for (;;) {
          const r = await iterator.next()
          if (r.done === true) return
          rest.push(r.value)
        }
      })(),
    ).rejects.toThrow("the request was cancelled")
    expect(rest.every((p) => p.done === false)).toBe(true)
    expect(await server.exited).toBe(0)
  })
})
