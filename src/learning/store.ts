/**
 * The outcome store: an embedded SQLite database (better-sqlite3) in WAL mode with
 * `synchronous = NORMAL`, so a committed batch survives the process being killed (only an OS
 * crash or power cut can lose the last commits) and readers never block the writer. One row per
 * attempt (schema in migrations.ts). Writes come in batches, one transaction each, from the
 * recorder's flush — never from the request path. Reads serve the warm start (decayed evidence
 * per arm, aggregated in SQL with the same decay function the learner uses), tenants' spend,
 * feedback lookups and `conductor stats`.
 */
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import BetterSqlite3, { type Database, type Statement } from "better-sqlite3"
import type { TaskType } from "../domain/task.js"
import type { Tier } from "../domain/tier.js"
import { decayFactor, type Evidence } from "./evidence.js"
import type { Band } from "./learner.js"
import { migrate } from "./migrations.js"

export type AttemptOutcome = "completed" | "failed" | "cancelled"

export interface OutcomeRow {
  /** Epoch ms the attempt ended. */
  readonly at: number
  readonly requestId: string
  readonly attempt: number
  readonly tenant: string | undefined
  readonly task: TaskType
  readonly band: Band
  readonly complexity: number
  readonly tier: Tier
  readonly persona: string | undefined
  readonly model: string
  readonly outcome: AttemptOutcome
  readonly reason: string | undefined
  readonly validation: "passed" | "failed" | undefined
  /** Implicit quality 0–1, or undefined when the attempt says nothing about the model. */
  readonly quality: number | undefined
  readonly ttftMs: number | undefined
  readonly totalMs: number
  readonly queueMs: number
  readonly loadMs: number
  readonly slotMs: number
  readonly promptTokens: number | undefined
  readonly evalTokens: number
  readonly gpuSeconds: number
  readonly feedback: number | undefined
  readonly rulesModel: string | undefined
  readonly learnedModel: string | undefined
  readonly explored: boolean
}

export interface FeedbackUpdate {
  readonly requestId: string
  readonly score: number
  /** Epoch ms it arrived. */
  readonly at: number
  /** The answered row's rowid, when known (else found in the same batch, else by a scan). */
  readonly rowId?: number | undefined
}

/** The answered attempt of a request, as feedback needs it. */
export interface AnsweredRow {
  /** Its rowid once written. */
  readonly rowId?: number | undefined
  readonly task: TaskType
  readonly band: Band
  readonly model: string
  readonly at: number
  readonly quality: number | undefined
  readonly feedback: number | undefined
}

export interface ArmEvidence {
  readonly task: TaskType
  readonly band: Band
  readonly model: string
  readonly evidence: Evidence
}

/** Per task type and model, for `conductor stats`. */
export interface StatsGroup {
  readonly task: string
  readonly model: string
  readonly requests: number
  readonly completed: number
  readonly failed: number
  readonly feedback: number
  readonly meanFeedback: number | undefined
  readonly gpuSeconds: number
  /** Completed attempts' total times, ascending. */
  readonly latenciesMs: ReadonlyArray<number>
}

const INSERT = `INSERT INTO outcomes (
  at, request_id, attempt, tenant, task, band, complexity, tier, persona, model, outcome, reason,
  validation, quality, ttft_ms, total_ms, queue_ms, load_ms, slot_ms, prompt_tokens, eval_tokens,
  gpu_seconds, feedback, feedback_at, rules_model, learned_model, explored
) VALUES (
  @at, @requestId, @attempt, @tenant, @task, @band, @complexity, @tier, @persona, @model, @outcome,
  @reason, @validation, @quality, @ttftMs, @totalMs, @queueMs, @loadMs, @slotMs, @promptTokens,
  @evalTokens, @gpuSeconds, @feedback, @feedbackAt, @rulesModel, @learnedModel, @explored
)`

const nullable = <T>(v: T | undefined): T | null => (v === undefined ? null : v)

