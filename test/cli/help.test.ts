/**
 * `conductor --help` and `conductor <command> --help`: every command with an example, and for each
 * command every flag of its usage described, with examples.
 */
import { describe, expect, it } from "vitest"
import { COMMAND_NAMES, HELP } from "../../src/cli/help.js"
import { runMain } from "../support/cli.js"

describe("conductor --help", () => {
  it("lists every command with what it does and an example", async () => {
    const r = await runMain(["--help"])
    expect(r.code).toBe(0)
    for (const name of ["serve", "route", "models", "config", "hardware", "sim", "ask"]) {
      expect(r.stdout).toMatch(new RegExp(`^  ${name} +\\S`, "m"))
      expect(r.stdout).toMatch(new RegExp(`^ +e\\.g\\. conductor ${name}\\b`, "m"))
    }
  })

  it.each(COMMAND_NAMES)("%s --help describes every flag of its usage, with examples", async (name) => {
    const r = await runMain([name, "--help"])
    expect(r.code).toBe(0)
    const [usage, rest = ""] = r.stdout.split("\nflags:\n")
    const [flags = "", examples = ""] = rest.split("\nexamples:\n")
    const used = new Set(usage?.match(/--[a-z-]+/g))
    expect(used.size).toBeGreaterThan(0)
    for (const flag of used) expect(flags, flag).toMatch(new RegExp(`^  ${flag}( \\S+)?  +\\S`, "m"))
    expect(examples).toMatch(new RegExp(`^  (\\S+=\\S+ )?conductor ${name}\\b`, "m"))
    expect(HELP[name].examples.length).toBeGreaterThan(0)
    // `help <command>` says the same.
    expect((await runMain(["help", name])).stdout).toBe(r.stdout)
  })
})
