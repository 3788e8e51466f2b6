/**
 * The web console at `/ui`, end to end: `conductor serve` on the simulator (loads of a second,
 * tokens at 120/s, real time) and the page in Debian's chromium. The page shows every registry
 * model with its state; a query typed into it is routed, streams and names the model that
 * answered; a load from its button shows loading, then resident; pins and unloads from the page
 * and from the admin API directly show on the page; other clients' requests appear in the list;
 * it all works from the keyboard and passes axe-core in both colour schemes. No console error, no
 * request off loopback. Screenshots go to test-artifacts/.
 */
import { join } from "node:path"
import type { Browser } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { axeViolations } from "../support/axe.js"
import { ARTIFACTS, launch, skipWithoutChromium, type WatchedPage, watchedPage } from "../support/browser.js"
import { answerLengths, installRecorders, statesShown } from "../support/page-recorders.js"
import { type Client, connect, type Served, serve } from "../support/serve.js"

const HOST = new URL("../fixtures/console-host.yaml", import.meta.url).pathname
const skip = skipWithoutChromium()

interface StatusModel {
  readonly name: string
  readonly state: string
  readonly available: boolean
}

/** Polls until the expectation holds (the page draws what the server sent, a frame later). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 50 })

const terminal = (id: string) => (m: Record<string, unknown>) =>
  m.id === id && (m.type === "completed" || m.type === "failed" || m.type === "cancelled")

describe.skipIf(skip)("the web console (browser, end to end)", { timeout: 60_000 }, () => {
  let server: Served
  let browser: Browser
  let w: WatchedPage
  /** Watches every request of every client (the operators' view), like the page. */
  let watcher: Client
  const clients: Client[] = []

  const status = async () =>
    (await (await fetch(`${server.url}/v1/status`)).json()) as { models: ReadonlyArray<StatusModel> }
  const row = (model: string) => w.page.locator(`[data-testid="model-row"][data-model="${model}"]`)
  const shown = (model: string) => statesShown(w.page, model)

  beforeAll(async () => {
    server = await serve(["--backend", "sim", "--sim-profile", HOST])
    browser = await launch()
    w = await watchedPage(browser)
    watcher = await connect(server.ws)
    watcher.send({ type: "subscribe", topics: ["requests"] })
    await watcher.waitFor((m) => m.type === "subscribed")
    await installRecorders(w.page)
    await w.page.goto(`${server.url}/ui`)
  }, 60_000)

  afterAll(async () => {
    for (const c of [watcher, ...clients]) c?.close()
    await browser?.close()
    await server?.stop()
  })

  it("loads with one row per registry model, in its state, and the memory summary", async () => {
    const snap = await status()
    await poll(() => w.page.locator('[data-testid="model-row"]').count()).toBe(snap.models.length)
    for (const m of snap.models) {
      await poll(() => row(m.name).getAttribute("data-state")).toBe(m.state)
    }
    await poll(() => w.page.locator('[data-testid="vram"]').textContent()).toMatch(
      /simulator console-host: 0\.0 GB used of 14\.9 GB budget \(16\.0 GB on the GPU\)/,
    )
    await poll(() => w.page.locator("#connection").textContent()).toMatch(/connected/)
    await w.screenshot("console-loaded")
  })

  it("a query typed into the page is routed, streams, names its model and is validated", async () => {
    const prompt = "Explain briefly how ocean tides work, with an example"
    await w.page.getByLabel("Query").fill(prompt)
    await w.page.locator('[data-testid="query-submit"]').click()
    // The page's own request, seen by the watcher (the console names itself as its client; the
    // watcher may know it by another id than the page's, as ids can belong to a connection).
    const accepted = await watcher.waitFor((m) => m.type === "accepted" && m.client === "console")
    const id = String(accepted.id)
    const routed = await watcher.waitFor((m) => m.type === "routed" && m.id === id)
    const decision = routed.decision as { model: string; tier: string; reason: string }
    await poll(() => w.page.locator("#query-decision").textContent()).toContain(decision.reason)
    const done = await watcher.waitFor(terminal(id), 60_000)
    expect(done.type).toBe("completed")
    await poll(() => w.page.locator('[data-testid="answer"]').textContent()).toBe(done.text)
    await poll(() => w.page.locator('[data-testid="answer-model"]').textContent()).toBe(done.model)
    await poll(() => w.page.locator("#query-validation").textContent()).toBe("✓ Validation passed")
    await poll(() => w.page.locator("#query-status").textContent()).toMatch(/^Done in/)
    const lengths = await answerLengths(w.page)
    // Streamed: shown partly before it was shown whole.
    expect(lengths.filter((n) => n > 0 && n < String(done.text).length).length).toBeGreaterThan(0)
    // The page's row of it: the one marked as this tab's.
    const mine = w.page.locator('[data-testid="request-row"]', { has: w.page.locator(".mine") }).first()
    await poll(() => mine.getAttribute("data-state")).toBe("completed")
    const pageId = String(await mine.getAttribute("data-id"))
    expect(pageId).toMatch(/^ui-/)
    expect(await mine.textContent()).toContain(String(done.model))
    // Its routing explanation: the candidates and why each was excluded.
    await mine.getByRole("button").click()
    await poll(() => w.page.locator("#detail").textContent()).toContain("Candidates")
    const detail = (await w.page.locator("#detail").textContent()) ?? ""
    expect(detail).toContain(`Request ${pageId}`)
    expect(detail).toContain("Fallback chain")
    expect(detail).toContain("Complexity")
    expect(detail).toContain("Task signals")
    await w.screenshot("console-query")
  })

  it("shows breakdown parts it does not know as they are (the breakdown may grow)", async () => {
    const script = await w.page.locator('script[type="module"]').getAttribute("src")
    const text = await w.page.evaluate(
      `import(${JSON.stringify(String(script).replace("main.js", "detail-view.js"))}).then((m) => {
        const box = document.createElement("div")
        box.append(...m.breakdownView({
          tier: { base: "fast", target: "balanced", served: "balanced", steps: [], relaxedBy: "persona" },
          learned: { arm: "qwen2.5:14b", reward: 0.82, tried: ["a", "b"] },
        }))
        document.body.append(box)
        const text = box.innerText
        box.remove()
        return text
      })`,
    )
    expect(text).toContain("fast → balanced → balanced")
    expect(text).toMatch(/relaxedBy\s+persona/)
    expect(text).toMatch(/learned\s+arm\s+qwen2\.5:14b\s+reward\s+0\.82\s+tried\s+a, b/)
  })

  it("Load from the page shows the model loading, then resident", async () => {
    const snap = await status()
    const target = snap.models.find((m) => m.available && m.state === "unloaded" && m.name === "mistral:7b")
    expect(target).toBeDefined()
    await row("mistral:7b").getByRole("button", { name: "Load mistral:7b", exact: true }).click()
    await poll(() => row("mistral:7b").getAttribute("data-state")).toBe("resident")
    expect((await shown("mistral:7b")).slice(-2)).toEqual(["loading", "resident"])
    await poll(() => w.page.locator("#admin-status").textContent()).toMatch(/mistral:7b is resident/)
    await poll(() => w.page.locator("#events").textContent()).toMatch(/mistral:7b: loaded in/)
    await poll(() => w.page.locator('[data-testid="vram"]').textContent()).toContain("mistral:7b")
  })

  it("Pin and Unload from the page: a pinned model cannot be unloaded; unpinned, it unloads", async () => {
    const r = row("mistral:7b")
    const pin = r.getByRole("button", { name: "Pin mistral:7b", exact: true })
    await pin.click()
    await poll(() => pin.getAttribute("aria-pressed")).toBe("true")
    expect(await r.textContent()).toContain("pinned")
    expect(
      await r.getByRole("button", { name: "Unload mistral:7b", exact: true }).getAttribute("aria-disabled"),
    ).toBe("true")
    await pin.click()
    await poll(() => pin.getAttribute("aria-pressed")).toBe("false")
    await r.getByRole("button", { name: "Unload mistral:7b", exact: true }).click()
    await poll(() => r.getAttribute("data-state")).toBe("unloaded")
    expect((await shown("mistral:7b")).slice(-2)).toEqual(["unloading", "unloaded"])
  })

  it("the admin API directly: load, pin, a pinned unload refused, unpin, unload — and the page follows", async () => {
    const post = (path: string, body?: unknown) =>
      fetch(`${server.url}${path}`, {
        method: "POST",
        ...(body !== undefined
          ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } }
          : {}),
      })
    const load = await post("/v1/models/qwen3:4b/load")
    expect(load.status).toBe(200)
    expect(await load.json()).toMatchObject({
      model: "qwen3:4b",
      state: "resident",
      loadMs: expect.any(Number),
    })
    await poll(() => row("qwen3:4b").getAttribute("data-state")).toBe("resident")
    expect((await shown("qwen3:4b")).slice(-2)).toEqual(["loading", "resident"])

    expect(await (await post("/v1/models/qwen3:4b/pin", { pinned: true })).json()).toEqual({
      model: "qwen3:4b",
      pinned: true,
    })
    await poll(() =>
      row("qwen3:4b").getByRole("button", { name: "Pin qwen3:4b", exact: true }).getAttribute("aria-pressed"),
    ).toBe("true")
    const refused = await post("/v1/models/qwen3:4b/unload")
    expect(refused.status).toBe(409)
    expect(await refused.json()).toEqual({
      type: "error",
      code: "model_pinned",
      message: "model: 'qwen3:4b' is pinned; unpin it first",
    })
    await post("/v1/models/qwen3:4b/pin", { pinned: false })
    const unload = await post("/v1/models/qwen3:4b/unload")
    expect(await unload.json()).toEqual({ model: "qwen3:4b", state: "unloading" })
    await poll(() => row("qwen3:4b").getAttribute("data-state")).toBe("unloaded")

    const unknown = await post("/v1/models/nope:1b/load")
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ type: "error", code: "model_not_found" })
    // The OpenAI route for one model is still OpenAI's.
    const openai = await fetch(`${server.url}/v1/models/qwen3:4b`)
    expect(await openai.json()).toMatchObject({ id: "qwen3:4b", object: "model" })
  })

  it("other clients' requests appear in the list and follow their states to the end", async () => {
    const c = await connect(server.ws)
    clients.push(c)
    // Found on the page by their client, not their ids (which may belong to their connection).
    const names = ["agent-a", "agent-b", "agent-c"]
    for (const [i, client] of names.entries())
      c.send({ type: "query", id: `q${i}`, client, prompt: `What is the capital of France? (${client})` })
    for (const i of names.keys()) await c.waitFor(terminal(`q${i}`), 60_000)
    for (const client of names) {
      const r = w.page.locator('[data-testid="request-row"]', { hasText: client })
      await poll(() => r.getAttribute("data-state")).toBe("completed")
      expect(await r.textContent()).toMatch(/general_qa|fast|balanced/)
    }
    await w.screenshot("console-requests")
  })

  it("works from the keyboard: skip link, query and Ctrl+Enter, a Pin toggle, choosing a request", async () => {
    const p = w.page
    await p.locator("a.skip").focus()
    await p.keyboard.press("Enter")
    await p.keyboard.press("Tab")
    expect(await p.evaluate("document.activeElement?.id")).toBe("query-input")
    await p.keyboard.press("Control+A")
    await p.keyboard.type("What is the capital of France?")
    await p.keyboard.press("Control+Enter")
    await poll(() => p.locator("#query-status").textContent()).toMatch(/^Done in/)
    const pin = row("mistral:7b").getByRole("button", { name: "Pin mistral:7b", exact: true })
    await pin.focus()
    await p.keyboard.press("Enter")
    await poll(() => pin.getAttribute("aria-pressed")).toBe("true")
    // It waits for its answer (aria-disabled, keeping the focus), then takes the next key.
    await poll(() => pin.getAttribute("aria-disabled")).toBe("false")
    expect(await p.evaluate("document.activeElement?.getAttribute('aria-label')")).toBe("Pin mistral:7b")
    await p.keyboard.press("Space")
    await poll(() => pin.getAttribute("aria-pressed")).toBe("false")
    const first = p.locator('[data-testid="request-row"] button').first()
    const id = await first.textContent()
    await first.focus()
    await p.keyboard.press("Enter")
    await poll(() => p.evaluate("document.activeElement?.id")).toBe("detail-h")
    expect(await p.locator("#detail-h").textContent()).toBe(`Request ${id}`)
  })

  it("passes axe-core's checks (names, labels, roles, contrast) in the light and the dark scheme", async () => {
    expect(await axeViolations(w.page)).toEqual([])
    const dark = await browser.newContext({ viewport: { width: 1440, height: 1000 }, colorScheme: "dark" })
    try {
      const page = await dark.newPage()
      await page.goto(`${server.url}/ui`)
      await poll(() => page.locator('[data-testid="model-row"]').count()).toBeGreaterThan(0)
      // A page knows the requests it has seen: ask one, and open its explanation.
      await page.locator('[data-testid="query-input"]').fill("What is 2 + 2?")
      await page.locator('[data-testid="query-submit"]').click()
      await poll(() => page.locator("#query-status").textContent()).toMatch(/^Done in/)
      await page.locator('[data-testid="request-row"] button').first().click()
      await poll(() => page.locator("#detail").textContent()).toContain("Candidates")
      expect(await axeViolations(page)).toEqual([])
      await page.screenshot({ path: join(ARTIFACTS, "console-dark.png"), fullPage: true })
    } finally {
      await dark.close()
    }
  })

  it("logged no console error and sent nothing off loopback", () => {
    expect(w.errors).toEqual([])
    expect(w.offsite).toEqual([])
  })
})