export class OutcomeStore {
  private readonly insert: Statement
  private readonly setFeedback: Statement
  private readonly setFeedbackById: Statement
  private readonly writeBatch: (
    rows: ReadonlyArray<OutcomeRow>,
    fb: ReadonlyArray<FeedbackUpdate>,
  ) => ReadonlyMap<string, number>

  private constructor(
    readonly path: string,
    private readonly db: Database,
  ) {
    this.insert = db.prepare(INSERT)
    this.setFeedback = db.prepare(
      "UPDATE outcomes SET feedback = ?, feedback_at = ? WHERE request_id = ? AND outcome = 'completed'",
    )
    this.setFeedbackById = db.prepare("UPDATE outcomes SET feedback = ?, feedback_at = ? WHERE id = ?")
    this.writeBatch = db.transaction((rows, fb) => {
      const answered = new Map<string, number>()
      for (const r of rows) {
        const id = Number(this.insert.run(bindRow(r)).lastInsertRowid)
        if (r.outcome === "completed") answered.set(r.requestId, id)
      }
      for (const f of fb) {
        const rowId = f.rowId ?? answered.get(f.requestId)
        if (rowId !== undefined) this.setFeedbackById.run(f.score, f.at, rowId)
        else this.setFeedback.run(f.score, f.at, f.requestId)
      }
      return answered
    })
  }

