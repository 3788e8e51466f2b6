/**
 * The outcome recorder: it follows requests on the event bus and turns each attempt into one
 * outcome row — timings from the attempt's events (start, lease, first token, end), its outcome
 * and reason from the terminal event's attempt list, GPU-seconds from the slot time and the
 * model's share of the budget — and queues it. Nothing touches the store on the request path:
 * a timer flushes the queue every `flushMs` (≤ 1 s) in one transaction, and only then do the
 * learner and the tenants' budgets learn from the rows, so a kill -9 loses at most the last
 * flush interval. Feedback is queued the same way, as an update of the answered row and a
 * correction of the learner; feedback on a request still running waits for its end.
 */
import type { Attempt, ConductorEvent, LearningFeedback, LearningPreference } from "../domain/events.js"
import type { TaskType } from "../domain/task.js"
import type { Tier } from "../domain/tier.js"
import type { TenantBudgets } from "./budget.js"
import { unknownRequest } from "./feedback.js"
import type { Band, Learner } from "./learner.js"
import type { AnsweredRow, FeedbackUpdate, OutcomeRow } from "./store.js"

/** What the recorder writes to (the store, or a spy in tests). */
export interface OutcomeSink {
  /** One transaction; returns the rowids of the answered rows written, by request id. */
  write(rows: ReadonlyArray<OutcomeRow>, feedback: ReadonlyArray<FeedbackUpdate>): ReadonlyMap<string, number>
  prune(before: number): number
  answered(requestId: string): AnsweredRow | undefined
}

/** Failures that say nothing about the model's answers (the backend down, a full queue, an open breaker). */
const NOT_ABOUT_THE_MODEL: ReadonlySet<string> = new Set([
  "Unavailable",
  "QueueFull",
  "CircuitOpen",
  "Cancelled",
])
/** Answered requests kept in memory for feedback (older ones are looked up in the store, by a scan). */
const RECENT = 50_000
const PRUNE_EVERY_MS = 3_600_000

export interface RecorderDeps {
  readonly subscribe: (listener: (e: ConductorEvent) => void) => () => void
  /** Epoch ms of an event's `at` (Conductor's clock). */
  readonly epochOf: (at: number) => number
  /** Epoch ms now. */
  readonly now: () => number
  /** Share of the GPU budget one slot of the model holds. */
  readonly share: (model: string) => number
  readonly tierOf: (model: string) => Tier | undefined
  readonly sink: OutcomeSink
  readonly learner: Learner
  readonly budgets: TenantBudgets
  readonly retentionMs: number
  readonly flushMs: number
  /** Call `fn` every `ms` until the returned function is called. */
  readonly every: (ms: number, fn: () => void) => () => void
  /** After each flush that did something. */
  readonly flushed?: (
    written: number,
    preferences: ReadonlyArray<LearningPreference>,
    error: string | undefined,
    feedback: ReadonlyArray<LearningFeedback>,
  ) => void
}

/** What the routing step knew about a request that events do not carry. */
export interface RequestFacts {
  readonly tenant: string | undefined
  readonly band: Band
  readonly rulesModel: string | undefined
  readonly learnedModel: string | undefined
  readonly explored: boolean
}

interface AttemptTimes {
  readonly startAt: number
  generationAt: number | undefined
  firstTokenAt: number | undefined
  chars: number
  loadMs: number
  validation: "passed" | "failed" | undefined
}

interface Live {
  readonly facts: RequestFacts
  readonly task: TaskType
  readonly complexity: number
  readonly persona: string | undefined
  readonly attempts: AttemptTimes[]
  feedback: number | undefined
}

interface Correction {
  readonly row: AnsweredRow
  readonly to: number
}

const attemptAt = (startAt: number): AttemptTimes => ({
  startAt,
  generationAt: undefined,
  firstTokenAt: undefined,
  chars: 0,
  loadMs: 0,
  validation: undefined,
})

const ms3 = (x: number) => Math.round(x * 1000) / 1000

export class Recorder {
  private readonly facts = new Map<string, RequestFacts>()
  private readonly live = new Map<string, Live>()
  private readonly recent = new Map<string, AnsweredRow>()
  private rows: OutcomeRow[] = []
  private updates: FeedbackUpdate[] = []
  private corrections: Correction[] = []
  /** Feedback on answered requests since the last flush, for the `learning` event. */
  private rated: Array<{ task: LearningFeedback["task"]; score: number }> = []
  private lastPrune = Number.NEGATIVE_INFINITY
  private readonly unsubscribe: () => void
  private readonly stopTimer: () => void

