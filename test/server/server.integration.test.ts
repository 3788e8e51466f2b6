/**
 * The server in process, on a Conductor whose clock only moves when the test advances it: which
 * clock each limit runs on (the drain is real time), `/readyz` telling the truth about breakers,
 * each WebSocket connection its own tenant, and the wall-clock `ts` on every message.
 */
import { afterEach, describe, expect, it } from "vitest"
import { makeLogger } from "../../src/logging/logger.js"
import { makeMetrics } from "../../src/metrics/metrics.js"
import { type RunningServer, startServer } from "../../src/server/server.js"
import { type ConductorEnv, conductorEnv } from "../support/conductor-env.js"
import { type Client, connect } from "../support/serve.js"

const PROMPT = "What is the capital of France?"
const LONG = "Summarise the history of the printing press in detail."

let env: ConductorEnv | undefined
let server: RunningServer | undefined
const clients: Client[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  await server?.drain()
  await env?.conductor.close()
  server = undefined
  env = undefined
})

const start = async (config: Record<string, unknown> = {}) => {
  const e = await conductorEnv({ config })
  env = e
  const metrics = makeMetrics()
  e.conductor.subscribe(metrics.observe)
  server = await startServer({
    conductor: e.conductor,
    config: { ...e.conductor.config.conductor.server, port: 0 },
    metrics,
    logger: makeLogger("error", () => undefined),
    version: "test",
  })
  return { e, server }
}

/** Advance virtual time (letting sockets talk between steps) until `done()`. */
const pump = async (e: ConductorEnv, done: () => boolean, maxMs = 600_000, stepMs = 50) => {
  for (let t = 0; t <= maxMs && !done(); t += stepMs) {
    await e.clock.advance(stepMs)
    await new Promise((r) => setTimeout(r, 0))
  }
  if (!done()) throw new Error(`not done after ${maxMs} ms of virtual time`)
}

const client = async (s: RunningServer) => {
  const c = await connect(`${s.url.replace(/^http/, "ws")}/ws`)
  clients.push(c)
  await c.waitFor((m) => m.type === "hello")
  return c
}

const terminal = (id: string) => (m: Record<string, unknown>) =>
  m.id === id && (m.type === "completed" || m.type === "failed" || m.type === "cancelled")

