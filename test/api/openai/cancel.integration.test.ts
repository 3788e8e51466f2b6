/**
 * A client that aborts (an `AbortController` given to the OpenAI SDK) or disconnects cancels
 * its request: the simulated GPU stops generating, the lease goes back, the request ends
 * `cancelled`, and `/metrics` counts it under `outcome="cancelled"`. Real time on a profile
 * with slow tokens, so the generation is still running when the client leaves.
 */
import OpenAI, { APIUserAbortError } from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SimEvent } from "../../../src/backends/sim/engine.js"
import type { ConductorEvent } from "../../../src/domain/events.js"
import { type HttpEnv, httpEnv } from "../../support/http-env.js"
import { SLOW_TOKENS } from "../../support/serve.js"

/** How long to wait for something that happens asynchronously (a wait, never a timed assertion). */
const WAIT = { timeout: 15_000, interval: 20 }

const MODEL = "llama3.1:8b"
const LONG = "Summarise the history of the printing press in detail."

/** `conductor_requests_total` for cancelled requests on MODEL, read from /metrics over HTTP. */
const cancelledCount = async (url: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text()
  return text
    .split("\n")
    .filter((l) => l.startsWith("conductor_requests_total{") && l.includes('outcome="cancelled"'))
    .filter((l) => l.includes(`model="${MODEL}"`))
    .reduce((n, l) => n + Number(l.split(" ").at(-1)), 0)
}

describe("an OpenAI client that goes away cancels its request", () => {
  let env: HttpEnv
  let client: OpenAI
  const events: ConductorEvent[] = []
  const sim: SimEvent[] = []
  const of = (id: string) => events.filter((e) => "id" in e && e.id === id)

  beforeAll(async () => {
    env = await httpEnv({ simProfile: SLOW_TOKENS, timeScale: 1 })
    env.conductor.subscribe((e) => events.push(e), ["requests"])
    env.conductor.simulator?.subscribe((e) => sim.push(e))
    client = new OpenAI({ baseURL: `${env.url}/v1`, apiKey: "unused", maxRetries: 0 })
  })
  afterAll(async () => {
    await env.close()
  })

  /** The request ended cancelled, its generation stopped on the GPU and its lease came back. */
  const expectCancelled = async (id: string, cancelledBefore: number, canceledOnGpuBefore: number) => {
    await expect.poll(() => of(id).at(-1)?.type, WAIT).toBe("cancelled")
    await expect
      .poll(() => sim.filter((e) => e.type === "request_finished" && e.outcome === "cancelled").length, WAIT)
      .toBe(canceledOnGpuBefore + 1)
    await expect
      .poll(() => env.conductor.snapshot().models.find((m) => m.name === MODEL)?.leases, WAIT)
      .toBe(0)
    expect(env.conductor.snapshot().requests.inFlight).toBe(0)
    await expect.poll(() => cancelledCount(env.url), WAIT).toBe(cancelledBefore + 1)
    expect(of(id).filter((e) => e.type === "completed" || e.type === "failed")).toEqual([])
  }
  const canceledOnGpu = () =>
    sim.filter((e) => e.type === "request_finished" && e.outcome === "cancelled").length

  it("aborting a stream mid-answer", async () => {
    const before = await cancelledCount(env.url)
    const gpuBefore = canceledOnGpu()
    const abort = new AbortController()
    const { data: stream, response } = await client.chat.completions
      .create(
        { model: MODEL, messages: [{ role: "user", content: LONG }], stream: true },
        { signal: abort.signal },
      )
      .withResponse()
    const id = response.headers.get("x-conductor-request-id") as string
    let content = 0
    for await (const chunk of stream) {
      if ((chunk.choices[0]?.delta.content ?? "") !== "") content++
      if (content === 3) abort.abort()
    }
    // The SDK ends an aborted stream quietly; the server saw the client leave.
    expect(content).toBe(3)
    await expectCancelled(id, before, gpuBefore)
  })

  it("aborting a request that waits for its whole answer", async () => {
    const before = await cancelledCount(env.url)
    const gpuBefore = canceledOnGpu()
    const abort = new AbortController()
    const started = new Promise<string>((resolve) => {
      const stop = env.conductor.subscribe(
        (e) => {
          if (e.type === "token") {
            stop()
            resolve(e.id)
          }
        },
        ["requests"],
      )
    })
    const pending = client.chat.completions.create(
      { model: MODEL, messages: [{ role: "user", content: LONG }] },
      { signal: abort.signal },
    )
    const id = await started
    abort.abort()
    await expect(pending).rejects.toBeInstanceOf(APIUserAbortError)
    await expectCancelled(id, before, gpuBefore)
  })

  it("a client whose connection drops mid-stream (no SDK, a raw reader cancelled)", async () => {
    const before = await cancelledCount(env.url)
    const gpuBefore = canceledOnGpu()
    const res = await fetch(`${env.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: LONG }], stream: true }),
    })
    const id = res.headers.get("x-conductor-request-id") as string
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    let seen = ""
    while (!seen.includes('"content":"') || seen.split('"content":"').length < 4) {
      const { value } = await reader.read()
      seen += new TextDecoder().decode(value)
    }
    await reader.cancel()
    await expectCancelled(id, before, gpuBefore)
  })
})

describe("a request the server gives up on", () => {
  it("a whole answer cancelled by a draining server is 503 cancelled, not silence", async () => {
    const env = await httpEnv({ simProfile: SLOW_TOKENS, timeScale: 1 })
    const client = new OpenAI({ baseURL: `${env.url}/v1`, apiKey: "unused", maxRetries: 0 })
    const started = new Promise<void>((resolve) => {
      const stop = env.conductor.subscribe(
        (e) => {
          if (e.type === "token") {
            stop()
            resolve()
          }
        },
        ["requests"],
      )
    })
    const pending = client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: LONG }],
    })
    await started
    const drained = env.close()
    await expect(pending).rejects.toMatchObject({ status: 503, code: "cancelled", type: "server_error" })
    await drained
  })
})
