/**
 * The console's routes in process: the page (HTML, revalidated by ETag, a strict CSP, no data and
 * no token needed) and its assets (JavaScript and CSS with their content types, cached as
 * immutable under a content version; any other name or version is 404); an unbuilt console says
 * how to build it; the Host check still guards the page.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { consoleRoutes, isConsolePath } from "../../src/console/routes.js"
import { makeLogger } from "../../src/logging/logger.js"
import { makeMetrics } from "../../src/metrics/metrics.js"
import { makeApp } from "../../src/server/app.js"
import { conductorEnv } from "../support/conductor-env.js"

const built = () => {
  const dir = mkdtempSync(join(tmpdir(), "console-assets-"))
  writeFileSync(join(dir, "main.js"), 'import "./other.js"\n')
  writeFileSync(join(dir, "other.js"), "export {}\n")
  return dir
}

const get = (
  app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> },
  path: string,
  headers: Record<string, string> = {},
) => app.request(path, { headers: { host: "127.0.0.1:8080", ...headers } })

describe("console routes", () => {
  it("serves the page with its versioned assets, a strict CSP and an ETag", async () => {
    const app = consoleRoutes({ tokenRequired: false, assetsDir: built() })
    const page = await get(app, "/ui")
    expect(page.status).toBe(200)
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8")
    expect(page.headers.get("cache-control")).toBe("no-cache")
    const csp = page.headers.get("content-security-policy") ?? ""
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("connect-src 'self'")
    const html = await page.text()
    const version = /\/ui\/assets\/([0-9a-f]{12})\/main\.js/.exec(html)?.[1]
    expect(version).toBeDefined()
    expect(html).toContain(`/ui/assets/${version}/console.css`)
    expect(html).toContain('<meta name="conductor-token" content="none">')
    // No script, style or font from anywhere else.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
    for (const testid of ["vram", "query-input", "query-submit", "answer", "answer-model"])
      expect(html).toContain(`data-testid="${testid}"`)

    const again = await get(app, "/ui", { "if-none-match": page.headers.get("etag") ?? "" })
    expect(again.status).toBe(304)

    const js = await get(app, `/ui/assets/${version}/main.js`)
    expect(js.status).toBe(200)
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8")
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable")
    expect(await js.text()).toBe('import "./other.js"\n')
    const css = await get(app, `/ui/assets/${version}/console.css`)
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8")
    expect(await css.text()).toContain(":root")

    for (const path of [
      `/ui/assets/${version}/nope.js`,
      "/ui/assets/000000000000/main.js",
      `/ui/assets/${version}/..%2Fmain.js`,
    ]) {
      const res = await get(app, path)
      expect(res.status, path).toBe(404)
      expect(await res.json()).toMatchObject({ type: "error", code: "not_found" })
    }
  })

  it("says how to build it when the scripts are missing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "console-empty-"))
    mkdirSync(dir, { recursive: true })
    const res = await get(consoleRoutes({ tokenRequired: false, assetsDir: dir }), "/ui")
    expect(res.status).toBe(503)
    expect(await res.text()).toMatch(/not built.*npm run build/)
  })

  it("needs no token for the page and its assets, while the data needs it; Host is still checked", async () => {
    const env = await conductorEnv()
    try {
      const app = makeApp({
        conductor: env.conductor,
        metrics: makeMetrics({ processMetrics: false }),
        logger: makeLogger("error", () => undefined),
        version: "test",
        maxRequestBytes: 1_000_000,
        policy: { token: "t0ken", allowedOrigins: ["http://127.0.0.1"], allowedHosts: [] },
        draining: () => false,
        connections: () => 0,
      })
      const page = await get(app, "/ui")
      // Built by the tests' global setup (or npm run build).
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('<meta name="conductor-token" content="required">')
      expect((await get(app, "/v1/status")).status).toBe(401)
      const status = await get(app, "/v1/status", { authorization: "Bearer t0ken" })
      expect(status.status).toBe(200)
      expect(await status.json()).toMatchObject({ personas: expect.arrayContaining(["researcher"]) })
      const rebound = await get(app, "/ui", { host: "attacker.example:8080" })
      expect(rebound.status).toBe(403)
    } finally {
      await env.conductor.close()
    }
  })

  it("names its public paths exactly", () => {
    expect(["/ui", "/ui/", "/ui/assets/abc/main.js"].every(isConsolePath)).toBe(true)
    expect(["/uix", "/ui/other", "/v1/status", "/"].some(isConsolePath)).toBe(false)
  })
})
