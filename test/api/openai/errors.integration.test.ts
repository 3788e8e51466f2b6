/**
 * Errors of the OpenAI-compatible API as the official SDK raises them, each in OpenAI's shape
 * `{"error": {"message", "type", "param", "code"}}`: 400 naming the field, 404 for an unknown
 * model or route, 405, 413, 503 when no model can serve, 429 with `Retry-After` when
 * `requests.maxInFlight` is reached, 503 while the server drains (and the stream it had to cut
 * ends with an error), and 500 when a handler breaks.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI, { APIError, BadRequestError, InternalServerError, NotFoundError, RateLimitError } from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Conductor } from "../../../src/conductor.js"
import { makeLogger } from "../../../src/logging/logger.js"
import { makeMetrics } from "../../../src/metrics/metrics.js"
import { startServer } from "../../../src/server/server.js"
import { httpEnv } from "../../support/http-env.js"
import { type Served, SLOW_TOKENS, serve } from "../../support/serve.js"

/** How long to wait for something that happens asynchronously (a wait, never a timed assertion). */
const WAIT = { timeout: 15_000, interval: 20 }

const QUESTION = "Explain how a hash map works."
const user = (content: string) => [{ role: "user" as const, content }]

const configDir = (files: Record<string, string>): string => {
  const dir = mkdtempSync(join(tmpdir(), "conductor-openai-"))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

/** The error a call fails with (it must fail). */
const failure = async (p: Promise<unknown>): Promise<APIError> => {
  try {
    await p
  } catch (e) {
    if (e instanceof APIError) return e
    throw e
  }
  throw new Error("expected the call to fail")
}

describe("OpenAI-shaped errors from conductor serve", () => {
  let server: Served
  let client: OpenAI

  beforeAll(async () => {
    server = await serve([
      "--backend",
      "sim",
      "--sim-profile",
      "tiny-ci",
      "--time-scale",
      "20",
      "--config",
      configDir({ "conductor.yaml": "server:\n  maxRequestBytes: 65536\n" }),
    ])
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 })
  })
  afterAll(async () => {
    await server.stop()
  })

  it("400 invalid_request_error names the field at fault", async () => {
    const e = await failure(
      client.chat.completions.create({
        model: "auto",
        messages: [{ role: "user", content: 42 as unknown as string }],
      }),
    )
    expect(e).toBeInstanceOf(BadRequestError)
    expect(e.error).toEqual({
      message: "messages[0].content: expected a string or an array of content parts, got number",
      type: "invalid_request_error",
      param: "messages[0].content",
      code: "invalid_request",
    })
    expect(e.param).toBe("messages[0].content")
  })

  it("400 for problems Conductor finds, under OpenAI's field names", async () => {
    const e = await failure(
      client.chat.completions.create({
        model: "auto",
        messages: user("What is 2 + 3?"),
        tools: [{ type: "function", function: { name: "add" } }],
        tool_choice: { type: "function", function: { name: "subtract" } },
      }),
    )
    expect(e).toMatchObject({
      status: 400,
      type: "invalid_request_error",
      param: "tool_choice.function.name",
    })
    expect(e.message).toMatch(/no tool named 'subtract'/)
    const schema = await failure(
      client.chat.completions.create({
        model: "auto",
        messages: user(QUESTION),
        response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "objekt" } } },
      }),
    )
    expect(schema).toMatchObject({ status: 400, param: "response_format.json_schema.schema.type" })
    expect(schema.message).toMatch(/unknown type 'objekt'/)
    const persona = await failure(
      client.chat.completions.create(
        { model: "auto", messages: user(QUESTION) },
        { headers: { "x-conductor-persona": "nobody" } },
      ),
    )
    expect(persona).toMatchObject({ status: 400, param: "persona" })
    expect(persona.message).toMatch(/unknown persona 'nobody' \(known: .*developer/)
    const several = await failure(
      client.chat.completions.create({ model: "auto:huge", messages: [], temperature: 9 }),
    )
    expect((several.error as { message: string }).message.split("; ")).toEqual([
      "model: unknown tier 'huge' (auto, auto:fast, auto:balanced, auto:quality or a model name)",
      "messages: expected a non-empty array of messages, got an empty array",
      "temperature: expected a number from 0 to 2",
    ])
  })

  it("400 for a body that is not JSON, 413 for one past server.maxRequestBytes", async () => {
    const bad = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({
      error: {
        type: "invalid_request_error",
        param: null,
        message: expect.stringMatching(/^request: not valid JSON/),
      },
    })
    const big = await failure(
      client.chat.completions.create({ model: "auto", messages: user("x".repeat(100_000)) }),
    )
    expect(big).toMatchObject({ status: 413, type: "invalid_request_error" })
    expect(big.message).toMatch(/exceeds 65536/)
  })

  it("404 model_not_found for a model outside the registry or missing on the backend", async () => {
    const unknown = await failure(
      client.chat.completions.create({ model: "nope:1b", messages: user(QUESTION) }),
    )
    expect(unknown).toBeInstanceOf(NotFoundError)
    expect(unknown.error).toMatchObject({
      code: "model_not_found",
      param: "model",
      type: "invalid_request_error",
    })
    const models = await client.models.list()
    const missing = models.data.find(
      (m) => (m as unknown as { conductor: { available?: boolean } }).conductor.available === false,
    )
    expect(missing).toBeDefined()
    const absent = await failure(
      client.chat.completions.create({ model: missing?.id as string, messages: user(QUESTION) }),
    )
    expect(absent).toMatchObject({ status: 404, code: "model_not_found" })
    expect(absent.message).toMatch(/is not on the backend/)
    await expect(client.models.retrieve("nope:1b")).rejects.toMatchObject({
      status: 404,
      code: "model_not_found",
    })
  })

  it("404 for an unknown route and 405 with Allow for a wrong method, both in OpenAI's shape", async () => {
    const none = await fetch(`${server.url}/v1/completions/legacy`)
    expect(none.status).toBe(404)
    expect(await none.json()).toMatchObject({ error: { code: "not_found", type: "invalid_request_error" } })
    const wrong = await fetch(`${server.url}/v1/chat/completions`)
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get("allow")).toBe("POST")
    expect(await wrong.json()).toMatchObject({ error: { code: "method_not_allowed" } })
  })

  it("503 when no model can serve the request", async () => {
    const e = await failure(
      client.chat.completions.create({
        model: "auto",
        messages: user(QUESTION),
        ...({ conductor: { minContextWindow: 10_000_000 } } as object),
      }),
    )
    expect(e).toBeInstanceOf(InternalServerError)
    expect(e).toMatchObject({ status: 503, code: "no_model_available", type: "server_error" })
    expect(e.message).toMatch(/context window ≥ 10000000/)
    expect(e.headers?.get("x-conductor-request-id")).toEqual(expect.any(String))
    const tooBig = await failure(
      client.chat.completions.create({ model: "qwen2.5-coder:32b", messages: user(QUESTION) }),
    )
    expect(tooBig).toMatchObject({ status: 503, code: "no_model_available" })
    expect(tooBig.message).toMatch(/VRAM budget/)
  })
})

