import { afterEach, describe, expect, it } from "vitest"
import { CLOSE_SLOW_CONSUMER, Session, type SessionOptions } from "../../src/server/session.js"
import { type ConductorEnv, conductorEnv } from "../support/conductor-env.js"

const OPTIONS: SessionOptions = {
  maxPayloadBytes: 1024,
  maxInFlight: 2,
  messagesPerSecond: 5,
  messageBurst: 5,
  highWaterBytes: 1000,
  slowCloseAfterMs: 2_000,
}

/** A socket that records what was sent; `buffered` plays the kernel's send queue. */
class FakeSocket {
  readonly sent: Array<Record<string, unknown>> = []
  buffered = 0
  closedWith: number | undefined
  send(text: string) {
    this.sent.push(JSON.parse(text))
  }
  get bufferedAmount() {
    return this.buffered
  }
  close(code: number) {
    this.closedWith = code
  }
  ofType(type: string) {
    return this.sent.filter((m) => m.type === type)
  }
}

let env: ConductorEnv | undefined
afterEach(async () => {
  await env?.conductor.close()
  env = undefined
})

const setup = async (options: Partial<SessionOptions> = {}, draining = false) => {
  env = await conductorEnv()
  const e = env
  const socket = new FakeSocket()
  const session = new Session({
    conductor: e.conductor,
    transport: socket,
    options: { ...OPTIONS, ...options },
    now: () => e.clock.now(),
    schedule: (ms, fn) => e.clock.schedule(ms, fn),
    draining: () => draining,
  })
  const say = (message: unknown) => {
    const text = typeof message === "string" ? message : JSON.stringify(message)
    session.receive(text, Buffer.byteLength(text))
  }
  return { e, socket, session, say }
}