describe("server (in process, virtual time)", () => {
  it("drains on real time: requests still running after drainMs of Conductor's clock are not cut", async () => {
    const { e, server: s } = await start()
    // Slowed down, this answer takes about three minutes of Conductor's time — far past
    // server.drainMs (30 s) — and milliseconds of real time.
    e.conductor.simulator?.injectFault("llama3.1:8b", "slow", 1, { slowFactor: 1000 })
    const h = e.conductor.submit({ prompt: LONG, id: "long", model: "llama3.1:8b" })
    await pump(e, () => e.of("long").some((x) => x.type === "token"))
    let drained = false
    const draining = s.drain().then(() => {
      drained = true
    })
    const before = e.clock.now()
    await pump(
      e,
      () => e.clock.now() - before > 40_000 || e.of("long").some((x) => terminal("long")(x)),
      60_000,
      500,
    )
    // 40 s of Conductor's time later, the drain (30 s of real time) still lets it run.
    expect(e.of("long").filter((x) => terminal("long")(x))).toEqual([])
    expect(drained).toBe(false)
    expect(e.conductor.readiness()).toMatchObject({ ready: false, closing: true })
    await pump(e, () => e.of("long").some((x) => terminal("long")(x)), 600_000, 500)
    expect(e.of("long").find((x) => terminal("long")(x))?.type).toBe("completed")
    expect((await h.result).text.length).toBeGreaterThan(0)
    await draining
    expect(drained).toBe(true)
  })

  it("/readyz is 503 while no routable model's breaker admits work, naming the breakers", async () => {
    const { e, server: s } = await start({ health: { volumeThreshold: 2, probeAfter: "5m" } })
    const ready = async () => {
      const r = await fetch(`${s.url}/readyz`)
      return { status: r.status, body: (await r.json()) as Record<string, unknown> }
    }
    expect(await ready()).toMatchObject({ status: 200, body: { ready: true, backend: "reachable" } })
    e.conductor.simulator?.setFaults(undefined, { errorBeforeFirstToken: 1 })
    const chat = e.conductor
      .models()
      .filter((m) => m.kind === "chat" && m.available)
      .map((m) => m.name)
    for (const model of chat) {
      for (const tenant of ["a", "b"]) await e.settle(e.conductor.generate({ prompt: PROMPT, model, tenant }))
    }
    const r = await ready()
    expect(r.status).toBe(503)
    expect(r.body).toMatchObject({
      ready: false,
      backend: "reachable",
      draining: false,
      models: { admitting: 0 },
      reason: expect.stringMatching(/^every routable model's breaker refuses work: /),
    })
    expect((r.body.breakers as unknown[]).length).toBeGreaterThan(2)
    expect(r.body.breakers).toContainEqual({
      model: "llama3.1:8b",
      state: "open",
      nextProbeAt: expect.any(Number),
    })
    const metrics = await (await fetch(`${s.url}/metrics`)).text()
    expect(metrics).toMatch(/^conductor_ready 0$/m)
  })

  it("each connection is its own tenant: one connection's failing requests leave the model to the others", async () => {
    const { e, server: s } = await start()
    e.conductor.simulator?.setFaults("llama3.1:8b", { errorBeforeFirstToken: 1 })
    const watcher = await client(s)
    watcher.send({ type: "subscribe", topics: ["breakers"] })
    await watcher.waitFor((m) => m.type === "subscribed")
    const mallory = await client(s)
    const alice = await client(s)
    for (let i = 0; i < 6; i++) {
      // A client's own `tenant` is replaced by the connection's.
      mallory.send({ type: "query", id: `m${i}`, prompt: PROMPT, tenant: "alice" })
      await pump(e, () => mallory.messages.some(terminal(`m${i}`)))
    }
    const held = mallory.messages.find(terminal("m5")) as { attempts: Array<Record<string, unknown>> }
    expect(held.attempts[0]).toMatchObject({
      model: "llama3.1:8b",
      outcome: "skipped",
      message: "breaker open for this tenant",
    })
    alice.send({ type: "query", id: "a0", prompt: PROMPT })
    await pump(e, () => alice.messages.some(terminal("a0")))
    const served = alice.messages.find(terminal("a0")) as {
      type: string
      attempts: Array<Record<string, unknown>>
    }
    expect(served.type).toBe("completed")
    expect(served.attempts[0]).toMatchObject({ model: "llama3.1:8b", outcome: "failed" })
    expect(watcher.messages.filter((m) => m.type === "tenant_breaker")[0]).toMatchObject({
      model: "llama3.1:8b",
      tenant: "ws:2",
      state: "open",
    })
    expect(mallory.messages.find((m) => m.type === "accepted")).toMatchObject({ tenant: "ws:2" })
  })

  it("stamps every message with ts, the wall-clock time it left (events keep `at`, Conductor's clock)", async () => {
    const startedAt = Date.now()
    const { e, server: s } = await start()
    const c = await client(s)
    c.send({ type: "query", id: "q", prompt: PROMPT })
    await pump(e, () => c.messages.some(terminal("q")))
    c.send({ type: "nonsense" })
    await c.waitFor((m) => m.type === "error")
    const endedAt = Date.now()
    expect(c.messages.length).toBeGreaterThan(5)
    for (const m of c.messages) {
      expect(m.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      const ts = Date.parse(m.ts as string)
      expect(ts).toBeGreaterThanOrEqual(startedAt)
      expect(ts).toBeLessThanOrEqual(endedAt)
    }
    // `at` is Conductor's (here virtual) clock: milliseconds since it started.
    const accepted = c.messages.find((m) => m.type === "accepted")
    expect(accepted?.at).toBeLessThan(600_000)
  })
})
