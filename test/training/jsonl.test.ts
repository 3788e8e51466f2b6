import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { readJsonl } from "../../training/routing/jsonl.js"

const file = (text: string): string => {
  const f = join(mkdtempSync(join(tmpdir(), "jsonl-")), "rows.jsonl")
  writeFileSync(f, text)
  return f
}

describe("training/routing/jsonl", () => {
  it("gives each object with its line, skipping blank lines", () => {
    const f = file('{"a":1}\n\n{"a":2}\n')
    expect(readJsonl(f)).toEqual([
      { line: 1, where: `${f}:1`, o: { a: 1 } },
      { line: 3, where: `${f}:3`, o: { a: 2 } },
    ])
  })

  it("names the file and line of bad JSON and of a line that is not an object", () => {
    expect(() => readJsonl(file('{"a":1}\n{"a":\n'))).toThrow(/rows\.jsonl:2: invalid JSON: /)
    expect(() => readJsonl(file('{"a":1}\n[1, 2]\n'))).toThrow(/rows\.jsonl:2: expected a JSON object$/)
  })
})
