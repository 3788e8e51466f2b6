import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { complexityOf } from "../../src/routing/classifier.js"
import { classify } from "../../src/routing/classify.js"
import { scoreComplexity } from "../../src/routing/complexity.js"
import { featureBuffer, featurise, MAX_SPARSE } from "../../src/routing/features.js"
import { readQuery } from "../../src/routing/text.js"
import { shippedWeightsPath } from "../../src/routing/weights.js"
import { shippedClassifier } from "../support/router-env.js"

interface Fixture {
  text: string
  taskProbabilities: number[]
  tierProbabilities: number[]
  complexity: number
}
const fixtures = (
  JSON.parse(readFileSync(shippedWeightsPath(), "utf8")) as { training: { fixtures: Fixture[] } }
).training.fixtures

const verdict = (text: string) => {
  const c = shippedClassifier()
  if (c === undefined) throw new Error("no shipped classifier")
  const q = readQuery(text)
  const cls = classify(q, undefined)
  return c.classify(q, cls, scoreComplexity(q, undefined, cls.type))
}

describe("routing/classifier", () => {
  it("computes the training script's own predictions on its fixed inputs", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(10)
    for (const f of fixtures) {
      const v = verdict(f.text)
      for (const [i, p] of v.taskProbabilities.entries()) {
        expect(p, f.text).toBeCloseTo(f.taskProbabilities[i] as number, 6)
      }
      for (const [i, p] of v.tierProbabilities.entries()) {
        expect(p, f.text).toBeCloseTo(f.tierProbabilities[i] as number, 6)
      }
      expect(v.complexity, f.text).toBeCloseTo(f.complexity, 6)
    }
  })

  it("gives probabilities that sum to one and a tier that agrees with its complexity", () => {
    for (const f of fixtures) {
      const v = verdict(f.text)
      expect(v.taskProbabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9)
      expect(v.tierProbabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9)
      expect(v.tier).toBe(v.complexity >= 7 ? "quality" : v.complexity >= 3.5 ? "balanced" : "fast")
    }
  })

  it("maps the latent tier score onto 0–10 with θ₀ at 3.5 and θ₁ at 7.0", () => {
    const th = [-1, 2] as const
    expect(complexityOf(-1, th)).toBe(3.5)
    expect(complexityOf(2, th)).toBe(7)
    expect(complexityOf(0.5, th)).toBe(5.25)
    expect(complexityOf(-100, th)).toBe(0)
    expect(complexityOf(100, th)).toBe(10)
  })
})

describe("routing/features", () => {
  const featuresOf = (text: string) => {
    const q = readQuery(text)
    const cls = classify(q, undefined)
    const buf = featureBuffer()
    featurise(q, cls, scoreComplexity(q, undefined, cls.type), 17, buf)
    return { count: buf.count, index: [...buf.index.subarray(0, buf.count)], dense: [...buf.dense] }
  }

  it("is deterministic and stays inside the table and the buffer, whatever the text", () => {
    const texts = [
      "a",
      "?!",
      "x".repeat(5000),
      "word ".repeat(3000),
      "🎉 emoji only 🎉 — Ωμέγα ∑ 你好",
      "line one\nline two\n\n```js\nconst x = 1\n```",
    ]
    for (const t of texts) {
      const a = featuresOf(t)
      expect(featuresOf(t)).toEqual(a)
      expect(a.count).toBeLessThanOrEqual(MAX_SPARSE)
      for (const i of a.index) expect(i >= 0 && i < 2 ** 17).toBe(true)
      for (const d of a.dense) expect(Number.isFinite(d)).toBe(true)
    }
  })

  it("folds digits and reads only the head and tail of long texts", () => {
    expect(featuresOf("call 911 now").index).toEqual(featuresOf("call 000 now").index)
    const middle = (m: string) => `${"start ".repeat(200)}${m}${" end".repeat(100)}`
    expect(featuresOf(middle("alpha")).index).toEqual(featuresOf(middle("omega")).index)
  })
})
