/**
 * The console when its connection drops: the page reaches the server through a TCP proxy the
 * test can cut and hold shut. While cut, the page says it is disconnected and retries; a model
 * loaded meanwhile (no event reaches the page) shows once it is back, from the one snapshot it
 * fetches after reconnecting. `/v1/status` is answered exactly once per connection: no polling.
 */
import { createServer, type Server, type Socket, connect as tcp } from "node:net"
import type { Browser } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { launch, skipWithoutChromium, type WatchedPage, watchedPage } from "../support/browser.js"
import { type Served, serve } from "../support/serve.js"

const HOST = new URL("../fixtures/console-host.yaml", import.meta.url).pathname
const skip = skipWithoutChromium()
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 50 })

/** A loopback TCP proxy to `port` that can drop every connection and refuse new ones. */
const proxy = async (port: number) => {
  const sockets = new Set<Socket>()
  let open = true
  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy()
      return
    }
    const upstream = tcp(port, "127.0.0.1")
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a)
      a.pipe(b)
      a.on("error", () => b.destroy())
      a.on("close", () => {
        sockets.delete(a)
        b.destroy()
      })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`,
    cut() {
      open = false
      for (const s of sockets) s.destroy()
    },
    resume() {
      open = true
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe.skipIf(skip)("the web console across a dropped connection", { timeout: 90_000 }, () => {
  let server: Served
  let browser: Browser
  let w: WatchedPage
  let link: Awaited<ReturnType<typeof proxy>>

  beforeAll(async () => {
    server = await serve(["--backend", "sim", "--sim-profile", HOST])
    link = await proxy(Number(new URL(server.url).port))
    browser = await launch()
    w = await watchedPage(browser)
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await link?.close()
    await server?.stop()
  })

  it("says it is disconnected, reconnects, and catches up from one fresh snapshot", async () => {
    const snapshots: number[] = []
    w.page.on("response", (r) => {
      if (new URL(r.url()).pathname === "/v1/status" && r.status() === 200) snapshots.push(r.status())
    })
    const row = w.page.locator('[data-testid="model-row"][data-model="qwen2-math:7b"]')
    await w.page.goto(`${link.url}/ui`)
    await poll(() => w.page.locator("#connection").textContent()).toMatch(/● connected/)
    await poll(() => row.getAttribute("data-state")).toBe("unloaded")
    expect(snapshots).toHaveLength(1)

    link.cut()
    await poll(() => w.page.locator("#connection").textContent()).toMatch(/disconnected; retrying/)
    // Loaded while the page hears nothing.
    const loaded = await fetch(`${server.url}/v1/models/qwen2-math:7b/load`, { method: "POST" })
    expect(loaded.status).toBe(200)
    expect(await row.getAttribute("data-state")).toBe("unloaded")

    link.resume()
    await poll(() => w.page.locator("#connection").textContent()).toMatch(/● connected/)
    await poll(() => row.getAttribute("data-state")).toBe("resident")
    expect(snapshots).toHaveLength(2)
    // The only errors are the refused reconnections while the link was down.
    for (const e of w.errors) expect(e).toMatch(/WebSocket|ERR_|Failed to load resource|Failed to fetch/)
    expect(w.offsite).toEqual([])
  })
})