describe("429 while requests.maxInFlight are running, 503 while draining", () => {
  let server: Served

  beforeAll(async () => {
    // Tokens slow enough that the first request is still running through the whole test.
    const profile = readFileSync(SLOW_TOKENS, "utf8").replaceAll("tokensPerSec: 40", "tokensPerSec: 2")
    const dir = configDir({
      "conductor.yaml": "requests:\n  maxInFlight: 1\nserver:\n  drainMs: 6000\n",
      "crawl.yaml": profile,
    })
    server = await serve(["--backend", "sim", "--sim-profile", join(dir, "crawl.yaml"), "--config", dir])
  })
  afterAll(async () => {
    await server.stop()
  })

  it("429 rate_limit_error with Retry-After; after SIGTERM 503 draining; the cut stream ends with an error", async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 })
    const stream = await client.chat.completions.create({
      model: "llama3.1:8b",
      messages: user("Summarise the history of the printing press in detail."),
      stream: true,
    })
    const it = stream[Symbol.asyncIterator]()
    let first = await it.next()
    while (!first.done && (first.value.choices[0]?.delta.content ?? "") === "") first = await it.next()
    expect(first.done).toBe(false)

    const busy = await failure(client.chat.completions.create({ model: "auto", messages: user(QUESTION) }))
    expect(busy).toBeInstanceOf(RateLimitError)
    expect(busy.error).toMatchObject({ type: "rate_limit_error", code: "queue_full", param: null })
    expect(busy.headers?.get("retry-after")).toBe("1")

    server.proc.kill("SIGTERM")
    await expect.poll(async () => (await fetch(`${server.url}/readyz`)).status, WAIT).toBe(503)
    const draining = await failure(
      client.chat.completions.create({ model: "auto", messages: user(QUESTION) }),
    )
    expect(draining).toMatchObject({ status: 503, code: "draining", type: "server_error" })

    // The running stream outlives drainMs: it is cancelled, and says so instead of finishing.
    const finishes: Array<string | null> = []
    let ended: unknown
    try {
      for (let n = await it.next(); !n.done; n = await it.next())
        finishes.push(...n.value.choices.map((c) => c.finish_reason))
    } catch (e) {
      ended = e
    }
    expect(ended).toBeInstanceOf(APIError)
    expect(ended).toMatchObject({ code: "cancelled" })
    expect(finishes.filter((f) => f !== null)).toEqual([])
    expect(await server.exited).toBe(0)
  })
})

describe("500 when a handler breaks", () => {
  it("answers in OpenAI's shape and logs it", async () => {
    const env = await httpEnv()
    const lines: string[] = []
    // A Conductor whose submit has a bug: the one way left to reach the server's last resort.
    const broken = new Proxy(env.conductor, {
      get: (target, key) =>
        key === "submit"
          ? () => {
              throw new TypeError("cannot read properties of undefined")
            }
          : Reflect.get(target, key),
    }) as Conductor
    const server = await startServer({
      conductor: broken,
      config: env.conductor.config.conductor.server,
      metrics: makeMetrics(),
      logger: makeLogger("error", (l) => lines.push(l)),
      version: "test",
    })
    try {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 })
      const e = await failure(client.chat.completions.create({ model: "auto", messages: user(QUESTION) }))
      expect(e).toBeInstanceOf(InternalServerError)
      expect(e.error).toEqual({
        message: "internal error",
        type: "server_error",
        param: null,
        code: "internal",
      })
      expect(
        lines.some((l) => l.includes("http handler failed") && l.includes("cannot read properties")),
      ).toBe(true)
    } finally {
      await server.drain()
      await env.close()
    }
  })
})
