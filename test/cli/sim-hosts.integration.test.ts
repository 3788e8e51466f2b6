import { describe, expect, it } from "vitest"
import { spawnSim } from "../support/sim-process.js"

describe("conductor sim --hosts", () => {
  it("serves several simulated GPU hosts, each its own engine and profile, until SIGTERM", async () => {
    const sim = spawnSim(
      ["--hosts", "2", "--profile", "tiny-ci,workstation-24gb", "--port", "0", "--time-scale", "500"],
      2,
    )
    const urls = await sim.urls
    const { child, exited } = sim
    const out = sim.out()
    expect(out).toContain("[host 1/2]: tiny-ci")
    expect(out).toContain("[host 2/2]: workstation-24gb")
    const profiles = await Promise.all(
      urls.map(async (u) => ((await (await fetch(`${u}/sim/state`)).json()) as { profile: string }).profile),
    )
    expect(profiles).toEqual(["tiny-ci", "workstation-24gb"])
    child.kill("SIGTERM")
    expect(await exited).toBe(0)
  }, 30_000)
})