  /**
   * Open (creating the file and its directory when missing) and migrate to the latest schema.
   * `:memory:` gives a private in-memory database.
   */
  static open(path: string, now: number = Date.now()): OutcomeStore {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true })
    const db = new BetterSqlite3(path)
    try {
      db.pragma("journal_mode = WAL")
      db.pragma("synchronous = NORMAL")
      db.pragma("busy_timeout = 5000")
      db.function("decay", { deterministic: true }, (age, halfLife) =>
        decayFactor(Number(age), Number(halfLife)),
      )
      migrate(db, now)
    } catch (e) {
      db.close()
      throw e
    }
    return new OutcomeStore(path, db)
  }

  /**
   * Insert `rows` and apply `feedback`, in one transaction (all or nothing). Returns the rowids
   * of the answered (completed) rows, by request id.
   */
  write(
    rows: ReadonlyArray<OutcomeRow>,
    feedback: ReadonlyArray<FeedbackUpdate> = [],
  ): ReadonlyMap<string, number> {
    if (rows.length === 0 && feedback.length === 0) return new Map()
    return this.writeBatch(rows, feedback)
  }

  /** Delete outcomes that ended before `before` (epoch ms); returns how many. */
  prune(before: number): number {
    return this.db.prepare("DELETE FROM outcomes WHERE at < ?").run(before).changes
  }

  /** Rows in the store. */
  count(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM outcomes").get() as { n: number }).n
  }

  /**
   * The answered attempt of a request, for feedback on one no longer in memory: a scan (request
   * ids are not indexed), newest first.
   */
  answered(requestId: string): AnsweredRow | undefined {
    const r = this.db
      .prepare(
        `SELECT id, task, band, model, at, quality, feedback FROM outcomes
         WHERE request_id = ? AND outcome = 'completed' ORDER BY id DESC LIMIT 1`,
      )
      .get(requestId) as
      | {
          id: number
          task: TaskType
          band: Band
          model: string
          at: number
          quality: number | null
          feedback: number | null
        }
      | undefined
    if (r === undefined) return undefined
    return {
      rowId: r.id,
      task: r.task,
      band: r.band,
      model: r.model,
      at: r.at,
      quality: r.quality ?? undefined,
      feedback: r.feedback ?? undefined,
    }
  }

  /** Every arm's decayed evidence as of `now`, from outcomes since `since` (the warm start). */
  arms(since: number, now: number, halfLifeMs: number): ReadonlyArray<ArmEvidence> {
    const rows = this.db
      .prepare(
        `SELECT task, band, model, SUM(w) AS n, SUM(w * q) AS good, SUM(w * gpu_seconds) AS gpu,
                SUM(w * slot_ms) / 1000.0 AS seconds, SUM(w * eval_tokens) AS tokens
         FROM (SELECT task, band, model, gpu_seconds, slot_ms, eval_tokens,
                      COALESCE(feedback, quality) AS q, decay(@now - at, @halfLife) AS w
               FROM outcomes WHERE at >= @since AND quality IS NOT NULL)
         GROUP BY task, band, model`,
      )
      .all({ now, halfLife: halfLifeMs, since }) as Array<{
      task: TaskType
      band: Band
      model: string
      n: number
      good: number
      gpu: number
      seconds: number
      tokens: number
    }>
    return rows.map((r) => ({
      task: r.task,
      band: r.band,
      model: r.model,
      evidence: { n: r.n, good: r.good, gpu: r.gpu, seconds: r.seconds, tokens: r.tokens, at: now },
    }))
  }

  /** GPU-seconds spent per tenant and hour (epoch ms of the hour's start) since `since`. */
  spend(
    since: number,
  ): ReadonlyArray<{ readonly tenant: string; readonly hour: number; readonly gpu: number }> {
    return (
      this.db
        .prepare(
          `SELECT tenant, (at / 3600000) * 3600000 AS hour, SUM(gpu_seconds) AS gpu FROM outcomes
           WHERE at >= ? AND tenant IS NOT NULL GROUP BY tenant, hour`,
        )
        .all(since) as Array<{ tenant: string; hour: number; gpu: number }>
    ).map((r) => ({ tenant: r.tenant, hour: r.hour, gpu: r.gpu }))
  }

  /** Per task type and model, outcomes since `since`. */
  stats(since: number): ReadonlyArray<StatsGroup> {
    const groups = this.db
      .prepare(
        `SELECT task, model, COUNT(*) AS requests, SUM(outcome = 'completed') AS completed,
                SUM(outcome = 'failed') AS failed, COUNT(feedback) AS feedback,
                AVG(feedback) AS meanFeedback, SUM(gpu_seconds) AS gpuSeconds
         FROM outcomes WHERE at >= ? GROUP BY task, model ORDER BY task, requests DESC, model`,
      )
      .all(since) as Array<Omit<StatsGroup, "latenciesMs" | "meanFeedback"> & { meanFeedback: number | null }>
    const latencies = new Map<string, number[]>()
    const scan = this.db.prepare(
      `SELECT task, model, total_ms AS ms FROM outcomes
       WHERE at >= ? AND outcome = 'completed' ORDER BY task, model, total_ms`,
    )
    for (const r of scan.iterate(since) as IterableIterator<{ task: string; model: string; ms: number }>) {
      const key = `${r.task}\u0000${r.model}`
      let list = latencies.get(key)
      if (list === undefined) {
        list = []
        latencies.set(key, list)
      }
      list.push(r.ms)
    }
    return groups.map((g) => ({
      ...g,
      meanFeedback: g.meanFeedback ?? undefined,
      latenciesMs: latencies.get(`${g.task}\u0000${g.model}`) ?? [],
    }))
  }

  /** The database's integrity check ("ok" when sound). */
  integrity(): string {
    return String(this.db.pragma("integrity_check", { simple: true }))
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}

const bindRow = (r: OutcomeRow): Record<string, unknown> => ({
  at: Math.round(r.at),
  requestId: r.requestId,
  attempt: r.attempt,
  tenant: nullable(r.tenant),
  task: r.task,
  band: r.band,
  complexity: r.complexity,
  tier: r.tier,
  persona: nullable(r.persona),
  model: r.model,
  outcome: r.outcome,
  reason: nullable(r.reason),
  validation: nullable(r.validation),
  quality: nullable(r.quality),
  ttftMs: nullable(r.ttftMs),
  totalMs: r.totalMs,
  queueMs: r.queueMs,
  loadMs: r.loadMs,
  slotMs: r.slotMs,
  promptTokens: nullable(r.promptTokens),
  evalTokens: r.evalTokens,
  gpuSeconds: r.gpuSeconds,
  feedback: nullable(r.feedback),
  feedbackAt: r.feedback === undefined ? null : Math.round(r.at),
  rulesModel: nullable(r.rulesModel),
  learnedModel: nullable(r.learnedModel),
  explored: r.explored ? 1 : 0,
})
