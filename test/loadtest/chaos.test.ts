/**
 * A host killed mid-run and restarted (loadtest/chaos.ts): the watch counts lost and twice-ended
 * requests and failures with a host up; a short multihost-chaos run on virtual time kills the
 * coder's host while work is in flight and shows every accepted request ended exactly once, none
 * failed, and the host marked down and back.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { parse, stringify } from "yaml"
import { ChaosWatch, chaosMarkdown, chaosProblems } from "../../loadtest/chaos.js"
import { onVirtualTime, runLocal } from "../../loadtest/run-local.js"
import { loadScenario } from "../../loadtest/scenario.js"
import type { ConductorEvent } from "../../src/domain/events.js"

const FILE = "loadtest/scenarios/multihost-chaos.yaml"

const terminal = (type: "completed" | "failed", id: string): ConductorEvent =>
  (type === "completed"
    ? { type, id, attempts: [{ model: "m", outcome: "completed" }] }
    : { type, id, reason: "unavailable", message: "x", attempts: [] }) as unknown as ConductorEvent

describe("loadtest: a host killed mid-run", () => {
  it("the watch counts lost, ended twice and failures while a host was up", () => {
    let now = 0
    const w = new ChaosWatch({ host: 1, downAtSec: 10, upAtSec: 20 }, ["sim-1", "sim-2"], () => now)
    for (const id of ["a", "b", "c", "d"]) w.event({ type: "accepted", id } as ConductorEvent)
    w.killed()
    now = 12_000
    w.event({ type: "host", host: "sim-1", url: "sim://sim-1", state: "down", message: "" } as ConductorEvent)
    w.event(terminal("completed", "a"))
    w.event(terminal("completed", "a"))
    w.event(terminal("failed", "b"))
    now = 25_000
    w.event({ type: "host", host: "sim-1", url: "sim://sim-1", state: "up", message: "" } as ConductorEvent)
    w.event(terminal("completed", "c"))
    const r = w.report()
    expect(r).toMatchObject({
      accepted: 4,
      inFlightAtKill: 4,
      completed: 2,
      failed: 1,
      failedByReason: { unavailable: 1 },
      lost: 1,
      endedTwice: 1,
      failedWithHealthyHost: 1,
      markedDownAtSec: 12,
      backUpAtSec: 25,
    })
    expect(chaosProblems("p", r)).toHaveLength(3)
  })

  it("a scenario's chaos must name one of its hosts, and come back after it goes down", () => {
    const raw = { ...parse(readFileSync(FILE, "utf8")), chaos: { host: 3, downAtSec: 50, upAtSec: 40 } }
    const file = join(mkdtempSync(join(tmpdir(), "chaos-")), "s.yaml")
    writeFileSync(file, stringify(raw))
    expect(() => loadScenario(file)).toThrow(
      /chaos\.host: 3, but the scenario has 2 host\(s\)[\s\S]*chaos\.upAtSec/,
    )
  })

  it("multihost-chaos, short: the kill hits work, every accepted request ends once, the host comes back", async () => {
    const scenario = loadScenario(FILE)
    const r = await onVirtualTime((clock) =>
      runLocal(scenario, { policy: "swap-aware", durationSec: 300, clock }),
    )
    const c = r.chaos
    if (c === undefined) throw new Error("no chaos report")
    expect(c.inFlightAtKill).toBeGreaterThan(0)
    expect(c.retried).toBeGreaterThan(0)
    expect(c.lost).toBe(0)
    expect(c.endedTwice).toBe(0)
    expect(c.failedWithHealthyHost).toBe(0)
    expect(c.accepted).toBe(c.completed + c.failed + c.cancelled)
    expect(c.markedDownAtSec).toBeGreaterThanOrEqual(150)
    expect(c.backUpAtSec).toBeGreaterThanOrEqual(270)
    expect(chaosProblems("swap-aware", c)).toEqual([])
    expect(r.lost).toBe(0)
    expect(r.duplicateTerminals).toBe(0)
    expect(r.overcommits).toBe(0)
    expect(chaosMarkdown("swap-aware", c)).toContain("0 lost, 0 ended twice")
  })
})
