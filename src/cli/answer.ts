/**
 * How `conductor ask` shows one request's events, the same whether they come from Conductor in
 * this process or over the WebSocket protocol: the answer's text streams to stdout, notes go to
 * stderr (a model loading, a fallback, a restart), and the end is one line — model, tier, why it
 * was chosen, time — or, with `--json`, the completed result (or `{error, reason|code}`) as one
 * JSON object on stdout. It decides the exit code: 0 completed, 1 failed or cancelled, 2 an
 * invalid request (refused, or failed as a BadRequest such as an unknown persona).
 */

/** The parts of an event (Conductor's, or the protocol's) the view reads. */
export interface AnswerEvent {
  readonly type: string
  readonly [field: string]: unknown
}

export interface AnswerSink {
  /** The answer's text (stdout). */
  out(text: string): void
  /** A note or the summary (stderr). */
  note(line: string): void
}

export interface AnswerOptions {
  readonly json: boolean
  /** Wall-clock milliseconds, for the time taken. */
  readonly now: () => number
  /** The simulator runs this many times faster (its timings are simulated time). */
  readonly timeScale?: number | undefined
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

export class AnswerView {
  private readonly started: number
  /** Text written since the last newline was not a newline. */
  private openLine = false

  constructor(
    private readonly sink: AnswerSink,
    private readonly options: AnswerOptions,
  ) {
    this.started = options.now()
  }

  /** Show one event; returns the exit code once the request has ended. */
  event(e: AnswerEvent): number | undefined {
    switch (e.type) {
      case "loading":
        this.note(`loading ${String(e.model)}…`)
        return undefined
      case "token":
        if (!this.options.json && typeof e.text === "string" && e.text !== "") {
          this.sink.out(e.text)
          this.openLine = !e.text.endsWith("\n")
        }
        return undefined
      case "fallback":
        this.note(`${String(e.from)} failed (${String(e.reason)}); falling back to ${String(e.to)}`)
        return undefined
      case "restart":
        this.note(`${String(e.model)} answers afresh: disregard the ${String(e.discard)} characters above`)
        return undefined
      case "completed":
        return this.completed(e)
      case "failed":
        this.note(`failed (${String(e.reason)}): ${String(e.message)}${this.attempts(e.attempts)}`)
        this.json({ error: e.message, reason: e.reason, attempts: e.attempts })
        return e.reason === "BadRequest" ? 2 : 1
      case "cancelled":
        this.note(`cancelled${this.attempts(e.attempts)}`)
        this.json({ error: "cancelled", reason: "Cancelled", attempts: e.attempts })
        return 1
      case "error":
        this.note(`${String(e.code)}: ${String(e.message)}`)
        this.json({ error: e.message, code: e.code })
        return e.code === "invalid_request" || e.code === "invalid_message" ? 2 : 1
      default:
        return undefined
    }
  }

  private completed(e: AnswerEvent): number {
    if (this.options.json) {
      const { type: _type, at: _at, ...result } = e
      this.sink.out(`${JSON.stringify(result)}\n`)
      return 0
    }
    if (this.openLine) this.sink.out("\n")
    this.openLine = false
    const wall = this.options.now() - this.started
    const timings = e.timings as { totalMs?: number } | undefined
    const scale = this.options.timeScale
    const simulated =
      scale !== undefined && scale !== 1 && timings?.totalMs !== undefined
        ? ` (${seconds(timings.totalMs)} simulated at ×${scale})`
        : ""
    const attempts = Array.isArray(e.attempts) ? e.attempts.length : 1
    this.sink.note(
      `— ${String(e.model)} · tier ${String(e.tier)} · reason ${String(e.reason)} · ${seconds(wall)}${simulated}` +
        (attempts > 1 ? ` · ${attempts} attempts` : ""),
    )
    return 0
  }

  /** With `--json`, the end of a request that did not complete, as JSON on stdout. */
  private json(fields: Record<string, unknown>): void {
    if (this.options.json) this.sink.out(`${JSON.stringify(fields)}\n`)
  }

  private attempts(list: unknown): string {
    if (!Array.isArray(list) || list.length === 0) return ""
    const tried = (list as ReadonlyArray<{ model?: string; outcome?: string; reason?: string }>).map(
      (a) => `${a.model} ${a.outcome}${a.reason !== undefined ? ` (${a.reason})` : ""}`,
    )
    return `; tried ${tried.join(", ")}`
  }

  /** A note on its own line, after any text in progress. */
  private note(line: string): void {
    if (this.openLine) {
      this.sink.out("\n")
      this.openLine = false
    }
    this.sink.note(line)
  }
}
