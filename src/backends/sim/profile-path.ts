/**
 * Where a simulator profile lives: a path (relative to the working directory), or the name of a
 * bundled profile (`tiny-ci`, `workstation-24gb`, `mac-studio-128gb`) from `config/sim/`.
 */
import { existsSync } from "node:fs"
import { join, resolve } from "node:path"
import { bundledConfigDir } from "../../config/paths.js"

export const DEFAULT_PROFILE = "workstation-24gb"

export const resolveProfilePath = (asked: string | undefined, cwd = process.cwd()): string => {
  const name = asked ?? DEFAULT_PROFILE
  const direct = resolve(cwd, name)
  if (existsSync(direct)) return direct
  const bundled = join(bundledConfigDir(), "sim", name.endsWith(".yaml") ? name : `${name}.yaml`)
  return existsSync(bundled) ? bundled : direct
}
