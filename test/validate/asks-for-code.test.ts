import { describe, expect, it } from "vitest"
import { asksForCode } from "../../src/validate/asks-for-code.js"

describe("validate/asks-for-code", () => {
  it("requests for code ask for code", () => {
    for (const q of [
      "Write a Python function that implements an LRU cache with eviction, with tests.",
      "Refactor this TypeScript module to remove duplication.",
      "fix this: def f(x): return x +",
      "Implement a JSON parser in Rust",
      "Python one-liner to flatten a list of lists",
      "convert this bash loop to a python script",
      "Can you write a SQL query for the top 5 customers by revenue?",
      "Review this function and fix the bugs you find.",
      "Explain closures in JavaScript and show me the code for a counter.",
      // Imperatives that ask for code without a "write" verb are not read as questions.
      "List all files in a directory recursively in Python",
      "Find duplicate rows in a Postgres table with one query",
      "Do a binary search over a sorted slice in Go",
    ])
      expect(asksForCode(q), q).toBe(true)
  })

  it("requests about code do not", () => {
    for (const q of [
      "Review this auth pull request: list bugs, missing tests and style problems.",
      "Explain what this regex does: ^[a-z]+$",
      "What does `git rebase --onto` do?",
      "why does this recursion never terminate?",
      "Please review my Dockerfile for security problems.",
      "Compare Rust's ownership model with C++ smart pointers.",
      "How does the event loop in Node.js work?",
      "can you explain this stack trace?",
    ])
      expect(asksForCode(q), q).toBe(false)
  })

  it("reads only the opening of a long query", () => {
    expect(asksForCode(`Review this diff:\n${"x".repeat(5_000)}\nthen write the fix`)).toBe(false)
  })
})
