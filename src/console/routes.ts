/**
 * The web console's routes: `GET /ui` (the page) and `GET /ui/assets/<version>/<file>` (its
 * scripts, compiled by `npm run build` from `src/console/client/` into `dist/console/`, and its
 * stylesheet). Assets are read once, on the first request, and named under a version (a hash of
 * their content) so they are cached as immutable; the page itself is revalidated (ETag). The page
 * and its assets hold no data, so they need no token (the Host and Origin checks still apply);
 * the page asks for the token and sends it with `/v1/status`, the admin API and `/ws`. A strict
 * Content-Security-Policy allows nothing but this origin: the console works offline.
 */
import { createHash } from "node:crypto"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { type Context, Hono } from "hono"
import { packageRoot } from "../config/paths.js"
import { consolePage } from "./page.js"
import { CONSOLE_CSS } from "./styles.js"

/** The page and its assets: served without the token. */
export const isConsolePath = (path: string): boolean =>
  path === "/ui" || path === "/ui/" || path.startsWith("/ui/assets/")

interface Asset {
  readonly body: Uint8Array
  readonly type: string
}

interface Built {
  readonly version: string
  readonly page: string
  readonly etag: string
  readonly assets: ReadonlyMap<string, Asset>
}

const JS = "text/javascript; charset=utf-8"
const CSS = "text/css; charset=utf-8"

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  // 'self' covers ws:// to this host and port.
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ")

const COMMON = { "x-content-type-options": "nosniff", "referrer-policy": "no-referrer" }

/** Where `npm run build` puts the compiled console (`dist/console/*.js`). */
export const consoleAssetsDir = (): string => join(packageRoot(), "dist", "console")

const load = (dir: string, tokenRequired: boolean): Built | string => {
  if (!existsSync(join(dir, "main.js")))
    return `The console is not built (no ${join(dir, "main.js")}): run npm run build.`
  const assets = new Map<string, Asset>()
  for (const f of readdirSync(dir).sort()) {
    if (f.endsWith(".js")) assets.set(f, { body: readFileSync(join(dir, f)), type: JS })
  }
  assets.set("console.css", { body: new TextEncoder().encode(CONSOLE_CSS), type: CSS })
  const hash = createHash("sha256")
  for (const [name, a] of assets) hash.update(name).update(a.body)
  const version = hash.digest("hex").slice(0, 12)
  const page = consolePage(version, tokenRequired)
  return { version, page, etag: `"${version}"`, assets }
}

export interface ConsoleOptions {
  /** The server has a token (CONDUCTOR_TOKEN): the page asks for it first. */
  readonly tokenRequired: boolean
  /** The compiled scripts; default `dist/console/` of the package. */
  readonly assetsDir?: string
}

export const consoleRoutes = (options: ConsoleOptions): Hono => {
  const dir = options.assetsDir ?? consoleAssetsDir()
  let built: Built | string | undefined
  const get = (): Built | string => {
    built ??= load(dir, options.tokenRequired)
    return built
  }
  const app = new Hono()

  const page = (c: Context) => {
    const b = get()
    if (typeof b === "string")
      return c.body(b, 503, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" })
    const headers = {
      ...COMMON,
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-cache",
      etag: b.etag,
      "content-security-policy": CSP,
    }
    if (c.req.header("if-none-match") === b.etag) return c.body(null, 304, headers)
    return c.body(b.page, 200, headers)
  }
  app.get("/ui", page)
  app.get("/ui/", page)

  app.get("/ui/assets/:version/:file", (c) => {
    const b = get()
    const asset = typeof b === "string" ? undefined : b.assets.get(c.req.param("file"))
    if (typeof b === "string" || asset === undefined || c.req.param("version") !== b.version) {
      return c.json(
        { type: "error", code: "not_found", message: `no console asset ${c.req.path}; reload /ui` },
        404,
        { "cache-control": "no-store" },
      )
    }
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, {
      ...COMMON,
      "content-type": asset.type,
      "cache-control": "public, max-age=31536000, immutable",
    })
  })
  return app
}
