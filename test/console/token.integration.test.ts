/**
 * The console on a server with a token (CONDUCTOR_TOKEN): the page and its assets load without
 * it, the data does not; the page asks for the token once, keeps it for the tab
 * (sessionStorage), and uses it for /v1/status, the admin API and /ws; a wrong token is asked for
 * again. A new tab (context) asks afresh.
 */
import type { Browser } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { launch, skipWithoutChromium, watchedPage } from "../support/browser.js"
import { type Served, serve } from "../support/serve.js"

const HOST = new URL("../fixtures/console-host.yaml", import.meta.url).pathname
const TOKEN = "console-secret-42"
const skip = skipWithoutChromium()
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 50 })

describe.skipIf(skip)("the web console with a token", { timeout: 60_000 }, () => {
  let server: Served
  let browser: Browser

  beforeAll(async () => {
    server = await serve(["--backend", "sim", "--sim-profile", HOST], { CONDUCTOR_TOKEN: TOKEN })
    browser = await launch()
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it("serves the page and its assets without the token, and nothing else", async () => {
    const page = await fetch(`${server.url}/ui`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('<meta name="conductor-token" content="required">')
    const script = /src="(\/ui\/assets\/[^"]+\/main\.js)"/.exec(html)?.[1]
    expect(script).toBeDefined()
    expect((await fetch(`${server.url}${script}`)).status).toBe(200)
    expect((await fetch(`${server.url}/v1/status`)).status).toBe(401)
    const load = await fetch(`${server.url}/v1/models/mistral:7b/load`, { method: "POST" })
    expect(load.status).toBe(401)
    expect(await load.json()).toMatchObject({ type: "error", code: "unauthorized" })
  })

  it("asks for the token once, keeps it for the tab, and uses it for the snapshot, the admin API and /ws", async () => {
    const w = await watchedPage(browser)
    const sockets: string[] = []
    w.page.on("websocket", (ws) => sockets.push(ws.url()))
    await w.page.goto(`${server.url}/ui`)
    const dialog = w.page.getByRole("dialog", { name: "Access token" })
    await poll(() => dialog.isVisible()).toBe(true)
    await w.screenshot("console-token")
    // Keyboard only: the field has the focus; type and press Enter.
    await w.page.keyboard.type(TOKEN)
    await w.page.keyboard.press("Enter")
    await poll(() => dialog.isVisible()).toBe(false)
    await poll(() => w.page.locator('[data-testid="model-row"]').count()).toBeGreaterThan(0)
    await poll(() => w.page.locator("#connection").textContent()).toMatch(/connected/)
    expect(sockets.some((u) => u.endsWith(`/ws?token=${TOKEN}`))).toBe(true)
    expect(await w.page.evaluate("sessionStorage.getItem('conductor.token')")).toBe(TOKEN)

    // The admin API with the token, from the page's button.
    const row = w.page.locator('[data-testid="model-row"][data-model="qwen3:4b"]')
    await row.getByRole("button", { name: "Load qwen3:4b", exact: true }).click()
    await poll(() => row.getAttribute("data-state")).toBe("resident")

    // Kept for the tab: a reload does not ask again.
    await w.page.reload()
    await poll(() => w.page.locator('[data-testid="model-row"]').count()).toBeGreaterThan(0)
    await poll(() => w.page.locator("#connection").textContent()).toMatch(/connected/)
    expect(await dialog.isVisible()).toBe(false)
    expect(w.errors).toEqual([])
    expect(w.offsite).toEqual([])
    await w.context.close()
  })

  it("a wrong token is refused and asked for again; another tab asks afresh", async () => {
    const w = await watchedPage(browser)
    await w.page.goto(`${server.url}/ui`)
    const dialog = w.page.getByRole("dialog", { name: "Access token" })
    await poll(() => dialog.isVisible()).toBe(true)
    await w.page.getByRole("textbox", { name: "Token" }).fill("wrong")
    await w.page.getByRole("button", { name: "Connect" }).click()
    await poll(() => w.page.locator("#token-why").textContent()).toMatch(/rejected/)
    await poll(() => dialog.isVisible()).toBe(true)
    await w.page.getByRole("textbox", { name: "Token" }).fill(TOKEN)
    await w.page.getByRole("button", { name: "Connect" }).click()
    await poll(() => w.page.locator("#connection").textContent()).toMatch(/connected/)
    await poll(() => w.page.locator('[data-testid="model-row"]').count()).toBeGreaterThan(0)
    // The only errors are the refusals of the wrong token (HTTP 401, and the refused upgrade).
    expect(w.errors.length).toBeGreaterThan(0)
    for (const e of w.errors) expect(e).toMatch(/401|Unauthorized|WebSocket/)
    expect(w.offsite).toEqual([])
    await w.context.close()
  })
})
