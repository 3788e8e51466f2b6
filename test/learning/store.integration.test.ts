import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import BetterSqlite3 from "better-sqlite3"
import { afterAll, describe, expect, it } from "vitest"
import { OutcomeStore } from "../../src/learning/store.js"

const ROOT = fileURLToPath(new URL("../..", import.meta.url))
const dir = mkdtempSync(join(tmpdir(), "conductor-crash-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("outcome store under kill -9", () => {
  it("keeps every committed flush, loses at most the batch being written, and stays sound", async () => {
    const path = join(dir, "outcomes.db")
    // tsx as a loader in this one process (its CLI runs the script in a grandchild, which SIGKILL
    // would not reach).
    const child = spawn(
      process.execPath,
      ["--import", "tsx", `${ROOT}test/learning/fixtures/crash-writer.ts`, path],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    )
    // The child's own account, to its last line (the kill may land a little after it is sent).
    let ended = 0
    let committed = 0
    let writes = 0
    /** A batch announced and not yet reported committed. */
    let inFlight = 0
    const batches: number[] = []
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d
    })
    let buffer = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      buffer += d
      const lines = buffer.split("\n")
      buffer = lines.pop() ?? ""
      for (const line of lines) {
        const [word, n] = line.split(" ")
        const value = Number(n)
        if (word === "ended") ended = value
        else if (word === "written") {
          committed = value
          inFlight = 0
        } else if (word === "writing") {
          inFlight = value
          batches.push(value)
          // Kill it as its third batch goes in: mid-transaction, or just after it.
          if (++writes === 3) child.kill("SIGKILL")
        }
      }
    })
    const exit = await new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_c, s) => resolve(s)),
    )
    expect(exit, stderr).toBe("SIGKILL")
    expect(writes).toBeGreaterThanOrEqual(3)

    const db = new BetterSqlite3(path)
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok")
    const ids = (
      db.prepare("SELECT request_id FROM outcomes ORDER BY id").all() as Array<{ request_id: string }>
    ).map((r) => Number(r.request_id.slice(4)))
    db.close()
    const stored = ids.length
    // The batch being written is all there or not at all; every batch before it is there.
    expect(inFlight === 0 ? [committed] : [committed, committed + inFlight]).toContain(stored)
    expect(stored).toBeGreaterThanOrEqual(batches.slice(0, 2).reduce((a, b) => a + b, 0))
    // No holes: what is stored is the oldest requests, in order.
    expect(ids).toEqual(Array.from({ length: stored }, (_, i) => i + 1))
    // What was lost is what the last flush interval produced: never more than a flush's batch.
    const lost = ended - stored
    expect(lost).toBeGreaterThanOrEqual(0)
    expect(lost).toBeLessThanOrEqual(Math.max(...batches) + 8)

    // The store opens again and takes writes.
    const reopened = OutcomeStore.open(path)
    expect(reopened.integrity()).toBe("ok")
    expect(reopened.count()).toBe(stored)
    reopened.close()
  }, 60_000)
})
