/**
 * The gate in front of `conductor serve`, as a browser or an attacker meets it: a request whose
 * Host names another server (DNS rebinding) is refused on every route and on the WebSocket
 * upgrade; IP literals, localhost and `server.allowedHosts` pass. A path no route has answers 404
 * whatever the method; a known path with the wrong method answers 405 with `Allow`. The
 * compatible APIs answer an allowed browser origin with CORS headers, and a request without
 * Origin with `Vary: Origin` only.
 */

import { mkdtempSync, writeFileSync } from "node:fs"
import { request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Served, serve } from "../support/serve.js"

interface Answer {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
}

/** One raw HTTP request (fetch cannot set Host). */
const raw = (
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const u = new URL(url)
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path,
        method: options.method ?? "GET",
        headers: options.headers ?? {},
      },
      (res) => {
        let body = ""
        res.setEncoding("utf8").on("data", (d: string) => {
          body += d
        })
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    // A refused upgrade is an ordinary response; an accepted one is a 101.
    req.on("upgrade", (res, socket) => {
      socket.destroy()
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: "" })
    })
    req.on("error", reject)
    req.end()
  })

const UPGRADE = {
  connection: "Upgrade",
  upgrade: "websocket",
  "sec-websocket-version": "13",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
}

describe("conductor serve: the Host gate and unknown routes", () => {
  let server: Served
  let port: string

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "conductor-gate-"))
    writeFileSync(join(dir, "conductor.yaml"), "server:\n  allowedHosts: [conductor.lan]\n")
    server = await serve(["--backend", "sim", "--sim-profile", "tiny-ci", "--config", dir])
    port = new URL(server.url).port
  })
  afterAll(async () => {
    await server.stop()
  })

  it("refuses a Host naming another server (DNS rebinding) on /v1/status, /metrics and the WebSocket upgrade", async () => {
    for (const path of ["/v1/status", "/metrics"]) {
      const a = await raw(server.url, path, { headers: { host: `evil.example:${port}` } })
      expect(a.status, path).toBe(403)
      expect(JSON.parse(a.body), path).toMatchObject({ code: "forbidden_host" })
    }
    const ws = await raw(server.url, "/ws", { headers: { ...UPGRADE, host: "evil.example" } })
    expect(ws.status).toBe(403)
    expect(JSON.parse(ws.body)).toMatchObject({ code: "forbidden_host" })
  })

  it("lets IP literals, localhost and the names in server.allowedHosts through", async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `conductor.lan:${port}`, "conductor.lan"]) {
      expect((await raw(server.url, "/v1/status", { headers: { host } })).status, host).toBe(200)
      expect((await raw(server.url, "/metrics", { headers: { host } })).status, host).toBe(200)
    }
    const ws = await raw(server.url, "/ws", { headers: { ...UPGRADE, host: `conductor.lan:${port}` } })
    expect(ws.status).toBe(101)
    // …and only those names.
    expect(
      (await raw(server.url, "/v1/status", { headers: { host: "conductor.lan.evil.example" } })).status,
    ).toBe(403)
  })

  it("answers 404 for a path no route has, whatever the method; 405 with Allow for a wrong method", async () => {
    for (const method of ["GET", "POST", "DELETE"]) {
      const a = await raw(server.url, "/no/such/route", { method })
      expect(a.status, method).toBe(404)
      expect(JSON.parse(a.body), method).toMatchObject({ code: "not_found" })
    }
    const post = await raw(server.url, "/v1/status", { method: "POST" })
    expect(post.status).toBe(405)
    expect(post.headers.allow).toBe("GET, HEAD")
    expect(JSON.parse(post.body)).toMatchObject({ code: "method_not_allowed" })
  })

  it("sends CORS headers to an allowed browser origin on /v1 and /api, and only Vary without an Origin", async () => {
    for (const path of ["/v1/models", "/api/tags"]) {
      const browser = await raw(server.url, path, { headers: { origin: "http://localhost:5173" } })
      expect(browser.status, path).toBe(200)
      expect(browser.headers["access-control-allow-origin"], path).toBe("http://localhost:5173")
      expect(browser.headers["access-control-expose-headers"], path).toContain("x-conductor-request-id")
      expect(browser.headers.vary, path).toContain("Origin")
      const preflight = await raw(server.url, path, {
        method: "OPTIONS",
        headers: {
          origin: "http://localhost:5173",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type, x-conductor-persona",
        },
      })
      expect(preflight.status, path).toBe(204)
      expect(preflight.headers["access-control-allow-headers"], path).toContain("x-conductor-persona")
      const plain = await raw(server.url, path)
      expect(plain.status, path).toBe(200)
      expect(plain.headers["access-control-allow-origin"], path).toBeUndefined()
      expect(plain.headers.vary, path).toBe("Origin")
    }
    const evil = await raw(server.url, "/v1/models", { headers: { origin: "https://evil.example" } })
    expect(evil.status).toBe(403)
    expect(JSON.parse(evil.body)).toMatchObject({ error: { code: "forbidden_origin" } })
  })
})
