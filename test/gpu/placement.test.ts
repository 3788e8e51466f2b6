import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { HostView, PlacedModel } from "../../src/gpu/placement.js"
import { place } from "../../src/gpu/placement.js"

const GB = 1e9
const model = (name: string, gb: number, over: Partial<PlacedModel> = {}): PlacedModel => ({
  name,
  state: "unloaded",
  bytes: gb * GB,
  inflight: 0,
  slots: 1,
  queued: 0,
  pinned: false,
  lastUsedAt: undefined,
  loadMs: gb * 300,
  serviceMs: 2000,
  demand: 0,
  ...over,
})
const host = (name: string, models: ReadonlyArray<PlacedModel>, over: Partial<HostView> = {}): HostView => ({
  name,
  up: true,
  weight: 1,
  capacityBytes: 24 * GB,
  usedBytes: models.filter((m) => m.state !== "unloaded").reduce((s, m) => s + m.bytes, 0),
  maxLoaded: 3,
  loading: models.find((m) => m.state === "loading")?.name,
  loadable: (m) => (models.find((o) => o.name === m)?.bytes ?? Number.POSITIVE_INFINITY) <= 24 * GB,
  models,
  ...over,
})
const catalogue = (over: Record<string, Partial<PlacedModel>> = {}) => [
  model("coder", 22, over.coder),
  model("general", 10, over.general),
  model("chat", 7, over.chat),
]

describe("gpu/placement", () => {
  it("warm first: the host where the model is resident with a free slot", () => {
    const a = host("a", catalogue({ chat: { state: "resident" } }))
    const b = host("b", catalogue())
    expect(place("chat", [b, a])).toMatchObject({ ok: true, host: "a", kind: "warm" })
  })

  it("held nowhere: loads where it fits without evicting, not beside the 22 GB coder", () => {
    const a = host("a", catalogue({ coder: { state: "resident", inflight: 1 } }))
    const b = host("b", catalogue())
    expect(place("general", [a, b])).toMatchObject({ ok: true, host: "b", kind: "load" })
    // A model whose first request waits for its load counts as taking its room already.
    const c = host("c", catalogue({ coder: { queued: 1 } }))
    expect(place("general", [c, host("d", catalogue())])).toMatchObject({ ok: true, host: "d" })
  })

  it("prefers evicting idle work to busy work, and queues where it is held", () => {
    const a = host("a", catalogue({ coder: { state: "resident", inflight: 1, queued: 3 } }))
    const b = host("b", catalogue({ general: { state: "resident" } }))
    expect(place("chat", [a, b])).toMatchObject({ ok: true, host: "b", kind: "load" })
    const busy = host("c", catalogue({ chat: { state: "resident", inflight: 1, queued: 1 } }))
    expect(place("chat", [busy, a])).toMatchObject({ ok: true, host: "c", kind: "queued" })
  })

  it("a second replica when waiting exceeds a load and the other host has free room", () => {
    const a = host("a", catalogue({ chat: { state: "resident", inflight: 1, queued: 6, demand: 20 } }))
    const b = host("b", catalogue({ general: { state: "resident", inflight: 1 } }))
    expect(place("chat", [a, b])).toMatchObject({ ok: true, host: "b", kind: "replica" })
    // Nor by evicting a model wanted more than this one, even while it is momentarily idle.
    const wanted = host("w", catalogue({ coder: { state: "resident", demand: 30 } }))
    expect(place("chat", [a, wanted])).toMatchObject({ ok: true, host: "a", kind: "queued" })
    const idle = host("i", catalogue({ coder: { state: "resident", demand: 2 } }))
    expect(place("chat", [a, idle])).toMatchObject({ ok: true, host: "i", kind: "replica" })
    // Not when the room is held by busy work.
    const c = host("c", catalogue({ coder: { state: "resident", inflight: 1 } }))
    expect(place("chat", [a, c])).toMatchObject({ ok: true, host: "a", kind: "queued" })
  })

  it("skips hosts that are down or excluded, and says why when none is left", () => {
    const a = host("a", catalogue({ chat: { state: "resident" } }), { up: false })
    const b = host("b", catalogue())
    expect(place("chat", [a, b])).toMatchObject({ ok: true, host: "b" })
    const none = place("chat", [a, b], new Set(["b"]))
    expect(none.ok).toBe(false)
    if (!none.ok) {
      expect(none.error.reason).toBe("Unavailable")
      expect(none.error.message).toContain("a is down")
    }
    const unknown = place("nope", [b])
    expect(!unknown.ok && unknown.error.reason).toBe("ModelNotFound")
    const huge = host("h", [model("huge", 30)])
    const oom = place("huge", [huge])
    expect(!oom.ok && oom.error.reason).toBe("OutOfMemory")
  })

  const modelArb = (name: string, gb: number) =>
    fc
      .record({
        state: fc.constantFrom("unloaded", "loading", "resident", "draining", "unloading" as const),
        inflight: fc.integer({ min: 0, max: 3 }),
        queued: fc.integer({ min: 0, max: 5 }),
        pinned: fc.boolean(),
      })
      .map((o) =>
        model(name, gb, {
          ...o,
          inflight: o.state === "resident" || o.state === "draining" ? o.inflight : 0,
        }),
      )
  const hostArb = (name: string) =>
    fc
      .record({
        up: fc.boolean(),
        capacityGb: fc.constantFrom(8, 16, 24, 48),
        models: fc.tuple(modelArb("coder", 22), modelArb("general", 10), modelArb("chat", 7)),
      })
      .map(({ up, capacityGb, models }) => {
        const capacity = capacityGb * GB
        const pinned = models
          .filter((m) => m.pinned && m.state !== "unloaded")
          .reduce((s, m) => s + m.bytes, 0)
        return host(name, models, {
          up,
          capacityBytes: capacity,
          loadable: (m) => (models.find((o) => o.name === m)?.bytes ?? Infinity) <= capacity - pinned,
        })
      })

  it("property: a request always has an up host that holds or can load its model, or a clear error", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 4 })
          .chain((ids) =>
            fc.tuple(
              fc.tuple(...ids.map((_, i) => hostArb(`h${i}`))),
              fc.constantFrom("coder", "general", "chat", "nope"),
            ),
          ),
        ([hosts, wanted]) => {
          const placed = place(wanted, hosts)
          if (placed.ok) {
            const h = hosts.find((x) => x.name === placed.host) as HostView
            expect(h.up).toBe(true)
            const m = h.models.find((o) => o.name === wanted) as PlacedModel
            expect(m).toBeDefined()
            // Never placed where the model cannot fit the host's budget beside its pinned models.
            expect(
              m.state === "resident" || m.state === "loading" || m.queued > 0 || h.loadable(wanted),
            ).toBe(true)
            expect(placed.waitMs).toBeGreaterThanOrEqual(0)
          } else {
            expect(["Unavailable", "ModelNotFound", "OutOfMemory"]).toContain(placed.error.reason)
            expect(placed.error.message.length).toBeGreaterThan(10)
            // Errors only when no up host could take it.
            const could = hosts.some(
              (h) =>
                h.up &&
                h.models.some((o) => o.name === wanted && (h.loadable(wanted) || o.state === "resident")),
            )
            expect(could).toBe(false)
          }
        },
      ),
      { numRuns: 500, seed: 19 },
    )
  })
})
