import { describe, expect, it } from "vitest"
import type { TaskType } from "../../src/domain/task.js"
import { classify } from "../../src/routing/classify.js"
import { readQuery } from "../../src/routing/text.js"

const task = (q: string, docs?: number) =>
  classify(readQuery(q), docs !== undefined ? { retrievedDocs: docs } : undefined)

describe("routing/classify", () => {
  const cases: ReadonlyArray<readonly [string, TaskType]> = [
    ["Write a Python function to sort a list", "code_generation"],
    ["Debug this code: it throws a TypeError on line 3", "code_generation"],
    ["Refactor this class to use dependency injection", "code_generation"],
    ["How do I reverse a linked list in Java?", "code_generation"],
    ["Why does X happen when I heat it?", "reasoning"],
    ["Compare A and B", "reasoning"],
    ["Explain how quicksort works and compare it to mergesort", "reasoning"],
    ["What is 17 * 23?", "mathematical"],
    ["Solve 3x + 5 = 20", "mathematical"],
    ["Prove that the square root of 2 is irrational", "mathematical"],
    ["Summarise this article in three bullet points", "summarisation"],
    ["tl;dr of the meeting notes please", "summarisation"],
    ["Write a haiku about autumn rain", "creative"],
    ["Come up with five names for a coffee shop", "creative"],
    ["Rephrase this search query to get better results: cheap flights paris", "query_rewriting"],
    ["According to the attached contract, when does the lease end?", "rag_query"],
    ["Send an email to Anna about tomorrow's meeting", "tool_use"],
    ["What's the current weather in Berlin?", "tool_use"],
    ["What is the capital of France?", "general_qa"],
    ["Define recursion", "general_qa"],
    ["How do I install numpy?", "general_qa"],
  ]
  it.each(cases)("%s → %s", (query, expected) => {
    expect(task(query).type).toBe(expected)
  })

  it("treats a plain question with retrieved documents as a RAG query", () => {
    expect(task("When was the warranty extended?", 4).type).toBe("rag_query")
  })

  it("falls back to general_qa with middling confidence when nothing matches", () => {
    const c = task("Tell me about the Eiffel Tower")
    expect(c.type).toBe("general_qa")
    expect(c.confidence).toBeGreaterThanOrEqual(0.5)
    expect(c.confidence).toBeLessThan(0.9)
  })

  it("is more confident when the evidence is one-sided", () => {
    expect(task("Write a Python function to parse CSV files").confidence).toBeGreaterThan(
      task("Explain why this Python function is slow").confidence,
    )
  })

  it("detects tool and vision needs as hard capability requirements", () => {
    expect(task("Book a meeting with the design team for Friday").needs).toContain("tools")
    expect(task("What is written in this screenshot?").needs).toContain("vision")
    expect(task("What is the capital of France?").needs).toEqual([])
  })

  it("lists the scores it considered, highest first", () => {
    const c = task("Write a Python function and explain why it is fast")
    expect(c.scores[0]?.task).toBe("code_generation")
    expect(c.scores.map((s) => s.score)).toEqual([...c.scores.map((s) => s.score)].sort((a, b) => b - a))
  })
})
