/**
 * Where the installed package lives, found by walking up from this file (it runs from `src/` under
 * tsx and vitest, and from `dist/src/` when built), so bundled files resolve in both.
 */
import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

let root: string | undefined

export const packageRoot = (): string => {
  if (root !== undefined) return root
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "config", "models.yaml"))) {
      root = dir
      return dir
    }
    dir = dirname(dir)
  }
  throw new Error("conductor: package root (with config/models.yaml) not found above this module")
}

export const bundledConfigDir = (): string => join(packageRoot(), "config")

export const packageVersion = (): string =>
  (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version
