import { describe, expect, it } from "vitest"
import { FairShare } from "../../src/gpu/fair-share.js"

describe("gpu/fair-share", () => {
  it("charges slot time by weight: twice the weight, half the level for the same time", () => {
    const f = new FairShare({ weightOf: (t) => (t === "heavy" ? 2 : 1) })
    f.join("heavy")
    f.join("light")
    f.charge("heavy", 1000)
    f.charge("light", 1000)
    expect(f.level("heavy")).toBe(500)
    expect(f.level("light")).toBe(1000)
  })

  it("a tenant that starts waiting again is lifted to the lowest active level: idle time is not banked", () => {
    const f = new FairShare({ weightOf: () => 1 })
    f.join("busy")
    f.charge("busy", 5000)
    f.join("newcomer")
    expect(f.level("newcomer")).toBe(5000)
    // A flooder that paused keeps what it used.
    f.join("flooder")
    f.charge("flooder", 20_000)
    f.leave("flooder")
    f.join("flooder")
    expect(f.level("flooder")).toBe(25_000)
  })

  it("a newcomer joins at the virtual time — the start of the active tenants' latest grants — not behind a backlog", () => {
    const f = new FairShare({ weightOf: () => 1 })
    f.join("flooder")
    f.grant("flooder", 1000)
    f.join("flooder")
    f.join("polite")
    // The flooder's running request started at 0: the newcomer starts there, below the flooder.
    expect(f.level("polite")).toBe(0)
    expect(f.level("flooder")).toBe(1000)
  })

  it("corrections never take a level below zero; levels of inactive tenants are forgotten past the cap", () => {
    const f = new FairShare({ weightOf: () => 1, maxTenants: 3 })
    f.join("a")
    f.charge("a", -50)
    expect(f.level("a")).toBe(0)
    f.leave("a")
    for (const t of ["b", "c", "d", "e"]) {
      f.join(t)
      f.charge(t, 10)
      f.leave(t)
    }
    // At most three levels kept; the active set was empty, so a forgotten tenant starts at 0.
    expect(f.level("a")).toBe(0)
  })
})
