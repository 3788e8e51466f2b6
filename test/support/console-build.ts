/**
 * Vitest global setup: compile the web console (`src/console/client/` → `dist/console/`, as
 * `npm run build` does) when a source is newer than its output, so the console's tests, which
 * run the server from source, serve the scripts of the code under test. Cheap when up to date.
 */
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const ROOT = fileURLToPath(new URL("../..", import.meta.url))
const SRC = join(ROOT, "src/console/client")
const OUT = join(ROOT, "dist/console")

const stale = (): boolean => {
  for (const f of readdirSync(SRC)) {
    if (!f.endsWith(".ts")) continue
    const out = join(OUT, f.replace(/\.ts$/, ".js"))
    if (!existsSync(out) || statSync(out).mtimeMs < statSync(join(SRC, f)).mtimeMs) return true
  }
  return (
    statSync(join(SRC, "tsconfig.json")).mtimeMs >
    (existsSync(join(OUT, "main.js")) ? statSync(join(OUT, "main.js")).mtimeMs : 0)
  )
}

export default function setup(): void {
  if (!stale()) return
  execFileSync(join(ROOT, "node_modules/.bin/tsc"), ["-p", join(SRC, "tsconfig.json")], { stdio: "inherit" })
}