describe("server/session", () => {
  it("streams a query's events to the client and ends with its terminal event", async () => {
    const { e, socket, say } = await setup()
    say({ type: "query", id: "q1", prompt: "What is the capital of France?" })
    await e.until(() => socket.ofType("completed").length === 1)
    const types = socket.sent.map((m) => m.type)
    expect(types[0]).toBe("accepted")
    expect(types.at(-1)).toBe("completed")
    expect(socket.sent.every((m) => m.id === "q1")).toBe(true)
  })

  it("answers every malformed message with an error and keeps serving", async () => {
    const { e, socket, say } = await setup({ messageBurst: 100, messagesPerSecond: 100 })
    const corpus = [
      "{oops",
      "[]",
      "null",
      "{}",
      '{"type":"launch"}',
      '{"type":"cancel"}',
      '{"type":"cancel","id":"nobody"}',
      '{"type":"subscribe","topics":["everything"]}',
      '{"type":"query","prompt":""}',
      '{"type":"query","prompt":"hi","tier":"ultra"}',
      '{"type":"query","prompt":"hi","options":{"numPredict":-1}}',
      '{"type":"query","prompt":"hi","frobnicate":1}',
      '{"type":"query","messages":[{"role":"user"}]}',
      '{"type":"query","prompt":"hi","format":{"$ref":"http://x"}}',
    ]
    for (const m of corpus) say(m)
    const errors = socket.ofType("error")
    expect(errors).toHaveLength(corpus.length)
    expect(errors.map((x) => x.code)).toEqual([
      "bad_json",
      "bad_json",
      "bad_json",
      "unknown_type",
      "unknown_type",
      "invalid_message",
      "unknown_request",
      "invalid_message",
      "invalid_request",
      "invalid_request",
      "invalid_request",
      "invalid_request",
      "invalid_request",
      "invalid_request",
    ])
    expect(errors[9]?.message).toMatch(/^tier: Expected "fast" \| "balanced" \| "quality"/)
    expect(errors[11]?.message).toBe("frobnicate: unknown field")
    expect(errors[12]?.message).toMatch(/messages\[0\]\.content/)
    say({ type: "query", id: "ok", prompt: "What is the capital of France?" })
    await e.until(() => socket.ofType("completed").length === 1)
  })

  it("limits payload size, message rate and requests in flight per connection", async () => {
    const { e, socket, say } = await setup()
    say(`{"type":"query","prompt":"${"x".repeat(2000)}"}`)
    expect(socket.sent.at(-1)).toMatchObject({ type: "error", code: "payload_too_large" })
    say({ type: "query", id: "a", prompt: "What is the capital of France?" })
    say({ type: "query", id: "b", prompt: "What is the capital of Spain?" })
    say({ type: "query", id: "c", prompt: "What is the capital of Italy?" })
    expect(socket.sent.at(-1)).toMatchObject({ type: "error", code: "in_flight_limit", id: "c" })
    say({ type: "subscribe", topics: ["vram"] })
    // Five messages so far: the burst is spent.
    say({ type: "subscribe", topics: ["models"] })
    expect(socket.sent.at(-1)).toMatchObject({ type: "error", code: "rate_limited" })
    await e.clock.advance(1_000)
    say({ type: "unsubscribe", topics: ["vram"] })
    expect(socket.sent.at(-1)).toMatchObject({ type: "subscribed", topics: [] })
    await e.until(() => socket.ofType("completed").length === 2)
  })

  it("refuses queries while draining, and relays subscribed system events", async () => {
    const { e, socket, say } = await setup({}, true)
    say({ type: "query", id: "late", prompt: "hi" })
    expect(socket.sent.at(-1)).toMatchObject({ type: "error", code: "draining", id: "late" })
    say({ type: "subscribe", topics: ["models"] })
    e.conductor.submit({ prompt: "What is the capital of France?" })
    await e.until(() => socket.ofType("model_loaded").length === 1)
    expect(socket.sent.some((m) => m.type === "token")).toBe(false)
  })

  it("merges a slow reader's tokens, flushes them when it catches up, and closes it if it does not", async () => {
    const { e, socket, say } = await setup()
    say({ type: "query", id: "slow", prompt: "Summarise the history of the printing press in detail." })
    await e.until(() => socket.ofType("started").length === 1)
    socket.buffered = 5_000
    await e.clock.advance(200)
    const tokensWhileBehind = socket.ofType("token").length
    await e.clock.advance(300)
    expect(socket.ofType("token").length).toBe(tokensWhileBehind)
    socket.buffered = 0
    await e.clock.advance(60)
    const merged = socket.ofType("token").at(-1)
    expect(String(merged?.text ?? "").length).toBeGreaterThan(5)
    await e.until(() => socket.ofType("completed").length === 1)
    // The text the client received is the answer, merged or not.
    const text = socket
      .ofType("token")
      .map((m) => m.text)
      .join("")
    expect(text).toBe(socket.ofType("completed")[0]?.text)

    // Every generation now runs a hundred times slower: this one is still going when the reader stalls.
    e.conductor.simulator?.setFaults(undefined, { slow: 1, slowFactor: 100 })
    say({ type: "query", id: "stuck", prompt: "Summarise the history of the printing press in detail." })
    await e.until(() => socket.ofType("started").length === 2)
    socket.buffered = 5_000
    await e.clock.advance(3_000)
    expect(socket.closedWith).toBe(CLOSE_SLOW_CONSUMER)
    await e.until(() => e.events.some((x) => x.type === "cancelled" && x.id === "stuck"))
  })

  it("a closed connection cancels its requests", async () => {
    const { e, session, say } = await setup()
    say({ type: "query", id: "gone", prompt: "Summarise the history of the printing press in detail." })
    await e.until(() => e.events.some((x) => x.type === "started" && x.id === "gone"))
    session.close()
    await e.until(() => e.events.some((x) => x.type === "cancelled" && x.id === "gone"))
    expect(e.conductor.snapshot().requests.inFlight).toBe(0)
  })
})
