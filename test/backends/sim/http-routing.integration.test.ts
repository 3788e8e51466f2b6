/**
 * The simulator's router answers as Ollama's gin router does: 405 with `Allow` for a known path
 * with another method, gin's plain 404 otherwise, a redirect for a trailing slash, `HEAD` and
 * `GET /`, CORS for Ollama's default origins (preflight 204 with Ollama's allowed headers, 403 for
 * other origins) and the Host guard of a loopback listener.
 */
import { request } from "node:http"
import { afterEach, describe, expect, it } from "vitest"
import { type SimHttp, startSimHttp } from "../../support/sim-http.js"

const sims: SimHttp[] = []
afterEach(async () => {
  for (const s of sims.splice(0)) await s.close()
})
const start = async (origins?: ReadonlyArray<string>) => {
  const s = await startSimHttp(origins !== undefined ? { origins } : {})
  sims.push(s)
  return s
}

/** A raw request (fetch cannot set Host, and follows or hides some answers). */
const send = (
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> =>
  new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (c: string) => {
        body += c
      })
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on("error", reject)
    req.end()
  })

describe("backends/sim HTTP routing (gin's and Ollama's middleware)", () => {
  it("a known path with another method is 405 with Allow, in Ollama's method order; unknown paths 404", async () => {
    const { url } = await start()
    expect(await send(url, "POST", "/api/tags")).toMatchObject({
      status: 405,
      body: "405 method not allowed",
      headers: { allow: "HEAD, GET", "content-type": "text/plain" },
    })
    expect(await send(url, "GET", "/api/chat")).toMatchObject({ status: 405, headers: { allow: "POST" } })
    expect(await send(url, "DELETE", "/v1/models/qwen3:4b")).toMatchObject({
      status: 405,
      headers: { allow: "GET" },
    })
    expect(await send(url, "GET", "/api/nothing")).toMatchObject({ status: 404, body: "404 page not found" })
    // A model name with a namespace is two segments: /v1/models/:model does not match it (gin).
    expect(await send(url, "GET", "/v1/models/library/qwen3:4b")).toMatchObject({ status: 404 })
  })

  it("GET and HEAD / answer 'Ollama is running'; HEAD /api/version and /api/tags are served without a body", async () => {
    const { url } = await start()
    expect(await send(url, "GET", "/")).toMatchObject({ status: 200, body: "Ollama is running" })
    expect(await send(url, "HEAD", "/")).toMatchObject({ status: 200, body: "" })
    expect(await send(url, "HEAD", "/api/version")).toMatchObject({ status: 200, body: "" })
    expect(await send(url, "HEAD", "/api/tags")).toMatchObject({ status: 200, body: "" })
  })

  it("a trailing slash redirects: 301 for GET, 307 for POST", async () => {
    const { url } = await start()
    expect(await send(url, "GET", "/api/tags/")).toMatchObject({
      status: 301,
      headers: { location: "/api/tags" },
    })
    expect(await send(url, "POST", "/api/chat/")).toMatchObject({
      status: 307,
      headers: { location: "/api/chat" },
    })
  })

  it("routes Ollama has and the simulator does not implement are 501, not 404", async () => {
    const { url } = await start()
    const r = await send(url, "POST", "/api/pull")
    expect(r.status).toBe(501)
    expect(JSON.parse(r.body)).toEqual({ error: "the simulator does not implement POST /api/pull" })
  })

  it("CORS preflight from an allowed origin: 204 with Ollama's methods, headers, max age and the origin", async () => {
    const { url } = await start()
    for (const origin of [
      "http://localhost:5173",
      "http://127.0.0.1",
      "app://obsidian.md",
      "vscode-webview://abc",
    ]) {
      const r = await send(url, "OPTIONS", "/api/chat", {
        Origin: origin,
        "Access-Control-Request-Method": "POST",
      })
      expect(r.status, origin).toBe(204)
      expect(r.headers["access-control-allow-origin"]).toBe(origin)
      expect(r.headers["access-control-allow-methods"]).toBe("GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS")
      expect(r.headers["access-control-allow-headers"]).toContain("Authorization,Content-Type,User-Agent")
      expect(r.headers["access-control-allow-headers"]).toContain("X-Stainless-Retry-Count")
      expect(r.headers["access-control-max-age"]).toBe("43200")
      expect(r.headers.vary).toBe("Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
    }
  })

  it("CORS on a normal request sets the origin and Vary; other origins are 403; OLLAMA_ORIGINS adds more", async () => {
    const { url } = await start()
    const ok = await send(url, "GET", "/api/version", { Origin: "http://localhost:3000" })
    expect(ok.status).toBe(200)
    expect(ok.headers).toMatchObject({
      "access-control-allow-origin": "http://localhost:3000",
      vary: "Origin",
    })
    expect(await send(url, "GET", "/api/version", { Origin: "https://evil.example" })).toMatchObject({
      status: 403,
      body: "",
    })
    const extra = await start(["https://app.example.com"])
    expect((await send(extra.url, "GET", "/api/version", { Origin: "https://app.example.com" })).status).toBe(
      200,
    )
    const all = await start(["*"])
    const any = await send(all.url, "GET", "/api/version", { Origin: "https://anything.example" })
    expect(any.headers["access-control-allow-origin"]).toBe("*")
  })

  it("a loopback listener refuses a foreign Host (DNS rebinding), accepts local names", async () => {
    const { url } = await start()
    expect(await send(url, "GET", "/api/version", { Host: "attacker.example" })).toMatchObject({
      status: 403,
    })
    expect((await send(url, "GET", "/api/version", { Host: "localhost:11434" })).status).toBe(200)
    expect((await send(url, "GET", "/api/version", { Host: "ollama.internal" })).status).toBe(200)
    expect((await send(url, "GET", "/api/version", { Host: "192.168.1.20:11434" })).status).toBe(200)
  })
})
