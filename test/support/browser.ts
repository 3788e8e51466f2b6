/**
 * A real browser for the console's end-to-end tests: Debian's `chromium` driven by
 * `playwright-core` (never a downloaded browser), headless, with a fresh profile per launch. Every
 * page records its console errors and uncaught exceptions, and fails any request to a host that is
 * not loopback (the console must work offline). Screenshots go to `test-artifacts/`. Without
 * `/usr/bin/chromium` the tests are skipped with a note, except where CONDUCTOR_REQUIRE_CHROMIUM=1
 * (CI, `.ci/run`), where they fail.
 */
import { existsSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core"

const ROOT = fileURLToPath(new URL("../..", import.meta.url))
export const CHROMIUM = "/usr/bin/chromium"
export const ARTIFACTS = join(ROOT, "test-artifacts")

/** Whether the browser tests should be skipped (never in CI, where a missing browser is a failure). */
export const skipWithoutChromium = (): boolean => {
  if (existsSync(CHROMIUM) || process.env.CONDUCTOR_REQUIRE_CHROMIUM === "1") return false
  process.stderr.write(
    "note: /usr/bin/chromium not found — the console's browser tests are skipped (apt-get install chromium)\n",
  )
  return true
}

export const launch = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
    ],
  })

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"])

export interface WatchedPage {
  readonly page: Page
  readonly context: BrowserContext
  /** Console errors and uncaught exceptions, in order. */
  readonly errors: string[]
  /** Requests refused because they left loopback. */
  readonly offsite: string[]
  /** Save a screenshot as test-artifacts/<name>.png; returns its path. */
  screenshot(name: string): Promise<string>
}

/** A new context (its own storage) and page, watched. */
export const watchedPage = async (
  browser: Browser,
  viewport = { width: 1440, height: 1000 },
): Promise<WatchedPage> => {
  const context = await browser.newContext({ viewport })
  const errors: string[] = []
  const offsite: string[] = []
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url())
    if (url.protocol === "data:" || LOOPBACK.has(url.hostname)) return route.continue()
    offsite.push(url.href)
    return route.abort("blockedbyclient")
  })
  const page = await context.newPage()
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`)
  })
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`))
  page.on("websocket", (ws) => {
    const host = new URL(ws.url()).hostname
    if (!LOOPBACK.has(host)) offsite.push(ws.url())
  })
  return {
    page,
    context,
    errors,
    offsite,
    async screenshot(name) {
      mkdirSync(ARTIFACTS, { recursive: true })
      const path = join(ARTIFACTS, `${name}.png`)
      await page.screenshot({ path, fullPage: true })
      return path
    },
  }
}
