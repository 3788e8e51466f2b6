/**
 * The console under load: 200 queries in flight at once over /ws (one model with 200 parallel
 * slots on the simulator, so all 200 stream together and the page gets thousands of token events
 * a second) while a key is pressed in the query box every 100 ms. It checks what must hold
 * whatever the speed — every request ends and the page says so, the list is capped, the typed
 * text all arrived — and records how the page fared (main-thread long tasks, key-to-handler and
 * key-to-frame latency, frame gaps, script and layout time from the DevTools protocol) into
 * test-artifacts/console-load.json and the test's output. Numbers are reported, never asserted.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { Browser } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ARTIFACTS, launch, skipWithoutChromium, type WatchedPage, watchedPage } from "../support/browser.js"
import {
  frameGaps,
  installRecorders,
  keyLatencies,
  longTasks,
  startFrames,
} from "../support/page-recorders.js"
import { type Client, connect, type Served, serve } from "../support/serve.js"

const FIXTURE = new URL("../fixtures/console-load/", import.meta.url).pathname
const IN_FLIGHT = 200
const skip = skipWithoutChromium()
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 60_000, interval: 100 })

const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number
}
const round = (n: number) => Math.round(n * 10) / 10
const summary = (xs: ReadonlyArray<number>) => ({
  n: xs.length,
  p50: round(quantile(xs, 0.5)),
  p95: round(quantile(xs, 0.95)),
  max: round(Math.max(0, ...xs)),
})

describe.skipIf(skip)("the web console with 200 requests in flight", { timeout: 180_000 }, () => {
  let server: Served
  let browser: Browser
  let w: WatchedPage
  let client: Client

  beforeAll(async () => {
    server = await serve([
      "--backend",
      "sim",
      "--sim-profile",
      join(FIXTURE, "host.yaml"),
      "--config",
      FIXTURE,
    ])
    const loaded = await fetch(`${server.url}/v1/models/qwen3:4b/load`, { method: "POST" })
    expect(loaded.status).toBe(200)
    browser = await launch()
    w = await watchedPage(browser)
    await installRecorders(w.page)
    client = await connect(server.ws)
  }, 60_000)
  afterAll(async () => {
    client?.close()
    await browser?.close()
    await server?.stop()
  })

  it("stays usable: every request ends, the list is capped, typing keeps up; records the latencies", async () => {
    await w.page.goto(`${server.url}/ui`)
    await poll(() => w.page.locator("#connection").textContent()).toMatch(/connected/)
    await poll(() => w.page.locator('[data-model="qwen3:4b"]').getAttribute("data-state")).toBe("resident")
    const cdp = await w.context.newCDPSession(w.page)
    await cdp.send("Performance.enable")
    const metrics = async () =>
      Object.fromEntries(
        (
          (await cdp.send("Performance.getMetrics")) as { metrics: Array<{ name: string; value: number }> }
        ).metrics.map((m) => [m.name, m.value]),
      ) as Record<string, number>
    const before = await metrics()
    const tasksBefore = (await longTasks(w.page)).length
    await startFrames(w.page)

    const ids = Array.from({ length: IN_FLIGHT }, (_, i) => `load-${i}`)
    // numPredict keeps each answer inside the model's short context (an answer it stops is accepted).
    for (const id of ids)
      client.send({
        type: "query",
        id,
        prompt: `Explain how a B-tree stays balanced (${id})`,
        options: { numPredict: 150 },
      })
    const ended = new Set<string>()
    let seen = 0
    let tokens = 0
    let peakStreaming = 0
    const streaming = new Set<string>()
    const count = () => {
      for (; seen < client.messages.length; seen++) {
        const m = client.messages[seen] as { type: string; id?: string }
        if (m.type === "token") tokens++
        if (m.type === "started" && m.id !== undefined) streaming.add(m.id)
        if ((m.type === "completed" || m.type === "failed" || m.type === "cancelled") && m.id !== undefined) {
          ended.add(m.id)
          streaming.delete(m.id)
        }
      }
      peakStreaming = Math.max(peakStreaming, streaming.size)
    }
    const input = w.page.locator('[data-testid="query-input"]')
    await input.click()
    await input.fill("")
    let typed = ""
    let peakShown = 0
    const started = Date.now()
    // Press a key every ~100 ms until every request has ended; watch the page's in-flight count.
    while (ended.size < IN_FLIGHT && Date.now() - started < 150_000) {
      await w.page.keyboard.press("k")
      typed += "k"
      const shown = /(\d+) in flight/.exec((await w.page.locator("#requests-count").textContent()) ?? "")
      peakShown = Math.max(peakShown, Number(shown?.[1] ?? 0))
      count()
      await new Promise((r) => setTimeout(r, 100))
    }
    const elapsedMs = Date.now() - started
    count()
    expect(ended.size).toBe(IN_FLIGHT)
    const done = client.messages.filter((m) => m.type === "completed").length
    expect(done).toBe(IN_FLIGHT)

    // What must hold: the page caught up, capped its list, and lost no key.
    await poll(() => w.page.locator("#requests-count").textContent()).toMatch(/· 0 in flight/)
    expect(await w.page.locator('[data-testid="request-row"]').count()).toBe(100)
    await poll(() => w.page.locator('[data-testid="request-row"][data-state="completed"]').count()).toBe(100)
    expect(await input.inputValue()).toBe(typed)
    // Still answers a click at once: the newest request's explanation.
    await w.page.locator('[data-testid="request-row"] button').first().click()
    await poll(() => w.page.locator("#detail").textContent()).toContain("Candidates")

    const after = await metrics()
    const tasks = (await longTasks(w.page)).slice(tasksBefore)
    const keys = await keyLatencies(w.page)
    const gaps = await frameGaps(w.page)
    const seconds = elapsedMs / 1000
    const report = {
      requests: IN_FLIGHT,
      peakStreamingAtOnce: peakStreaming,
      peakInFlightShownByPage: peakShown,
      tokenEvents: tokens,
      tokenEventsPerSecond: Math.round(tokens / seconds),
      seconds: round(seconds),
      longTasks: {
        count: tasks.length,
        totalMs: round(tasks.reduce((s, t) => s + t.duration, 0)),
        ...summary(tasks.map((t) => t.duration)),
      },
      keyToHandlerMs: summary(keys.map((k) => k.delay)),
      keyToNextFrameMs: summary(keys.map((k) => k.toFrame)),
      frameGapMs: summary(gaps),
      mainThreadBusyPercent: {
        script: round((((after.ScriptDuration ?? 0) - (before.ScriptDuration ?? 0)) / seconds) * 100),
        layout: round((((after.LayoutDuration ?? 0) - (before.LayoutDuration ?? 0)) / seconds) * 100),
        style: round(
          (((after.RecalcStyleDuration ?? 0) - (before.RecalcStyleDuration ?? 0)) / seconds) * 100,
        ),
        allTasks: round((((after.TaskDuration ?? 0) - (before.TaskDuration ?? 0)) / seconds) * 100),
      },
      jsHeapUsedMB: round((after.JSHeapUsedSize ?? 0) / 1e6),
    }
    // After measuring: a screenshot costs the page a long task of its own.
    await w.screenshot("console-load")
    mkdirSync(ARTIFACTS, { recursive: true })
    writeFileSync(join(ARTIFACTS, "console-load.json"), `${JSON.stringify(report, null, 2)}\n`)
    process.stdout.write(`console under load: ${JSON.stringify(report)}\n`)
    expect(w.errors).toEqual([])
    expect(w.offsite).toEqual([])
  })
})
