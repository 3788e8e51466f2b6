import { describe, expect, it } from "vitest"
import { answerTokens, type TextRequest } from "../../../src/backends/sim/text/answer.js"
import { generateTokens } from "../../../src/backends/sim/text/answer-cache.js"
import { hashString, seededRandom } from "../../../src/backends/sim/text/random.js"

const gen = (prompt: string, extra: Partial<TextRequest> = {}): ReadonlyArray<string> =>
  answerTokens({ model: "llama3:8b", prompt, seed: 42, ...extra })
const text = (prompt: string, extra: Partial<TextRequest> = {}): string => gen(prompt, extra).join("")
const SEEDS = Array.from({ length: 40 }, (_, i) => i)

const PROMPTS = {
  code: [
    "Write a Python function to sort a list of users by age",
    "Implement a TypeScript class that caches HTTP responses",
    "Write a SQL query to find the top customers by revenue",
    "Write a bash script that backs up the logs directory",
    "Implement binary search in Rust",
    "Write a function in Go that reverses strings",
    "Refactor the payment module in JavaScript",
  ],
  reasoning: [
    "Explain how quicksort works and compare it to mergesort",
    "Why is the sky blue?",
    "Design a caching layer for a social network",
  ],
  maths: [
    "What is 17 * 23?",
    "What is 144 / 12?",
    "Solve 3x + 5 = 20",
    "Prove that the square root of 2 is irrational",
  ],
  summary: [
    "Summarise this article about climate change and renewable energy policy in Europe",
    "tl;dr of the meeting notes please",
  ],
  creative: [
    "Write a haiku about autumn rain",
    "Write a poem about the sea and the moon",
    "Write a short story about a lighthouse keeper",
    "Come up with five names for a coffee shop",
  ],
  general: ["What is the capital of France?", "Define recursion", "hi"],
} as const

const RANGES: Readonly<Record<keyof typeof PROMPTS, readonly [number, number]>> = {
  general: [20, 80],
  code: [80, 300],
  reasoning: [100, 350],
  summary: [60, 150],
  creative: [20, 120],
  maths: [25, 90],
}

describe("backends/sim/text: hashing and randomness", () => {
  it("hashString is stable FNV-1a", () => {
    expect(hashString("")).toBe(0x811c9dc5)
    expect(hashString("a")).toBe(0xe40c292c)
    expect(hashString("conductor")).toBe(hashString("conductor"))
    expect(hashString("conductor")).not.toBe(hashString("Conductor"))
    expect(Number.isInteger(hashString("x")) && hashString("x") >= 0 && hashString("x") < 2 ** 32).toBe(true)
  })

  it("seededRandom is deterministic per key and stays in [0, 1)", () => {
    const a = seededRandom("fault:model-a")
    const b = seededRandom("fault:model-a")
    const c = seededRandom("fault:model-b")
    const xs = Array.from({ length: 1000 }, () => a())
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs)
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(xs)
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true)
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length
    expect(mean).toBeGreaterThan(0.4)
    expect(mean).toBeLessThan(0.6)
  })
})

describe("backends/sim/text: determinism and pieces", () => {
  const all = Object.values(PROMPTS).flat()

  it("gives the same pieces for the same request", () => {
    for (const p of all) expect(gen(p)).toEqual(gen(p))
    const schema = { type: "object", properties: { title: { type: "string" } }, required: ["title"] }
    expect(gen("Describe a book", { format: schema })).toEqual(gen("Describe a book", { format: schema }))
  })

  it("changes the wording with the seed or the model", () => {
    for (const p of [PROMPTS.general[0], PROMPTS.reasoning[0], PROMPTS.summary[0], PROMPTS.creative[1]]) {
      expect(text(p, { seed: 1 })).not.toBe(text(p, { seed: 2 }))
    }
    const seeds = new Set(SEEDS.map((seed) => text(PROMPTS.code[0], { seed })))
    expect(seeds.size).toBeGreaterThan(10)
    expect(text(PROMPTS.general[0], { model: "mistral:7b" })).not.toBe(text(PROMPTS.general[0]))
  })

  it("never yields an empty piece, and pieces are word-sized", () => {
    for (const p of all) {
      for (const piece of gen(p)) {
        expect(piece.length).toBeGreaterThan(0)
        expect(piece.trim().length === 0 ? piece : piece.trimStart()).toMatch(
          /^(?:\n|[\p{L}\p{N}_]+|[^\s]| +)$/u,
        )
      }
    }
  })

  it("keeps natural lengths within each task's range", () => {
    for (const [task, prompts] of Object.entries(PROMPTS) as [keyof typeof PROMPTS, readonly string[]][]) {
      const [lo, hi] = RANGES[task]
      for (const p of prompts) {
        for (const seed of SEEDS) {
          const n = gen(p, { seed }).length
          expect(n, `${task} "${p}" seed ${seed}`).toBeGreaterThanOrEqual(lo)
          expect(n, `${task} "${p}" seed ${seed}`).toBeLessThanOrEqual(hi)
        }
      }
    }
  })

  it("answers the last user message of a flattened chat", () => {
    const chat =
      "system: You are a poet.\nuser: What is 17 * 23?\nassistant: 391\nuser: Write a haiku about snow"
    expect(text(chat).split("\n")).toHaveLength(3)
    expect(text(chat)).toMatch(/snow/i)
  })

  it("serves a repeated request from its cache: the same answer as written afresh", () => {
    const req: TextRequest = { model: "llama3:8b", prompt: PROMPTS.reasoning[0] as string, seed: 7 }
    const first = generateTokens(req)
    expect(first).toEqual(answerTokens(req))
    expect(generateTokens({ ...req })).toBe(first)
    expect(generateTokens({ ...req, seed: 8 })).toEqual(answerTokens({ ...req, seed: 8 }))
    expect(generateTokens({ ...req, seed: 8 })).not.toEqual(first)
    expect(Object.isFrozen(first)).toBe(true)
  })
})

