import { describe, expect, it } from "vitest"
import {
  checkCodePresent,
  checkNonEmpty,
  checkNotRefusal,
  checkNotTruncated,
  checkRepetition,
} from "../../src/validate/checks.js"

describe("validate/checks", () => {
  it("empty and truncated answers", () => {
    expect(checkNonEmpty(" \n\t")).toBe("empty answer")
    expect(checkNonEmpty("ok")).toBeUndefined()
    expect(checkNotTruncated("length")).toMatch(/length limit/)
    expect(checkNotTruncated("stop")).toBeUndefined()
  })

  it("catches an answer that ends in a loop of a word, a phrase or a line", () => {
    expect(checkRepetition(`The answer is ${"the the ".repeat(40)}`)).toMatch(/degenerate repetition: "the"/)
    expect(checkRepetition(`Intro.\n${"I will now explain. ".repeat(12)}`)).toMatch(/I will now explain/)
    expect(checkRepetition(`Steps:\n${"- check the cache again\n".repeat(7)}done`)).toMatch(
      /line "- check the cache again"/,
    )
    expect(checkRepetition("a".repeat(500))).toMatch(/repeated 500 times/)
  })

  it("leaves ordinary lists, tables, code and rules alone", () => {
    const list = Array.from({ length: 30 }, (_, i) => `${i + 1}. Item number ${i + 1} of the plan`).join("\n")
    const table = `| a | b |\n|---|---|\n${Array.from({ length: 20 }, (_, i) => `| ${i} | ${i * i} |`).join("\n")}`
    const code = "```ts\nfor (let i = 0; i < 10; i++) {\n  sum += i\n}\n```"
    for (const ok of [list, table, code, `${"-".repeat(60)}\nSection`, "ha ha ha, very funny"]) {
      expect(checkRepetition(ok)).toBeUndefined()
    }
  })

  it("code answers hold code: a fenced block or lines that read as code", () => {
    expect(checkCodePresent("Here:\n```python\ndef f():\n    return 1\n```")).toBeUndefined()
    expect(checkCodePresent("def f(x):\n    return x * 2\nprint(f(3))")).toBeUndefined()
    expect(checkCodePresent("You could write a function that doubles its input.")).toMatch(/no code/)
    expect(checkCodePresent("```\n```")).toMatch(/no code/)
  })

  it("refusals at the start of the answer", () => {
    expect(checkNotRefusal("I'm sorry, but I can't help with that.")).toBe("the model refused")
    expect(checkNotRefusal("As an AI language model, I cannot browse the web.")).toBe("the model refused")
    expect(checkNotRefusal("I cannot assist with this request.")).toBe("the model refused")
    expect(
      checkNotRefusal("Sure! Here is the summary. I can't stress enough how useful it is."),
    ).toBeUndefined()
    expect(checkNotRefusal("The function can't be inlined because it recurses.")).toBeUndefined()
  })
})
