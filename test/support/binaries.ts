/**
 * External programs some tests need: Debian's `prometheus` package (promtool, prometheus).
 * `.ci/run` installs it and sets CONDUCTOR_REQUIRE_PROMETHEUS=1, so in CI a missing binary fails
 * the test; elsewhere those tests are skipped with a note saying how to install it.
 */
import { execFileSync } from "node:child_process"

export const hasBinary = (name: string): boolean => {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

const required = process.env.CONDUCTOR_REQUIRE_PROMETHEUS === "1"

/** Whether tests needing `name` should be skipped (never in CI, where its absence is a failure). */
export const skipWithout = (name: string): boolean => {
  if (hasBinary(name) || required) return false
  process.stderr.write(`note: ${name} not found — its tests are skipped (apt-get install prometheus)\n`)
  return true
}