  constructor(private readonly d: RecorderDeps) {
    this.unsubscribe = d.subscribe((e) => this.observe(e))
    this.stopTimer = d.every(d.flushMs, () => this.flush())
  }

  /** Rows and feedback waiting for the next flush. */
  get pending(): number {
    return this.rows.length + this.updates.length
  }

  /** The routing step's facts about request `id` (called before its `routed` event). */
  expect(id: string, facts: RequestFacts): void {
    this.facts.set(id, facts)
  }

  /**
   * Feedback on request `id` (score 0–1, checked by the caller). A running request keeps it for
   * its end; an answered one has its row updated at the next flush. Unknown ids are refused.
   */
  feedback(id: string, score: number): "pending" | "queued" {
    const running = this.live.get(id)
    if (running !== undefined) {
      running.feedback = score
      return "pending"
    }
    const row = this.recent.get(id) ?? this.d.sink.answered(id)
    if (row === undefined) throw unknownRequest(id)
    const at = this.d.now()
    this.updates.push({ requestId: id, score, at, rowId: row.rowId })
    this.rated.push({ task: row.task, score })
    if (row.quality !== undefined) this.corrections.push({ row, to: score })
    this.remember(id, { ...row, feedback: score })
    return "queued"
  }

  /** Write what is queued (one transaction), then learn from it. */
  flush(): void {
    const now = this.d.now()
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now
      try {
        this.d.sink.prune(now - this.d.retentionMs)
      } catch {
        // A failed prune is retried at the next hour; nothing is lost.
      }
    }
    if (this.rows.length === 0 && this.updates.length === 0) return
    const rows = this.rows
    const updates = this.updates
    const corrections = this.corrections
    const rated = this.rated
    this.rows = []
    this.updates = []
    this.corrections = []
    this.rated = []
    let error: string | undefined
    try {
      for (const [requestId, rowId] of this.d.sink.write(rows, updates)) {
        const known = this.recent.get(requestId)
        if (known !== undefined) this.recent.set(requestId, { ...known, rowId })
      }
    } catch (e) {
      error = `outcome store: ${e instanceof Error ? e.message : String(e)}`
    }
    const changed = new Set<string>()
    const l = this.d.learner
    for (const r of rows) {
      if (r.tenant !== undefined) this.d.budgets.add(r.tenant, r.gpuSeconds, r.at)
      if (r.quality === undefined) continue
      l.update(r.task, r.band, r.model, r.at, {
        quality: r.feedback ?? r.quality,
        gpuSeconds: r.gpuSeconds,
        seconds: r.slotMs / 1000,
        tokens: r.evalTokens,
      })
      changed.add(`${r.task}|${r.band}|${r.model}`)
    }
    for (const c of corrections) {
      const from = c.row.feedback ?? (c.row.quality as number)
      l.correct(c.row.task, c.row.band, c.row.model, c.row.at, from, c.to, now)
      changed.add(`${c.row.task}|${c.row.band}|${c.row.model}`)
    }
    const preferences = l.preferences(now).filter((p) => changed.has(`${p.task}|${p.band}|${p.model}`))
    // Feedback applied: on answered rows (queued updates) and given while the request ran.
    const byTask = new Map<
      LearningFeedback["task"],
      { task: LearningFeedback["task"]; count: number; score: number }
    >()
    const count = (task: LearningFeedback["task"], score: number) => {
      const f = byTask.get(task) ?? { task, count: 0, score: 0 }
      f.count++
      f.score += score
      byTask.set(task, f)
    }
    for (const r of rated) count(r.task, r.score)
    for (const r of rows) if (r.feedback !== undefined) count(r.task, r.feedback)
    this.d.flushed?.(rows.length, preferences, error, [...byTask.values()])
  }

  /** Flush and stop: no more events are followed, nothing is left queued. */
  close(): void {
    this.unsubscribe()
    this.stopTimer()
    this.flush()
  }

  // ---------------------------------------------------------------- following requests

  private observe(e: ConductorEvent): void {
    if (!("id" in e)) return
    const at = e.at ?? 0
    if (e.type === "routed") {
      const facts = this.facts.get(e.id)
      if (facts === undefined) return
      this.facts.delete(e.id)
      const d = e.decision
      this.live.set(e.id, {
        facts,
        task: d.taskType,
        complexity: d.complexity,
        persona: d.breakdown.persona?.name,
        attempts: [attemptAt(at)],
        feedback: undefined,
      })
      return
    }
    const r = this.live.get(e.id)
    if (r === undefined) {
      // A request that failed routing, or an embedding: not learned from.
      if (e.type === "completed" || e.type === "failed" || e.type === "cancelled") this.facts.delete(e.id)
      return
    }
    const a = r.attempts[r.attempts.length - 1] as AttemptTimes
    switch (e.type) {
      case "token":
      case "thinking":
        if (a.firstTokenAt === undefined) a.firstTokenAt = at
        a.chars += e.text.length
        return
      case "tool_call":
        if (a.firstTokenAt === undefined) a.firstTokenAt = at
        return
      case "started":
        a.generationAt = at
        return
      case "loaded":
        a.loadMs += e.loadMs
        return
      case "validated":
        a.validation = e.ok ? "passed" : "failed"
        return
      case "fallback":
        r.attempts.push(attemptAt(at))
        return
      case "completed":
        this.end(e.id, r, at, e.attempts, e.usage)
        return
      case "failed":
      case "cancelled":
        this.end(e.id, r, at, e.attempts, undefined)
        return
      default:
        return
    }
  }

  private end(
    id: string,
    r: Live,
    endAt: number,
    attempts: ReadonlyArray<Attempt>,
    usage: { readonly promptTokens: number; readonly evalTokens: number } | undefined,
  ): void {
    this.live.delete(id)
    const tried = attempts.filter((x) => x.outcome !== "skipped")
    for (let j = 0; j < tried.length; j++) {
      const attempt = tried[j] as Attempt
      const t = r.attempts[j] ?? attemptAt(endAt)
      const end = r.attempts[j + 1]?.startAt ?? endAt
      const waited = (t.generationAt ?? end) - t.startAt
      const loadMs = Math.min(t.loadMs, waited)
      const slotMs = t.generationAt === undefined ? 0 : end - t.generationAt
      const answered = attempt.outcome === "completed"
      const quality =
        attempt.outcome === "completed"
          ? 1
          : attempt.outcome === "failed" && !NOT_ABOUT_THE_MODEL.has(attempt.reason ?? "")
            ? 0
            : undefined
      const row: OutcomeRow = {
        at: this.d.epochOf(end),
        requestId: id,
        attempt: j + 1,
        tenant: r.facts.tenant,
        task: r.task,
        band: r.facts.band,
        complexity: r.complexity,
        tier: this.d.tierOf(attempt.model) ?? "balanced",
        persona: r.persona,
        model: attempt.model,
        outcome: attempt.outcome as OutcomeRow["outcome"],
        reason: attempt.reason,
        validation: t.validation,
        quality,
        ttftMs: t.firstTokenAt === undefined ? undefined : ms3(t.firstTokenAt - t.startAt),
        totalMs: ms3(end - t.startAt),
        queueMs: ms3(Math.max(0, waited - loadMs)),
        loadMs: ms3(loadMs),
        slotMs: ms3(slotMs),
        promptTokens: answered ? usage?.promptTokens : undefined,
        evalTokens: answered && usage !== undefined ? usage.evalTokens : Math.round(t.chars / 4),
        gpuSeconds: (slotMs / 1000) * this.d.share(attempt.model),
        feedback: answered ? r.feedback : undefined,
        rulesModel: r.facts.rulesModel,
        learnedModel: r.facts.learnedModel,
        explored: r.facts.explored,
      }
      this.rows.push(row)
      if (answered) {
        this.remember(id, {
          task: row.task,
          band: row.band,
          model: row.model,
          at: row.at,
          quality: row.quality,
          feedback: row.feedback,
        })
      }
    }
  }

  private remember(id: string, row: AnsweredRow): void {
    this.recent.delete(id)
    this.recent.set(id, row)
    if (this.recent.size > RECENT) this.recent.delete(this.recent.keys().next().value as string)
  }
}