describe("backends/sim/text: task shapes", () => {
  const fence = (s: string): { lang: string; lines: string[] } | undefined => {
    const m = /```(\w+)\n([\s\S]*?)\n```/.exec(s)
    return m === null ? undefined : { lang: m[1] ?? "", lines: (m[2] ?? "").split("\n") }
  }

  it("answers a code request with a sentence, a tagged fence of 8–30 lines and an explanation", () => {
    for (const seed of SEEDS) {
      const out = text("Write a Python function to sort a list of users by age", { seed })
      const block = fence(out)
      expect(block?.lang).toBe("python")
      expect(block?.lines.length).toBeGreaterThanOrEqual(8)
      expect(block?.lines.length).toBeLessThanOrEqual(30)
      expect(out).toMatch(/^[^\n]+\n\n```python\n/)
      expect(out).toMatch(/\n```\n\n[^\n]+\.$/)
      expect(out).toMatch(/def \w*(?:sort|list|age)\w*\(users/)
    }
  })

  it.each([
    ["Implement a TypeScript class that caches HTTP responses", "typescript"],
    ["Refactor the payment module in JavaScript", "javascript"],
    ["Write a SQL query to find the top customers by revenue", "sql"],
    ["Write a bash script that backs up the logs directory", "bash"],
    ["Implement binary search in Rust", "rust"],
    ["Write a function in Go that reverses strings", "go"],
    ["Fix this function: it crashes on empty input", "python"],
  ])("tags the fence with the requested language: %s", (prompt, lang) => {
    const block = fence(text(prompt))
    expect(block?.lang).toBe(lang)
    expect(block?.lines.length).toBeGreaterThanOrEqual(8)
    expect(block?.lines.length).toBeLessThanOrEqual(30)
  })

  it("lets a code model answer a loose programming question with code", () => {
    const q = "How do I reverse a linked list in Java?"
    expect(text(q)).not.toContain("```")
    expect(text(q, { model: "deepseek-coder:6.7b" })).toContain("```")
  })

  it("answers a reasoning request with 3–7 numbered steps and a conclusion", () => {
    for (const seed of SEEDS) {
      const out = text("Explain how quicksort works and compare it to mergesort", { seed })
      const steps = out.split("\n").filter((l) => /^\d+\. /.test(l))
      expect(steps.length).toBeGreaterThanOrEqual(3)
      expect(steps.length).toBeLessThanOrEqual(7)
      expect(steps.map((l) => Number(l.split(".")[0]))).toEqual(steps.map((_, i) => i + 1))
      const lines = out.split("\n")
      expect(lines[lines.length - 1]).toMatch(/^[A-Z].+\.$/)
      expect(out).toMatch(/quicksort/i)
    }
  })

  it.each([
    ["What is 17 * 23?", "391"],
    ["What is 144 / 12?", "12"],
    ["What is 5 + 7?", "12"],
    ["what is 1000 - 1", "999"],
    ["What is 10 / 4?", "2.5"],
    ["What is 2.5 * 4?", "10"],
    ["What is 7 times 8?", "56"],
    ["What is 123456789 * 987654321?", "121932631112635269"],
  ])("computes %s with working and a final answer", (prompt, answer) => {
    for (const seed of SEEDS.slice(0, 5)) {
      const lines = text(prompt, { seed }).split("\n")
      expect(lines.length).toBeGreaterThanOrEqual(3)
      expect(lines.length).toBeLessThanOrEqual(6)
      expect(lines[lines.length - 1]).toBe(`Answer: ${answer}`)
    }
  })

  it("solves a linear equation and frames a proof", () => {
    expect(text("Solve 3x + 5 = 20").split("\n").at(-1)).toBe("Answer: x = 5")
    const proof = text("Prove that the square root of 2 is irrational").split("\n")
    expect(proof.at(-1)).toMatch(/^Answer: /)
    expect(proof.length).toBeGreaterThanOrEqual(3)
    expect(proof.length).toBeLessThanOrEqual(6)
  })

  it("summarises as 'Summary:' and 3–5 bullet points", () => {
    for (const seed of SEEDS) {
      const [head, ...rest] = text(PROMPTS.summary[0], { seed }).split("\n")
      expect(head).toBe("Summary:")
      expect(rest.length).toBeGreaterThanOrEqual(3)
      expect(rest.length).toBeLessThanOrEqual(5)
      for (const line of rest) expect(line).toMatch(/^- \S/)
    }
  })

  it("writes creative pieces as short lines, a haiku in three", () => {
    for (const seed of SEEDS) {
      const haiku = text("Write a haiku about autumn rain", { seed }).split("\n")
      expect(haiku).toHaveLength(3)
      expect(haiku.join(" ")).toMatch(/autumn rain/)
      const poem = text("Write a poem about the sea and the moon", { seed }).split("\n")
      expect(poem.length).toBeGreaterThanOrEqual(4)
      for (const line of poem) expect(line.length).toBeLessThan(80)
    }
  })

  it("answers general questions in 1–4 sentences on topic", () => {
    for (const seed of SEEDS) {
      const out = text("What is the capital of France?", { seed })
      const sentences = out.split(/(?<=\.) /)
      expect(sentences.length).toBeGreaterThanOrEqual(1)
      expect(sentences.length).toBeLessThanOrEqual(4)
      expect(out).not.toContain("\n")
      expect(out).toMatch(/capital|France/)
    }
  })
})

describe("backends/sim/text: JSON formats", () => {
  it('gives a small valid object for format "json"', () => {
    for (const seed of SEEDS) {
      const out = text("Tell me about Paris", { seed, format: "json" })
      const v = JSON.parse(out) as { answer: unknown; confidence: unknown }
      expect(typeof v.answer).toBe("string")
      expect(typeof v.confidence).toBe("number")
      expect(v.confidence).toBeGreaterThan(0)
      expect(v.confidence).toBeLessThanOrEqual(1)
    }
  })

  it("fills every property of a schema with values of the declared types", () => {
    const schema = {
      type: "object",
      properties: {
        name: { type: "string" },
        score: { type: "number", minimum: 0, maximum: 1 },
        age: { type: "integer", minimum: 18, maximum: 99 },
        active: { type: "boolean" },
        tags: { type: "array", items: { type: "string" } },
        level: { type: "string", enum: ["low", "medium", "high"] },
        address: { type: "object", properties: { city: { type: "string" }, zip: { type: "integer" } } },
        note: { type: ["string", "null"] },
      },
      required: ["name", "score", "active", "tags", "level", "id"],
    }
    for (const seed of SEEDS) {
      const out = text("Describe a new user of the billing service", { seed, format: schema })
      const v = JSON.parse(out) as Record<string, unknown>
      expect(Object.keys(v).sort()).toEqual(
        ["name", "score", "age", "active", "tags", "level", "address", "note", "id"].sort(),
      )
      expect(typeof v.name).toBe("string")
      expect(typeof v.score).toBe("number")
      expect(v.score).toBeGreaterThanOrEqual(0)
      expect(v.score).toBeLessThanOrEqual(1)
      expect(Number.isInteger(v.age)).toBe(true)
      expect(v.age).toBeGreaterThanOrEqual(18)
      expect(v.age).toBeLessThanOrEqual(99)
      expect(typeof v.active).toBe("boolean")
      expect(Array.isArray(v.tags) && v.tags.length > 0 && v.tags.every((t) => typeof t === "string")).toBe(
        true,
      )
      expect(v.level).toBe("low")
      const address = v.address as Record<string, unknown>
      expect(typeof address.city).toBe("string")
      expect(Number.isInteger(address.zip)).toBe(true)
      expect(typeof v.note).toBe("string")
      expect(typeof v.id).toBe("string")
    }
  })

  it("emits only JSON, even for prompts that would otherwise get code or steps", () => {
    for (const p of [PROMPTS.code[0], PROMPTS.reasoning[0], PROMPTS.maths[0]]) {
      const out = text(p, { format: "json" })
      expect(out.startsWith("{")).toBe(true)
      expect(() => JSON.parse(out)).not.toThrow()
      expect(out).not.toContain("```")
    }
  })
})
