import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import BetterSqlite3 from "better-sqlite3"
import { afterEach, describe, expect, it } from "vitest"
import { Learner } from "../../src/learning/learner.js"
import { learnerOptionsOf, warmLearner } from "../../src/learning/learning.js"
import { LATEST_VERSION, MIGRATIONS, migrate, schemaVersion } from "../../src/learning/migrations.js"
import { OutcomeStore } from "../../src/learning/store.js"
import { bundledConfig } from "../support/router-env.js"
import { outcomeRow, T0 } from "./rows.js"

const HOUR = 3_600_000
const dirs: string[] = []
const tmpDb = () => {
  const dir = mkdtempSync(join(tmpdir(), "conductor-store-"))
  dirs.push(dir)
  return join(dir, "nested", "outcomes.db")
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const columns = (db: BetterSqlite3.Database) =>
  (db.prepare("PRAGMA table_info(outcomes)").all() as Array<{ name: string }>).map((c) => c.name)

describe("outcome store migrations", () => {
  it("bring an empty database to the latest schema, recording each version", () => {
    const path = tmpDb()
    const store = OutcomeStore.open(path, T0)
    store.close()
    const db = new BetterSqlite3(path)
    expect(schemaVersion(db)).toBe(LATEST_VERSION)
    expect(db.prepare("SELECT version, description FROM schema_version ORDER BY version").all()).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version, description: m.description })),
    )
    expect(columns(db)).toEqual(
      expect.arrayContaining(["request_id", "gpu_seconds", "feedback", "tenant", "explored"]),
    )
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal")
    db.close()
  })

  it("bring a version-1 database forward, keeping its rows", () => {
    const path = tmpDb()
    mkdirSync(dirname(path), { recursive: true })
    // A database as the first schema left it, with one row.
    const old = new BetterSqlite3(path)
    expect(migrate(old, T0, 1)).toEqual([1])
    expect(columns(old)).not.toContain("feedback")
    old
      .prepare(
        `INSERT INTO outcomes (at, request_id, attempt, task, band, complexity, tier, model, outcome,
           quality, total_ms, queue_ms, load_ms, slot_ms, eval_tokens, gpu_seconds)
         VALUES (?, 'old-1', 1, 'general_qa', 'low', 1.0, 'fast', 'mistral:7b', 'completed', 1, 800, 0, 0, 780, 50, 0.08)`,
      )
      .run(T0)
    old.close()

    const store = OutcomeStore.open(path, T0 + 1000)
    expect(store.count()).toBe(1)
    expect(store.answered("old-1")).toEqual({
      rowId: 1,
      task: "general_qa",
      band: "low",
      model: "mistral:7b",
      at: T0,
      quality: 1,
      feedback: undefined,
    })
    store.write(
      [outcomeRow({ requestId: "new-1", tenant: "acme", explored: true })],
      [{ requestId: "old-1", score: 0.4, at: T0 + 2000 }],
    )
    expect(store.answered("old-1")?.feedback).toBe(0.4)
    store.close()
    const db = new BetterSqlite3(path)
    expect(schemaVersion(db)).toBe(LATEST_VERSION)
    expect(db.prepare("SELECT request_id, tenant, explored FROM outcomes ORDER BY id").all()).toEqual([
      { request_id: "old-1", tenant: null, explored: 0 },
      { request_id: "new-1", tenant: "acme", explored: 1 },
    ])
    db.close()
  })

  it("refuse a database written by a newer Conductor", () => {
    const path = tmpDb()
    OutcomeStore.open(path).close()
    const db = new BetterSqlite3(path)
    db.prepare("INSERT INTO schema_version VALUES (?, 'from the future', 0)").run(LATEST_VERSION + 1)
    db.close()
    expect(() => OutcomeStore.open(path)).toThrow(/newer than this Conductor knows/)
  })
})

