/**
 * `conductor serve --backend sim` as users run it, driven by real `ws` clients and HTTP: queries
 * stream to completion, many clients at once, cancel, subscriptions, malformed messages, auth,
 * payload limits, disconnects, SIGTERM drain, and `/metrics` checked by promtool.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { skipWithout } from "../support/binaries.js"
import { type Client, connect, type Served, SLOW_TOKENS, serve } from "../support/serve.js"

const PROMPT = "What is the capital of France?"
const LONG = "Summarise the history of the printing press in detail."
const terminal = (id: string) => (m: Record<string, unknown>) =>
  m.id === id && (m.type === "completed" || m.type === "failed" || m.type === "cancelled")

const configDir = (conductorYaml: string): string => {
  const dir = mkdtempSync(join(tmpdir(), "conductor-e2e-"))
  writeFileSync(join(dir, "conductor.yaml"), conductorYaml)
  return dir
}

describe("conductor serve (end to end, simulator backend)", () => {
  let server: Served
  const clients: Client[] = []
  const client = async (url = server.ws) => {
    const c = await connect(url)
    clients.push(c)
    await c.waitFor((m) => m.type === "hello")
    return c
  }

  beforeAll(async () => {
    server = await serve(["--backend", "sim", "--sim-profile", "tiny-ci", "--time-scale", "20"])
  })
  afterAll(async () => {
    for (const c of clients) c.close()
    await server.stop()
  })

  it("prints a banner naming the backend, its models and the budget; health and readiness answer", async () => {
    expect(server.stdout()).toMatch(/backend: embedded simulator \(simulator tiny-ci; as configured\)/)
    expect(server.stdout()).toMatch(/models: .*llama3\.1:8b/)
    expect(server.stdout()).toMatch(/VRAM budget: 14\.9 GB of 16\.0 GB/)
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: "ok" })
    const ready = await fetch(`${server.url}/readyz`)
    expect(ready.status).toBe(200)
    const status = (await (await fetch(`${server.url}/v1/status`)).json()) as Record<string, unknown>
    expect(status).toMatchObject({ draining: false, policy: "swap-aware", backend: { kind: "sim" } })
    expect(status.process).toEqual({
      heapUsedBytes: expect.any(Number),
      rssBytes: expect.any(Number),
      cpuUserMs: expect.any(Number),
      cpuSystemMs: expect.any(Number),
    })
    expect((status.process as { cpuUserMs: number }).cpuUserMs).toBeGreaterThan(0)
    expect((await fetch(`${server.url}/nope`)).status).toBe(404)
    // Before any query (this test runs first), every registry model's series already exist.
    const text = await (await fetch(`${server.url}/metrics`)).text()
    const series = (name: string) => text.split("\n").filter((l) => l.startsWith(`${name}{`))
    expect(series("conductor_breaker_state")).toContain('conductor_breaker_state{model="llama3.1:8b"} 0')
    expect(series("conductor_model_resident")).toContain('conductor_model_resident{model="llama3.1:8b"} 0')
    expect(text).toContain('conductor_model_loads_total{model="llama3.1:8b",outcome="failure"} 0')
    expect(series("conductor_breaker_state").length).toBeGreaterThan(1)
    expect(series("conductor_model_resident")).toHaveLength(series("conductor_breaker_state").length)
  })

  it("streams a query from accepted to completed", async () => {
    const c = await client()
    c.send({ type: "query", id: "e2e-1", prompt: PROMPT })
    const done = await c.waitFor(terminal("e2e-1"))
    expect(done.type).toBe("completed")
    const mine = c.messages.filter((m) => m.id === "e2e-1").map((m) => m.type)
    expect(mine[0]).toBe("accepted")
    expect(mine).toContain("routed")
    expect(mine).toContain("token")
    const text = c.messages
      .filter((m) => m.id === "e2e-1" && m.type === "token")
      .map((m) => m.text)
      .join("")
    expect(text).toBe(done.text)
  })

  it("serves many clients at once; each sees only its own requests", async () => {
    const many = await Promise.all(Array.from({ length: 8 }, () => client()))
    for (const [i, c] of many.entries()) {
      for (let j = 0; j < 4; j++)
        c.send({ type: "query", id: `many-${i}-${j}`, prompt: j % 2 === 0 ? PROMPT : LONG })
    }
    await Promise.all(
      many.flatMap((c, i) => [0, 1, 2, 3].map((j) => c.waitFor(terminal(`many-${i}-${j}`), 60_000))),
    )
    for (const [i, c] of many.entries()) {
      const ids = new Set(c.messages.filter((m) => typeof m.id === "string").map((m) => m.id as string))
      expect([...ids].every((id) => id.startsWith(`many-${i}-`))).toBe(true)
      const completed = c.messages.filter((m) => m.type === "completed")
      expect(completed).toHaveLength(4)
    }
  })

  it("cancels a query, and relays subscribed topics", async () => {
    const c = await client()
    c.send({ type: "subscribe", topics: ["models", "vram"] })
    await c.waitFor((m) => m.type === "subscribed")
    c.send({ type: "query", id: "to-cancel", prompt: LONG, model: "deepseek-coder:6.7b" })
    // Its model (one no earlier test here uses, so not yet resident) loads — once the models it
    // must evict have been resident minResidency — and the subscription shows the load and the
    // memory it takes.
    await c.waitFor((m) => m.type === "model_loading" && m.model === "deepseek-coder:6.7b", 60_000)
    await c.waitFor((m) => m.type === "vram")
    c.send({ type: "cancel", id: "to-cancel" })
    expect((await c.waitFor(terminal("to-cancel"))).type).toBe("cancelled")
    c.send({ type: "cancel", id: "to-cancel" })
    expect(await c.waitFor((m) => m.type === "error")).toMatchObject({ code: "unknown_request" })
  }, 90_000)

  it("answers malformed messages with errors and keeps serving", async () => {
    const c = await client()
    const corpus = ["{", "42", '{"type":"nope"}', '{"type":"query"}', '{"type":"subscribe","topics":["x"]}']
    for (const m of corpus) c.send(m)
    await c.waitFor(() => c.messages.filter((m) => m.type === "error").length === corpus.length)
    expect(c.messages.filter((m) => m.type === "error").map((m) => m.code)).toEqual([
      "bad_json",
      "bad_json",
      "unknown_type",
      "invalid_request",
      "invalid_message",
    ])
    c.send({ type: "query", id: "after-errors", prompt: PROMPT })
    expect((await c.waitFor(terminal("after-errors"))).type).toBe("completed")
  })

  it.skipIf(skipWithout("promtool"))("serves /metrics that passes promtool check metrics", async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text()
    expect(text).toContain("conductor_requests_total{")
    expect(text).toContain("conductor_ws_connections")
    expect(execFileSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" })).toBe("")
  })
})

describe("conductor serve: auth, limits, disconnects and shutdown", () => {
  it("requires the token when CONDUCTOR_TOKEN is set (header or query), except on /healthz", async () => {
    const s = await serve(["--backend", "sim", "--sim-profile", "tiny-ci"], { CONDUCTOR_TOKEN: "s3cret" })
    try {
      await expect(connect(`${s.ws}`)).rejects.toMatchObject({ status: 401 })
      await expect(connect(`${s.ws}?token=wrong`)).rejects.toMatchObject({ status: 401 })
      const viaHeader = await connect(s.ws, { headers: { authorization: "Bearer s3cret" } })
      await viaHeader.waitFor((m) => m.type === "hello")
      viaHeader.close()
      const viaQuery = await connect(`${s.ws}?token=s3cret`)
      await viaQuery.waitFor((m) => m.type === "hello")
      viaQuery.close()
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200)
      const denied = await fetch(`${s.url}/metrics`)
      expect(denied.status).toBe(401)
      expect(await denied.json()).toMatchObject({ code: "unauthorized" })
      expect((await fetch(`${s.url}/metrics`, { headers: { authorization: "Bearer s3cret" } })).status).toBe(
        200,
      )
      await expect(
        connect(s.ws, { headers: { authorization: "Bearer s3cret", origin: "https://evil.example" } }),
      ).rejects.toMatchObject({
        status: 403,
      })
    } finally {
      await s.stop()
    }
  })

  it("answers an oversized message with an error, and closes on one far past the limit", async () => {
    const s = await serve([
      "--backend",
      "sim",
      "--sim-profile",
      "tiny-ci",
      "--config",
      configDir("server:\n  maxPayloadBytes: 4096\n"),
    ])
    try {
      const c = await connect(s.ws)
      c.send({ type: "query", prompt: "x".repeat(8_000) })
      expect(await c.waitFor((m) => m.type === "error")).toMatchObject({ code: "payload_too_large" })
      c.send({ type: "query", id: "still-open", prompt: PROMPT })
      expect((await c.waitFor(terminal("still-open"))).type).toBe("completed")
      c.send("y".repeat(2_000_000))
      expect((await c.closed).code).toBe(1009)
    } finally {
      await s.stop()
    }
  })

  it("a client that disconnects has its requests cancelled", async () => {
    const s = await serve(["--backend", "sim", "--sim-profile", SLOW_TOKENS])
    try {
      const watcher = await connect(s.ws)
      watcher.send({ type: "subscribe", topics: ["requests"] })
      await watcher.waitFor((m) => m.type === "subscribed")
      const c = await connect(s.ws)
      c.send({ type: "query", id: "leaving", prompt: LONG })
      // The operators' view knows the request by the server's id, not the client's.
      const token = await watcher.waitFor((m) => m.type === "token")
      expect(token.id).not.toBe("leaving")
      c.close()
      expect((await watcher.waitFor(terminal(String(token.id)))).type).toBe("cancelled")
      watcher.close()
    } finally {
      await s.stop()
    }
  })

  it("SIGTERM drains: not ready, no new queries, in-flight ones finish or are cancelled, then exit 0", async () => {
    const s = await serve([
      "--backend",
      "sim",
      "--sim-profile",
      SLOW_TOKENS,
      "--config",
      // No minimum residency: the quick query's model may go at once for the long queries' one
      // (the two do not fit together here), instead of after the 10 s that stops thrashing.
      configDir("server:\n  drainMs: 1500\nscheduler:\n  minResidency: 0s\n"),
    ])
    const c = await connect(s.ws)
    const ids = ["d1", "d2", "d3"]
    c.send({ type: "query", id: "quick", prompt: "Hi", options: { numPredict: 3 } })
    for (const id of ids) c.send({ type: "query", id, prompt: LONG })
    // All three accepted, one generating (routing may put them on a one-slot model, where the
    // others queue behind it: waiting for a token from each would wait out two whole answers).
    await Promise.all(ids.map((id) => c.waitFor((m) => m.id === id && m.type === "accepted")))
    await c.waitFor((m) => ids.includes(m.id as string) && m.type === "token")
    s.proc.kill("SIGTERM")
    // The signal arrives asynchronously: poll until the server reports itself not ready.
    let ready = 200
    for (let i = 0; i < 500 && ready !== 503; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 10))
      ready = (await fetch(`${s.url}/readyz`)).status
    }
    expect(ready).toBe(503)
    c.send({ type: "query", id: "too-late", prompt: PROMPT })
    expect(await c.waitFor((m) => m.type === "error" && m.id === "too-late")).toMatchObject({
      code: "draining",
    })
    for (const id of ["quick", ...ids]) expect(await c.waitFor(terminal(id), 10_000)).toBeDefined()
    const ends = ids.map((id) => c.messages.find(terminal(id))?.type)
    expect(ends).toContain("cancelled")
    expect((await c.closed).code).toBe(1001)
    expect(await s.exited).toBe(0)
    expect(s.stderr()).toMatch(/"msg":"shutting down","signal":"SIGTERM"/)
  })
})
