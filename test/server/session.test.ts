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

/** One more connection to `e`'s Conductor. */
const connection = (e: ConductorEnv, options: Partial<SessionOptions> = {}, draining = false) => {
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
  return { socket, session, say }
}

const setup = async (options: Partial<SessionOptions> = {}, draining = false) => {
  env = await conductorEnv()
  const e = env
  return { e, ...connection(e, options, draining) }
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
    const { e, socket, session, say } = await setup()
    // A model named, so the answer is long whatever routing makes of the prompt.
    say({
      type: "query",
      id: "slow",
      prompt: "Summarise the history of the printing press in detail.",
      model: "llama3.1:8b",
    })
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
    const stuck = session.serverId("stuck")
    socket.buffered = 5_000
    await e.clock.advance(3_000)
    expect(socket.closedWith).toBe(CLOSE_SLOW_CONSUMER)
    await e.until(() => e.events.some((x) => x.type === "cancelled" && x.id === stuck))
  })

  it("scopes request ids to their connection: another client's id is neither visible nor blocked", async () => {
    const { e, socket: a, say: sayA } = await setup({ messageBurst: 100, messagesPerSecond: 100 })
    const b = connection(e, { messageBurst: 100, messagesPerSecond: 100 })
    const operator = connection(e)
    operator.say({ type: "subscribe", topics: ["requests"] })
    sayA({
      type: "query",
      id: "secret-job-42",
      prompt: "Summarise the history of the printing press in detail.",
    })
    b.say({ type: "query", id: "secret-job-42", prompt: "What is the capital of France?" })
    // B is neither told that A has this id nor refused it.
    expect(b.socket.ofType("error")).toEqual([])
    expect(b.socket.ofType("accepted")).toHaveLength(1)
    // The same id twice on one connection is still an error.
    b.say({ type: "query", id: "secret-job-42", prompt: "again" })
    expect(b.socket.ofType("error")).toMatchObject([
      {
        code: "invalid_request",
        id: "secret-job-42",
        message: "id: 'secret-job-42' is already in flight on this connection",
      },
    ])
    // B cancels its own request, not A's.
    b.say({ type: "cancel", id: "secret-job-42" })
    await e.until(() => b.socket.ofType("cancelled").length === 1)
    await e.until(() => a.ofType("completed").length === 1)
    expect(a.ofType("cancelled")).toEqual([])
    // Each connection sees its own id on every event of its request, and only its own text.
    for (const s of [a, b.socket]) {
      expect(s.sent.filter((m) => m.type !== "error").every((m) => m.id === "secret-job-42")).toBe(true)
    }
    expect(a.ofType("completed")[0]?.text).toBe(
      a
        .ofType("token")
        .map((m) => m.text)
        .join(""),
    )
    // Conductor, /v1/status and the operators' view know the requests by the server's ids.
    const serverA = e.events.find((x) => x.type === "accepted")?.id
    const accepted = operator.socket.ofType("accepted").map((m) => m.id)
    expect(accepted).toHaveLength(2)
    expect(new Set(accepted).size).toBe(2)
    expect(accepted).toContain(serverA)
    expect(accepted).not.toContain("secret-job-42")
    expect(e.events.some((x) => "id" in x && x.id === "secret-job-42")).toBe(false)
    // With the first one ended, the id is free again on A.
    sayA({ type: "query", id: "secret-job-42", prompt: "What is the capital of Spain?" })
    await e.until(() => a.ofType("completed").length === 2)
  })

  it("refuses binary frames with their own error code", async () => {
    const { e, socket, session, say } = await setup()
    session.receiveBinary(12)
    expect(socket.sent.at(-1)).toMatchObject({ type: "error", code: "binary_frame" })
    expect(String(socket.sent.at(-1)?.message)).toMatch(/text frame/)
    say({ type: "query", id: "after", prompt: "What is the capital of France?" })
    await e.until(() => socket.ofType("completed").length === 1)
  })

  it("caps a long list of problems, and says what bounds a seed", async () => {
    const { socket, say } = await setup({ maxPayloadBytes: 1_000_000 })
    const junk = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 1]))
    say({ type: "query", id: "junk", prompt: "hi", ...junk })
    const error = socket.sent.at(-1) as { code: string; message: string }
    expect(error.code).toBe("invalid_request")
    expect(error.message).toMatch(/^k0: unknown field; k1: unknown field; .*…and 19,990 more$/)
    expect(error.message.length).toBeLessThan(2_000)
    say({ type: "query", prompt: "hi", options: { seed: 1e20 } })
    expect(socket.sent.at(-1)?.message).toBe("options.seed: Expected an integer between -(2^53-1) and 2^53-1")
  })

  it("a closed connection cancels its requests", async () => {
    const { e, session, say } = await setup()
    say({ type: "query", id: "gone", prompt: "Summarise the history of the printing press in detail." })
    const gone = session.serverId("gone")
    await e.until(() => e.events.some((x) => x.type === "started" && x.id === gone))
    session.close()
    await e.until(() => e.events.some((x) => x.type === "cancelled" && x.id === gone))
    expect(e.conductor.snapshot().requests.inFlight).toBe(0)
  })
})
