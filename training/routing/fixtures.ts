/**
 * Fixed inputs of the routing classifier's training: the texts whose predictions the inference
 * test checks (test/routing/classifier.test.ts), and the design notes' nine examples with the
 * tier each must get. Shared by train.ts and tier-experiments.ts.
 */
import { TIERS, type Tier } from "../../src/domain/tier.js"
import type { LabelledQuery } from "./corpus.js"
/** Inputs whose predictions the inference test checks (a mix of tasks, tiers and lengths). */
export const FIXTURE_TEXTS = [
  "What is the capital of France?",
  "Define recursion",
  "How do I install numpy?",
  "Explain how quicksort works and compare it to mergesort",
  "Write a Python function to validate email addresses",
  "Summarise the key findings from these 3 research papers",
  "Analyse the architectural trade-offs between microservices and monoliths for a fintech startup, considering scalability, team structure, and regulatory compliance",
  "Compare the reasoning capabilities of transformer-based models versus recursive neural networks, synthesising findings from recent papers",
  "Design a distributed caching system for a social network handling 100M users, explaining design decisions step-by-step",
  "weather in lisbon tmrw?",
  "rewrite as a search query: best laptop for ml under 1500",
  `Context:\n[1] ${"The warranty covers parts and labour for two years from the date of purchase. ".repeat(20)}\nQuestion: how long is the warranty?`,
  "```python\ndef f(x):\n    return x +\n```\nwhy does this fail?",
  "Ünïcödé — “quotes” and emoji 🎉: write a haiku about autumn",
]

/**
 * The design notes' nine complexity examples (FIXTURE_TEXTS[0..8]) and the tier each must get
 * (docs/routing.md; test/routing/golden.test.ts serves them). A requirement of the router, so the
 * threshold shift is chosen only among the shifts that give all nine their tier.
 */
export const REFERENCE_TIERS = [0, 0, 0, 1, 1, 1, 2, 2, 2] as const

/** The nine examples as labelled rows (their task is not part of the requirement). */
export const referenceRows = (): LabelledQuery[] =>
  REFERENCE_TIERS.map((tier, i) => ({
    id: `reference:${i}`,
    source: "design notes",
    text: FIXTURE_TEXTS[i] as string,
    task: "general_qa" as const,
    tier: TIERS[tier] as Tier,
    needs: [],
    domain: "other",
    style: "",
  }))
