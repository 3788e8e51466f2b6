import { describe, expect, it } from "vitest"
import type { RunningModel } from "../../src/backends/port.js"
import { reconcileDiff, type TableRow } from "../../src/gpu/reconcile.js"

const row = (name: string, state: TableRow["state"], heldBytes?: number, unchanged = true): TableRow => ({
  name,
  state,
  heldBytes,
  unchanged,
})
const run = (name: string, vramBytes: number): RunningModel => ({
  name,
  sizeBytes: vramBytes,
  vramBytes,
  contextLength: 8192,
})

describe("gpu/reconcile", () => {
  it("loses a model the backend no longer runs, resizes one whose size differs, adopts one it runs that we do not", () => {
    const actions = reconcileDiff(
      [row("a:1b", "resident", 1e9), row("b:1b", "resident", 2e9), row("c:1b", "unloaded")],
      [run("b:1b", 2.5e9), run("c:1b", 3e9), run("ext", 4e9)],
    )
    expect(actions).toEqual([
      { kind: "lose", name: "a:1b", reason: "reconciled" },
      { kind: "resize", name: "b:1b", bytes: 2.5e9 },
      { kind: "adopt", name: "c:1b", bytes: 3e9 },
      { kind: "adopt", name: "ext", bytes: 4e9 },
    ])
  })

  it("several models gone at once and nothing left is a crash; sizes within 1% are the same", () => {
    expect(reconcileDiff([row("a:1b", "resident", 1e9), row("b:1b", "draining", 2e9)], [])).toEqual([
      { kind: "lose", name: "a:1b", reason: "crash" },
      { kind: "lose", name: "b:1b", reason: "crash" },
    ])
    expect(reconcileDiff([row("a:1b", "resident", 1e9)], [run("a:1b", 1.005e9)])).toEqual([])
  })

  it("entries that changed while the list was fetched, and models loading or unloading, are left alone", () => {
    expect(
      reconcileDiff(
        [
          row("a:1b", "resident", 1e9, false),
          row("b:1b", "unloaded", undefined, false),
          row("c:1b", "loading", 1e9),
        ],
        [run("b:1b", 1e9), run("c:1b", 1e9)],
      ),
    ).toEqual([])
  })

  it("`name` and `name:latest` are one model", () => {
    expect(reconcileDiff([row("nomic", "resident", 1e9)], [run("nomic:latest", 1e9)])).toEqual([])
  })
})
