/**
 * The gate in front of the OpenAI-compatible API: `CONDUCTOR_TOKEN` is the API key the SDK sends
 * (`Authorization: Bearer`), and browsers from `server.allowedOrigins` get CORS (preflights
 * succeed, responses — streamed ones too — are readable, Conductor's headers exposed) while any
 * other Origin is refused 403 in OpenAI's error shape.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI, { AuthenticationError } from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Served, serve } from "../../support/serve.js"

const TOKEN = "s3cret-token"
const APP = "https://app.example"
const body = JSON.stringify({ model: "auto", messages: [{ role: "user", content: "Say hello." }] })

describe("auth and CORS on /v1", () => {
  let server: Served

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "conductor-openai-auth-"))
    writeFileSync(join(dir, "conductor.yaml"), `server:\n  allowedOrigins: ["${APP}"]\n`)
    server = await serve(
      ["--backend", "sim", "--sim-profile", "tiny-ci", "--time-scale", "20", "--config", dir],
      { CONDUCTOR_TOKEN: TOKEN },
    )
  })
  afterAll(async () => {
    await server.stop()
  })

  const sdk = (apiKey: string) => new OpenAI({ baseURL: `${server.url}/v1`, apiKey, maxRetries: 0 })

  it("CONDUCTOR_TOKEN is the API key", async () => {
    const answer = await sdk(TOKEN).chat.completions.create({
      model: "auto",
      messages: [{ role: "user", content: "Say hello." }],
    })
    expect(answer.choices[0]?.finish_reason).toBe("stop")
    expect((await sdk(TOKEN).models.list()).data.length).toBeGreaterThan(4)
  })

  it("a wrong or missing key is 401 authentication_error", async () => {
    const wrong = await sdk("wrong")
      .models.list()
      .catch((e: unknown) => e)
    expect(wrong).toBeInstanceOf(AuthenticationError)
    expect(wrong).toMatchObject({ status: 401, type: "authentication_error", code: "unauthorized" })
    const none = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", body })
    expect(none.status).toBe(401)
    expect(await none.json()).toMatchObject({ error: { type: "authentication_error", param: null } })
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
  })

  it("a preflight from an allowed origin succeeds, allowing the headers it asks for", async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "OPTIONS",
      headers: {
        origin: APP,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, x-stainless-os, x-conductor-tier",
      },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get("access-control-allow-origin")).toBe(APP)
    expect(res.headers.get("access-control-allow-methods")).toContain("POST")
    expect(res.headers.get("access-control-allow-headers")?.split(",")).toEqual(
      expect.arrayContaining(["authorization", "content-type", "x-stainless-os", "x-conductor-tier"]),
    )
  })

  it("responses to an allowed origin, streamed or not, are readable with Conductor's headers exposed", async () => {
    const headers = { origin: APP, authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }
    const whole = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", headers, body })
    expect(whole.status).toBe(200)
    expect(whole.headers.get("access-control-allow-origin")).toBe(APP)
    expect(whole.headers.get("access-control-expose-headers")?.split(",")).toEqual(
      expect.arrayContaining([
        "x-conductor-request-id",
        "x-conductor-model",
        "x-conductor-tier",
        "x-conductor-reason",
      ]),
    )
    const streamed = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ ...JSON.parse(body), stream: true }),
    })
    expect(streamed.headers.get("content-type")).toMatch(/^text\/event-stream/)
    expect(streamed.headers.get("access-control-allow-origin")).toBe(APP)
    expect(await streamed.text()).toMatch(/data: \[DONE\]\n\n$/)
  })

  it("a foreign Origin is refused 403 by the gate, preflight or not, token or not", async () => {
    const preflight = await fetch(`${server.url}/v1/chat/completions`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    })
    expect(preflight.status).toBe(403)
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull()
    const post = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { origin: "https://evil.example", authorization: `Bearer ${TOKEN}` },
      body,
    })
    expect(post.status).toBe(403)
    expect(await post.json()).toEqual({
      error: {
        message: "origin https://evil.example is not allowed (server.allowedOrigins)",
        type: "permission_error",
        param: null,
        code: "forbidden_origin",
      },
    })
  })
})
