import { describe, expect, it } from "vitest"
import { type CeilingModel, computeCeiling, maximalSets, packingLp } from "../../loadtest/ceiling.js"

const GB = 1e9
const model = (name: string, gb: number, share: number, serviceMs: number, slots = 1): CeilingModel => ({
  name,
  bytes: gb * GB,
  slots,
  share,
  serviceMs,
})

describe("loadtest/ceiling", () => {
  it("a model that cannot share the card runs apart from the rest: 1 / (d_coder + max(d_a, d_b))", () => {
    // The contention-24gb shape: a 22 GB coder alone; the 10 GB and 7 GB models together.
    const models = [
      model("coder", 22, 0.2, 4000),
      model("mid", 10, 0.3, 3000),
      model("small", 7, 0.5, 1000, 2),
    ]
    expect(maximalSets(models, 23.8 * GB, 3)).toEqual([[0], [1, 2]])
    const c = computeCeiling({ models, budgetBytes: 23.8 * GB, maxLoaded: 3 })
    // d_coder = 0.2·4 = 0.8 s; d_mid = 0.9 s; d_small = 0.5·1/2 = 0.25 s → 1 / (0.8 + 0.9)
    expect(c.throughputRps).toBeCloseTo(1 / 1.7, 3)
    expect(c.schedule).toEqual([
      { models: ["coder"], share: expect.closeTo(0.8 / 1.7, 3) },
      { models: ["mid", "small"], share: expect.closeTo(0.9 / 1.7, 3) },
    ])
  })

  it("pairs that fit (any two of four): two disjoint pairs; a triangle needs a fractional schedule", () => {
    const four = ["a", "b", "c", "d"].map((n) => model(n, 10, 0.25, 4000))
    // Each model needs 1 s per request; two pairs cover them in 2 s.
    expect(computeCeiling({ models: four, budgetBytes: 22 * GB, maxLoaded: 3 }).throughputRps).toBeCloseTo(
      0.5,
      3,
    )
    const three = ["a", "b", "c"].map((n) => model(n, 10, 1 / 3, 3000))
    // Each needs 1 s; pairs ab, bc, ca half a second each: 1.5 s per request.
    expect(computeCeiling({ models: three, budgetBytes: 22 * GB, maxLoaded: 3 }).throughputRps).toBeCloseTo(
      1 / 1.5,
      3,
    )
  })

  it("everything fits: the busiest model's work is the limit; the loaded-model limit splits sets", () => {
    const models = [model("a", 5, 0.5, 2000), model("b", 5, 0.5, 1000)]
    expect(computeCeiling({ models, budgetBytes: 24 * GB, maxLoaded: 3 }).throughputRps).toBeCloseTo(1, 3)
    expect(computeCeiling({ models, budgetBytes: 24 * GB, maxLoaded: 1 }).throughputRps).toBeCloseTo(
      1 / 1.5,
      3,
    )
  })

  it("is capped by the unlimited-VRAM bound and says so; a model larger than the budget makes it 0", () => {
    const models = [model("a", 5, 1, 1000)]
    const capped = computeCeiling({ models, budgetBytes: 24 * GB, maxLoaded: 3, boundRps: 0.4 })
    expect(capped.throughputRps).toBe(0.4)
    expect(capped.method).toMatch(/capped by the unlimited-VRAM bound/)
    expect(
      computeCeiling({ models: [model("huge", 40, 1, 1000)], budgetBytes: 24 * GB, maxLoaded: 3 }),
    ).toMatchObject({
      throughputRps: 0,
    })
  })

  it("the packing LP's optimum equals its dual (prices sum to the value)", () => {
    const lp = packingLp(
      [1, 2, 3],
      [
        [0, 1],
        [1, 2],
        [0, 2],
      ],
    )
    // max y0 + 2y1 + 3y2 with pairwise sums ≤ 1: y = (0, 0, 1)… or (0,·,1) with y1 ≤ 0 → 3.
    expect(lp.value).toBeCloseTo(3, 9)
    expect(lp.prices.reduce((s, p) => s + p, 0)).toBeCloseTo(lp.value, 9)
  })

  it("with compute shared, co-resident models serve slower: the LP weighs each feasible set by its streams", () => {
    // Two models that fit together, 1 s of work each per request, one slot each. Free compute:
    // together, 1 s per request. Each stream 10% slower per other: together they take 1.1 s, which
    // still beats running them apart (2 s).
    const two = [model("a", 5, 0.5, 2000), model("b", 5, 0.5, 2000)]
    const shared = computeCeiling({ models: two, budgetBytes: 24 * GB, maxLoaded: 3, streamSlowdown: 0.1 })
    expect(shared.throughputRps).toBeCloseTo(1 / 1.1, 3)
    expect(shared.freeComputeRps).toBeCloseTo(1, 3)
    expect(shared.method).toMatch(/10% slower per other stream/)
    // A model's own slots share the GPU too: two slots serve 2 / 1.1 at once, not 2.
    const slots = computeCeiling({
      models: [model("s", 5, 1, 1000, 2)],
      budgetBytes: 24 * GB,
      maxLoaded: 3,
      streamSlowdown: 0.1,
    })
    expect(slots.throughputRps).toBeCloseTo(2 / 1.1, 3)
  })
})
