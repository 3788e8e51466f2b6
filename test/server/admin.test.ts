/**
 * The admin API in process (the app over a Conductor on the simulator and a ManualClock): load
 * answers once the model is resident, unload and pin act through Conductor, names with `:` and
 * `/` reach these routes (not OpenAI's `/v1/models/{id}`), and every refusal is Conductor's JSON
 * — unknown model 404, pinned unload 409, bad pin body 400, missing token 401.
 */
import { afterEach, describe, expect, it } from "vitest"
import { makeLogger } from "../../src/logging/logger.js"
import { makeMetrics } from "../../src/metrics/metrics.js"
import { makeApp } from "../../src/server/app.js"
import { type ConductorEnv, conductorEnv } from "../support/conductor-env.js"

let env: ConductorEnv | undefined
afterEach(async () => {
  await env?.conductor.close()
  env = undefined
})

const appFor = (e: ConductorEnv, token?: string) =>
  makeApp({
    conductor: e.conductor,
    metrics: makeMetrics({ processMetrics: false }),
    logger: makeLogger("error", () => undefined),
    version: "test",
    maxRequestBytes: 1_000_000,
    policy: { token, allowedOrigins: ["http://localhost", "http://127.0.0.1"], allowedHosts: [] },
    draining: () => false,
    connections: () => 0,
  })

const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
  new Request(`http://127.0.0.1${path}`, {
    method: "POST",
    headers: {
      host: "127.0.0.1",
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  })

const stateOf = (e: ConductorEnv, model: string) =>
  e.conductor.snapshot().models.find((m) => m.name === model)?.state

describe("admin API: POST /v1/models/{name}/load|unload|pin", () => {
  it("loads (answering once resident), pins, refuses a pinned unload with 409, unpins and unloads", async () => {
    env = await conductorEnv()
    const e = env
    const app = appFor(e)
    const loaded = await e.settle(Promise.resolve(app.fetch(post("/v1/models/mistral:7b/load"))))
    const res = loaded.value as Response
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ model: "mistral:7b", state: "resident", loadMs: expect.any(Number) })
    expect(stateOf(e, "mistral:7b")).toBe("resident")

    const pin = await app.fetch(post("/v1/models/mistral%3A7b/pin", { pinned: true }))
    expect(await pin.json()).toEqual({ model: "mistral:7b", pinned: true })
    const refused = await app.fetch(post("/v1/models/mistral:7b/unload"))
    expect(refused.status).toBe(409)
    expect(await refused.json()).toEqual({
      type: "error",
      code: "model_pinned",
      message: "model: 'mistral:7b' is pinned; unpin it first",
    })
    await app.fetch(post("/v1/models/mistral:7b/pin", { pinned: false }))
    const unload = await app.fetch(post("/v1/models/mistral:7b/unload"))
    expect(await unload.json()).toEqual({ model: "mistral:7b", state: "unloading" })
    await e.until(() => stateOf(e, "mistral:7b") === "unloaded")
    expect(await (await app.fetch(post("/v1/models/mistral:7b/unload"))).json()).toEqual({
      model: "mistral:7b",
      state: "not_loaded",
    })
  })

  it("answers 404 in Conductor's shape for a model not in the registry, with or without a slash", async () => {
    env = await conductorEnv()
    const app = appFor(env)
    for (const path of [
      "/v1/models/nope:1b/load",
      "/v1/models/hf.co/org/nope:Q4/unload",
      "/v1/models/a/b/pin",
    ]) {
      const res = await app.fetch(post(path, path.endsWith("/pin") ? { pinned: true } : undefined))
      expect(res.status, path).toBe(404)
      expect(await res.json(), path).toMatchObject({ type: "error", code: "model_not_found" })
    }
    // GET of a model is still the OpenAI route, in OpenAI's shape.
    const get = await app.fetch(
      new Request("http://127.0.0.1/v1/models/mistral:7b", { headers: { host: "127.0.0.1" } }),
    )
    expect(await get.json()).toMatchObject({ id: "mistral:7b", object: "model" })
  })

  it("checks the pin body: an object with a boolean `pinned` and nothing else", async () => {
    env = await conductorEnv()
    const app = appFor(env)
    const cases: Array<[unknown, RegExp]> = [
      [{}, /^pinned: expected true or false$/],
      [{ pinned: "yes" }, /^pinned: expected true or false$/],
      [{ pinned: true, forever: 1 }, /^forever: unknown field/],
      [[true], /^request: expected a JSON object/],
      ["{nope", /^request: not valid JSON/],
    ]
    for (const [body, message] of cases) {
      const res = await app.fetch(post("/v1/models/mistral:7b/pin", body))
      expect(res.status, JSON.stringify(body)).toBe(400)
      const json = (await res.json()) as { type: string; code: string; message: string }
      expect(json.type).toBe("error")
      expect(json.code).toBe("invalid_request")
      expect(json.message).toMatch(message)
    }
    const empty = await app.fetch(post("/v1/models/mistral:7b/pin"))
    expect(empty.status).toBe(400)
  })

  it("needs the token when one is set, refusing in Conductor's shape (not OpenAI's)", async () => {
    env = await conductorEnv()
    const app = appFor(env, "s3cret")
    const res = await app.fetch(post("/v1/models/mistral:7b/unload"))
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ type: "error", code: "unauthorized" })
    const ok = await app.fetch(
      post("/v1/models/mistral:7b/unload", undefined, { authorization: "Bearer s3cret" }),
    )
    expect(await ok.json()).toEqual({ model: "mistral:7b", state: "not_loaded" })
    // A page of another site may not call it.
    const cross = await app.fetch(
      post("/v1/models/mistral:7b/unload", undefined, {
        authorization: "Bearer s3cret",
        origin: "https://evil.example",
      }),
    )
    expect(cross.status).toBe(403)
    expect(await cross.json()).toMatchObject({ type: "error", code: "forbidden_origin" })
  })
})
