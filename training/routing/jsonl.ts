/** Reading JSONL files line by line, with every error naming the file and the line. */
import { readFileSync } from "node:fs"

export interface JsonlLine {
  /** 1-based line number in the file. */
  readonly line: number
  /** `file:line`, the prefix of every error about this line. */
  readonly where: string
  readonly o: Record<string, unknown>
}

/**
 * The JSON objects of a JSONL file, each with where it is (`file:line`; blank lines skipped);
 * throws `file:line: invalid JSON: …` or `file:line: expected a JSON object` on the first bad line.
 */
export const readJsonl = (file: string): JsonlLine[] => {
  const out: JsonlLine[] = []
  for (const [i, line] of readFileSync(file, "utf8").split("\n").entries()) {
    if (line.trim() === "") continue
    const where = `${file}:${i + 1}`
    let o: unknown
    try {
      o = JSON.parse(line)
    } catch (e) {
      throw new Error(`${where}: invalid JSON: ${(e as Error).message}`)
    }
    if (typeof o !== "object" || o === null || Array.isArray(o))
      throw new Error(`${where}: expected a JSON object`)
    out.push({ line: i + 1, where, o: o as Record<string, unknown> })
  }
  return out
}