describe("outcome store", () => {
  it("writes a batch and its feedback in one transaction: all of it or none", () => {
    const store = OutcomeStore.open(":memory:")
    store.write([outcomeRow({ requestId: "a" }), outcomeRow({ requestId: "b" })])
    expect(store.count()).toBe(2)
    // The second row breaks a NOT NULL constraint: the first is rolled back with it.
    const broken = { ...outcomeRow({ requestId: "c" }), model: null as unknown as string }
    expect(() =>
      store.write([outcomeRow({ requestId: "d" }), broken], [{ requestId: "a", score: 0.1, at: T0 }]),
    ).toThrow()
    expect(store.count()).toBe(2)
    expect(store.answered("a")?.feedback).toBeUndefined()
    store.close()
  })

  it("feedback updates only the answered attempt of a request: by rowid, in the same batch, or by its id", () => {
    const store = OutcomeStore.open(":memory:")
    const failed = { outcome: "failed", reason: "Timeout", quality: 0 } as const
    const ids = store.write([
      outcomeRow({ requestId: "x", attempt: 1, model: "m1", ...failed }),
      outcomeRow({ requestId: "x", attempt: 2, model: "m2" }),
      outcomeRow({ requestId: "y", model: "m3" }),
    ])
    expect([...ids]).toEqual([
      ["x", 2],
      ["y", 3],
    ])
    store.write([], [{ requestId: "x", score: 0.75, at: T0 + 5 }])
    expect(store.answered("x")).toMatchObject({ rowId: 2, model: "m2", feedback: 0.75, quality: 1 })
    store.write([], [{ requestId: "y", score: 0.5, at: T0 + 6, rowId: 3 }])
    expect(store.answered("y")?.feedback).toBe(0.5)
    // A row and its feedback in one batch.
    store.write([outcomeRow({ requestId: "z", model: "m4" })], [{ requestId: "z", score: 0.1, at: T0 + 7 }])
    expect(store.answered("z")).toMatchObject({ rowId: 4, feedback: 0.1 })
    expect(store.answered("nope")).toBeUndefined()
    store.close()
  })

  it("prunes outcomes older than the retention", () => {
    const store = OutcomeStore.open(":memory:")
    store.write([0, 1, 2, 3].map((d) => outcomeRow({ requestId: `d${d}`, at: T0 + d * 24 * HOUR })))
    expect(store.prune(T0 + 2 * 24 * HOUR)).toBe(2)
    expect(store.count()).toBe(2)
    store.close()
  })

  it("gives the learner, at start, the evidence it had when it learned live", () => {
    const config = { ...bundledConfig().conductor.learning, halfLife: 6 * HOUR, mode: "on" as const }
    const live = new Learner(learnerOptionsOf(config))
    const store = OutcomeStore.open(":memory:")
    const rows = Array.from({ length: 40 }, (_, i) =>
      outcomeRow({
        requestId: `r${i}`,
        at: T0 + i * 600_000,
        model: i % 3 === 0 ? "llama3.1:8b" : "mistral:7b",
        quality: i % 4 === 0 ? 0 : 1,
        outcome: i % 4 === 0 ? "failed" : "completed",
        gpuSeconds: 0.05 * (i % 5),
        slotMs: 100 * i,
        evalTokens: 10 + i,
      }),
    )
    store.write(rows)
    for (const r of rows) {
      live.update(r.task, r.band, r.model, r.at, {
        quality: r.quality as number,
        gpuSeconds: r.gpuSeconds,
        seconds: r.slotMs / 1000,
        tokens: r.evalTokens,
      })
    }
    // Feedback later, on one answer.
    store.write([], [{ requestId: "r5", score: 0.2, at: T0 + 30 * HOUR }])
    live.correct("general_qa", "low", "mistral:7b", rows[5]?.at as number, 1, 0.2, T0 + 30 * HOUR)
    const now = T0 + 30 * HOUR
    const warm = warmLearner(store, config, now, new Set(["mistral:7b", "llama3.1:8b"]))
    const byModel = (l: Learner) =>
      Object.fromEntries(l.preferences(now).map((p) => [p.model, [p.quality, p.preference, p.evidence]]))
    const a = byModel(live)
    const b = byModel(warm)
    expect(Object.keys(b).sort()).toEqual(["llama3.1:8b", "mistral:7b"])
    for (const m of Object.keys(a)) {
      for (const [i, x] of (a[m] ?? []).entries()) expect(b[m]?.[i]).toBeCloseTo(x, 3)
    }
    // Only models the registry still has are loaded.
    expect(
      warmLearner(store, config, now, new Set(["mistral:7b"]))
        .preferences(now)
        .map((p) => p.model),
    ).toEqual(["mistral:7b"])
    store.close()
  })

  it("sums tenants' spend per hour", () => {
    const store = OutcomeStore.open(":memory:")
    store.write([
      outcomeRow({ requestId: "1", tenant: "a", gpuSeconds: 2, at: T0 + 10 }),
      outcomeRow({ requestId: "2", tenant: "a", gpuSeconds: 3, at: T0 + HOUR + 10 }),
      outcomeRow({ requestId: "3", tenant: "b", gpuSeconds: 1, at: T0 + 20 }),
      outcomeRow({ requestId: "4", gpuSeconds: 9, at: T0 + 30 }),
    ])
    expect([...store.spend(T0)].sort((x, y) => x.tenant.localeCompare(y.tenant) || x.hour - y.hour)).toEqual([
      { tenant: "a", hour: T0, gpu: 2 },
      { tenant: "a", hour: T0 + HOUR, gpu: 3 },
      { tenant: "b", hour: T0, gpu: 1 },
    ])
    store.close()
  })
})
