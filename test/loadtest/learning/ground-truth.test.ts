/**
 * The ground truth loader: both shipped truths load and cover the learning host's models for the
 * scenario's tasks; bad files are refused naming the path; the drift applies from its request on.
 */
import { describe, expect, it } from "vitest"
import {
  loadGroundTruth,
  missingPairs,
  parseGroundTruth,
  qualityAt,
} from "../../../loadtest/learning/ground-truth.js"

const MODELS = [
  "qwen2.5-coder:32b",
  "qwen2.5:14b",
  "llama3.1:8b",
  "mistral:7b",
  "deepseek-coder:6.7b",
  "qwen2-math:7b",
  "qwen3:4b",
]
const TASKS = [
  "code_generation",
  "reasoning",
  "mathematical",
  "summarisation",
  "creative",
  "general_qa",
  "rag_query",
  "query_rewriting",
] as const

describe("ground truth", () => {
  for (const name of ["truth-a", "truth-b"]) {
    it(`${name} loads and covers every model and task of the learning scenario`, () => {
      const truth = loadGroundTruth(`loadtest/profiles/learning-80gb.${name}.yaml`)
      expect(truth.name).toBe(name)
      expect(missingPairs(truth, MODELS, TASKS)).toEqual([])
      expect(truth.drift).toBeDefined()
    })
  }

  it("the two truths were drawn differently: different best models and a different drift", () => {
    const a = loadGroundTruth("loadtest/profiles/learning-80gb.truth-a.yaml")
    const b = loadGroundTruth("loadtest/profiles/learning-80gb.truth-b.yaml")
    const best = (t: typeof a, task: (typeof TASKS)[number]) =>
      [...MODELS].sort((x, y) => qualityAt(t, y, task, 0) - qualityAt(t, x, task, 0))[0]
    const differ = TASKS.filter((task) => best(a, task) !== best(b, task))
    expect(differ.length).toBeGreaterThanOrEqual(4)
    expect([a.drift?.task, a.drift?.model]).not.toEqual([b.drift?.task, b.drift?.model])
  })

  it("applies the drift from its request on, to its model and task only", () => {
    const t = parseGroundTruth(
      `name: t
quality:
  a: { general_qa: 0.9, creative: 0.5 }
  b: { general_qa: 0.6 }
drift: { task: general_qa, model: a, atRequest: 10, quality: 0.2 }
`,
      "t.yaml",
    )
    expect(qualityAt(t, "a", "general_qa", 9)).toBe(0.9)
    expect(qualityAt(t, "a", "general_qa", 10)).toBe(0.2)
    expect(qualityAt(t, "a", "creative", 10)).toBe(0.5)
    expect(qualityAt(t, "b", "general_qa", 10)).toBe(0.6)
    expect(missingPairs(t, ["a", "b"], ["creative"])).toEqual(["b × creative"])
  })

  it("refuses bad files, naming the file and each problem's path", () => {
    const bad = `name: t
quality:
  a: { general_qa: 1.5, cooking: 0.5 }
drift: { task: creative, model: a, atRequest: 3, quality: 0.1 }
`
    expect(() => parseGroundTruth(bad, "bad.yaml")).toThrow(
      /bad\.yaml: invalid ground truth:[\s\S]*quality\.a\.general_qa/,
    )
    expect(() => parseGroundTruth(bad.replace("1.5", "0.5"), "bad.yaml")).toThrow(
      /quality\.a\.cooking: not a task type[\s\S]*drift: no quality\.a\.creative/,
    )
    expect(() => parseGroundTruth("name: t\nquality: {}\nextra: 1\n", "x.yaml")).toThrow(
      /x\.yaml[\s\S]*extra/,
    )
  })
})
