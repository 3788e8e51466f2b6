/**
 * The packed sparse rows (classifier.ts `packRows`/`sumRows`) sum exactly what the two int8 tables
 * hold: every column, the extremes −128 and 127 repeated past the lanes' flush (LANE_ROWS), and
 * the full MAX_SPARSE occurrences.
 */
import { describe, expect, it } from "vitest"
import { seededRandom } from "../../src/learning/random.js"
import { type ClassifierWeights, OUTPUTS, packRows, sumRows } from "../../src/routing/classifier.js"
import { featureBuffer, MAX_SPARSE } from "../../src/routing/features.js"

const BITS = 8
const HIDDEN = 32
const rows = 2 ** BITS

const weights = (rng: () => number, linear: boolean): ClassifierWeights => {
  const int8 = (n: number) => Int8Array.from({ length: n }, () => Math.floor(rng() * 256) - 128)
  const sparse = int8(rows * HIDDEN)
  // Row 0 all −128, row 1 all 127: the extremes the lanes must carry.
  sparse.fill(-128, 0, HIDDEN)
  sparse.fill(127, HIDDEN, 2 * HIDDEN)
  const lin = int8(rows * OUTPUTS)
  lin.fill(-128, 0, OUTPUTS)
  lin.fill(127, OUTPUTS, 2 * OUTPUTS)
  return {
    bits: BITS,
    hidden: HIDDEN,
    sparse,
    scales: new Float64Array(HIDDEN),
    dense: new Float64Array(0),
    bias: new Float64Array(HIDDEN),
    out: new Float64Array(HIDDEN * OUTPUTS),
    outBias: new Float64Array(OUTPUTS),
    taskTemperature: 1,
    tierTemperature: 1,
    thresholds: [0, 1],
    ...(linear
      ? { linear: { sparse: lin, scales: new Float64Array(OUTPUTS), dense: new Float64Array(0) } }
      : {}),
  }
}

const naive = (w: ClassifierWeights, index: ArrayLike<number>, n: number): number[] => {
  const out = new Array<number>(w.hidden + (w.linear !== undefined ? OUTPUTS : 0)).fill(0)
  for (let i = 0; i < n; i++) {
    const r = index[i] as number
    for (let j = 0; j < w.hidden; j++) out[j] = (out[j] as number) + (w.sparse[r * w.hidden + j] as number)
    if (w.linear !== undefined)
      for (let k = 0; k < OUTPUTS; k++)
        out[w.hidden + k] = (out[w.hidden + k] as number) + (w.linear.sparse[r * OUTPUTS + k] as number)
  }
  return out
}

describe("routing/classifier packed rows", () => {
  for (const linear of [true, false]) {
    it(`sums every column exactly${linear ? " (with the linear heads)" : ""}`, () => {
      const rng = seededRandom(7)
      const w = weights(rng, linear)
      const packed = packRows(w)
      const f = featureBuffer()
      const sums = new Int32Array(packed.columns)
      const cases: Array<(i: number) => number> = [
        () => Math.floor(rng() * rows),
        () => 0,
        () => 1,
        (i) => i % 2,
      ]
      for (const pick of cases) {
        for (const n of [0, 1, 7, 255, 256, 257, 600, MAX_SPARSE]) {
          for (let i = 0; i < n; i++) f.index[i] = pick(i)
          f.count = n
          sumRows(packed, f, sums)
          expect([...sums.subarray(0, naive(w, f.index, n).length)]).toEqual(naive(w, f.index, n))
        }
      }
    })
  }
})
