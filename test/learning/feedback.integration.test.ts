/**
 * Feedback through the server's entry points — the WebSocket message and `POST /v1/feedback` —
 * on `conductor serve` with learning on, landing in the outcome store (the library's
 * `handle.feedback` is covered in learning.test.ts).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import BetterSqlite3 from "better-sqlite3"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Client, connect, type Served, serve } from "../support/serve.js"

const PROMPT = "What is the capital of France?"
const dir = mkdtempSync(join(tmpdir(), "conductor-feedback-"))
const store = join(dir, "outcomes.db")

describe("feedback over WebSocket and HTTP (conductor serve, learning on)", () => {
  let server: Served
  let ws: Client

  beforeAll(async () => {
    server = await serve(["--backend", "sim", "--sim-profile", "tiny-ci", "--time-scale", "20"], {
      CONDUCTOR_LEARNING_MODE: "on",
      CONDUCTOR_LEARNING_STORE: store,
    })
    ws = await connect(server.ws)
    await ws.waitFor((m) => m.type === "hello")
  })
  afterAll(async () => {
    ws?.close()
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it("WebSocket: {type: feedback, id, score} is acknowledged, and bad ones are refused with a code", async () => {
    ws.send({ type: "query", id: "ws-1", prompt: PROMPT })
    await ws.waitFor((m) => m.id === "ws-1" && m.type === "completed")
    ws.send({ type: "feedback", id: "ws-1", score: 0.9 })
    expect(await ws.waitFor((m) => m.type === "feedback_recorded")).toMatchObject({
      type: "feedback_recorded",
      id: "ws-1",
      score: 0.9,
    })
    ws.send({ type: "feedback", id: "ws-1", score: 1.5 })
    expect(await ws.waitFor((m) => m.type === "error" && m.code === "invalid_message")).toMatchObject({
      id: "ws-1",
      message: expect.stringContaining("score: expected a number from 0 to 1"),
    })
    ws.send({ type: "feedback", id: "never-asked", score: 0.5 })
    expect(await ws.waitFor((m) => m.type === "error" && m.code === "unknown_request")).toMatchObject({
      id: "never-asked",
    })
    // Ids belong to their connection: another one cannot rate this one's request.
    const other = await connect(server.ws)
    await other.waitFor((m) => m.type === "hello")
    other.send({ type: "feedback", id: "ws-1", score: 0 })
    expect(await other.waitFor((m) => m.type === "error")).toMatchObject({
      code: "unknown_request",
      id: "ws-1",
    })
    other.close()
  })

  it("HTTP: POST /v1/feedback {requestId, score} takes the id a chat completion answered with", async () => {
    const chat = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "auto", messages: [{ role: "user", content: PROMPT }] }),
    })
    expect(chat.status).toBe(200)
    const requestId = chat.headers.get("x-conductor-request-id") as string
    expect(requestId).toBeTruthy()
    const post = (body: unknown) =>
      fetch(`${server.url}/v1/feedback`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      })
    const ok = await post({ requestId, score: 0.2 })
    expect(ok.status).toBe(202)
    expect(await ok.json()).toEqual({ requestId, score: 0.2 })
    const bad = await post({ requestId, score: "good" })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe("score")
    const extra = await post({ requestId, score: 1, comment: "nice" })
    expect(extra.status).toBe(400)
    const unknown = await post({ requestId: "nope", score: 1 })
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("unknown_request")
    expect((await fetch(`${server.url}/v1/feedback`)).status).toBe(405)

    // Shutting down flushes the recorder: both scores are in the store.
    expect(await server.stop()).toBe(0)
    const db = new BetterSqlite3(store, { readonly: true })
    const rows = db
      .prepare(
        "SELECT request_id, outcome, feedback FROM outcomes WHERE feedback IS NOT NULL ORDER BY feedback",
      )
      .all() as Array<{ request_id: string; outcome: string; feedback: number }>
    db.close()
    // The WebSocket request is stored under the server's id for it (the client's is its own).
    expect(rows).toEqual([
      { request_id: requestId, outcome: "completed", feedback: 0.2 },
      { request_id: expect.not.stringMatching(/^ws-1$/), outcome: "completed", feedback: 0.9 },
    ])
  })
})
