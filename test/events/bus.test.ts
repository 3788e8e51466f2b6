import { describe, expect, it } from "vitest"
import type { ConductorEvent } from "../../src/domain/events.js"
import { makeEventBus } from "../../src/events/bus.js"

describe("events/bus", () => {
  it("fans out in publish order, by topic and by request, stamping the time", () => {
    const bus = makeEventBus(() => 42)
    const all: string[] = []
    const vram: string[] = []
    const mine: string[] = []
    bus.subscribe((e) => all.push(e.type))
    const offVram = bus.subscribe((e) => vram.push(e.type), ["vram"])
    const offMine = bus.subscribeRequest("r1", (e) => mine.push(`${e.type}@${e.at}`))
    bus.publish({ type: "accepted", id: "r1" })
    bus.publish({ type: "vram", usedBytes: 1, budgetBytes: 2, capacityBytes: 3 })
    bus.publish({ type: "accepted", id: "r2" })
    offVram()
    offMine()
    bus.publish({ type: "vram", usedBytes: 1, budgetBytes: 2, capacityBytes: 3 })
    bus.publish({ type: "cancelled", id: "r1", attempts: [] })
    expect(all).toEqual(["accepted", "vram", "accepted", "vram", "cancelled"])
    expect(vram).toEqual(["vram"])
    expect(mine).toEqual(["accepted@42"])
  })

  it("a throwing listener does not stop the others", () => {
    const bus = makeEventBus()
    const seen: ConductorEvent[] = []
    bus.subscribe(() => {
      throw new Error("faulty subscriber")
    })
    bus.subscribe((e) => seen.push(e))
    bus.publish({ type: "backend", state: "up", message: "ok" })
    expect(seen).toHaveLength(1)
  })
})
