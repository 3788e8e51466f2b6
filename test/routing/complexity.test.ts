import { describe, expect, it } from "vitest"
import { scoreComplexity } from "../../src/routing/complexity.js"
import { readQuery } from "../../src/routing/text.js"
import { tierForComplexity } from "../../src/routing/tiering.js"

const score = (q: string, docs?: number) =>
  scoreComplexity(readQuery(q), docs !== undefined ? { retrievedDocs: docs } : undefined)
const thresholds = { balanced: 3.5, quality: 7 }
const tierOf = (q: string) => tierForComplexity(score(q).total, thresholds)

describe("routing/complexity", () => {
  // The reference's own examples, by band (its regex scorer put the first quality one near 2/10).
  it.each(["What is the capital of France?", "Define recursion", "How do I install numpy?"])(
    "fast: %s",
    (q) => expect(tierOf(q)).toBe("fast"),
  )

  it.each([
    "Explain how quicksort works and compare it to mergesort",
    "Summarise the key findings from these 3 research papers",
  ])("balanced: %s", (q) => expect(tierOf(q)).toBe("balanced"))

  it.each([
    "Analyse the architectural trade-offs between microservices and monoliths for a fintech startup, considering scalability, team structure, and regulatory compliance",
    "Compare the reasoning capabilities of transformer-based models versus recursive neural networks, synthesising findings from recent papers",
    "Design a distributed caching system for a social network handling 100M users, explaining design decisions step-by-step",
  ])("quality: %s", (q) => expect(tierOf(q)).toBe("quality"))

  it("keeps every dimension inside its range and the total inside 0–10", () => {
    const long = `${"Analyse, compare, synthesise and design ".repeat(40)} considering GDPR, HIPAA, SOX, PCI and 100M users in detail, step-by-step`
    const s = score(long, 50)
    expect(s.structural).toBeLessThanOrEqual(2)
    expect(s.reasoning).toBeLessThanOrEqual(3)
    expect(s.context).toBeLessThanOrEqual(2)
    expect(s.domain).toBeLessThanOrEqual(2)
    expect(s.output).toBeLessThanOrEqual(1)
    expect(s.total).toBeLessThanOrEqual(10)
    expect(score("").total).toBe(0)
  })

  it("adds context need for retrieved documents and for referenced sources", () => {
    expect(score("What does it say about refunds?", 6).context).toBeGreaterThan(
      score("What does it say about refunds?").context,
    )
    expect(score("Summarise these 5 papers").estimatedContextTokens).toBeGreaterThanOrEqual(40000)
  })

  it("lowers output detail when brevity is asked for", () => {
    expect(score("Explain photosynthesis briefly").output).toBeLessThan(
      score("Explain photosynthesis in detail").output,
    )
  })

  it("names the signals it used", () => {
    expect(score("Compare Rust and Go for a distributed cache, considering latency").signals).toEqual(
      expect.arrayContaining(["comparison", "constraints 1"]),
    )
  })
})
