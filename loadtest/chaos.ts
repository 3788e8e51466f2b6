/**
 * A host killed mid-run and restarted (a scenario's `chaos: { host, downAtSec, upAtSec }`, issue
 * 19): at `downAtSec` the simulated host's runners die and it refuses connections until `upAtSec`
 * (as test/conductor.hosts.test.ts kills one), during Conductor's run. The watch follows the run's
 * events on its own — every accepted request, its terminal events, why the failed ones failed, and
 * the `host` events — and reports what the chaos must show: each accepted request ended exactly
 * once (0 lost, 0 ended twice), none failed while a host was up (every model fits on either host,
 * so a request with a host up had a healthy host for its chain), and the host was marked down and
 * came back.
 */
import type { SimEngine } from "../src/backends/sim/engine.js"
import type { ConductorEvent } from "../src/domain/events.js"
import type { TimeSource } from "../src/time/clock.js"

export interface ChaosSettings {
  /** Which host (1-based, as `sim-1`, `sim-2`). */
  readonly host: number
  readonly downAtSec: number
  readonly upAtSec: number
}

export interface ChaosReport extends ChaosSettings {
  readonly hostName: string
  readonly accepted: number
  /** Accepted and not yet ended when the host was killed (queued or streaming anywhere). */
  readonly inFlightAtKill: number
  readonly completed: number
  /** Completed after more than one attempt (cut or refused on the killed host, then retried). */
  readonly retried: number
  readonly failed: number
  readonly failedByReason: Readonly<Record<string, number>>
  readonly cancelled: number
  /** Accepted with no terminal event at the end: must be 0. */
  readonly lost: number
  /** Requests with more than one terminal event: must be 0. */
  readonly endedTwice: number
  /** Failed while some host was up (a healthy host for its chain): must be 0. */
  readonly failedWithHealthyHost: number
  /** When Conductor marked the host down and up again (simulated s; null: it never did). */
  readonly markedDownAtSec: number | null
  readonly backUpAtSec: number | null
}

/** Kill the host at `downAtSec`, unreachable until `upAtSec`; stops with `signal`. */
export const scheduleHostKill = (
  chaos: ChaosSettings,
  engines: ReadonlyArray<SimEngine>,
  clock: TimeSource,
  signal: AbortSignal,
  onKill: () => void,
): void => {
  const engine = engines[chaos.host - 1]
  if (engine === undefined) throw new Error(`chaos.host: no simulated host ${chaos.host}`)
  const startMs = clock.now()
  void clock.sleep(Math.max(0, startMs + chaos.downAtSec * 1000 - clock.now()), signal).then(
    () => {
      engine.unreachableFor((chaos.upAtSec - chaos.downAtSec) * 1000)
      engine.crash()
      onKill()
    },
    () => undefined,
  )
}

export class ChaosWatch {
  private readonly accepted = new Set<string>()
  private readonly terminals = new Map<string, number>()
  private readonly failedByReason: Record<string, number> = {}
  private completed = 0
  private retried = 0
  private failed = 0
  private cancelled = 0
  private failedWithHealthyHost = 0
  private readonly down = new Set<string>()
  private markedDownAt: number | null = null
  private backUpAt: number | null = null
  private inFlightAtKill = 0
  private readonly startMs: number

  constructor(
    private readonly chaos: ChaosSettings,
    private readonly hostNames: ReadonlyArray<string>,
    private readonly now: () => number,
  ) {
    this.startMs = now()
  }

  private get hostName(): string {
    return this.hostNames[this.chaos.host - 1] ?? `sim-${this.chaos.host}`
  }

  /** The host was just killed: count what was in flight. */
  killed(): void {
    for (const id of this.accepted) if (!this.terminals.has(id)) this.inFlightAtKill++
  }

  event(e: ConductorEvent): void {
    const at = () => Math.round((this.now() - this.startMs) / 100) / 10
    switch (e.type) {
      case "accepted":
        this.accepted.add(e.id)
        return
      case "host":
        if (e.state === "down") this.down.add(e.host)
        else this.down.delete(e.host)
        if (e.host === this.hostName && e.state === "down" && this.markedDownAt === null)
          this.markedDownAt = at()
        if (
          e.host === this.hostName &&
          e.state === "up" &&
          this.markedDownAt !== null &&
          this.backUpAt === null
        )
          this.backUpAt = at()
        return
      case "completed":
      case "failed":
      case "cancelled": {
        if (!this.accepted.has(e.id)) return
        const n = (this.terminals.get(e.id) ?? 0) + 1
        this.terminals.set(e.id, n)
        if (n > 1) return
        if (e.type === "completed") {
          this.completed++
          if (e.attempts.length > 1) this.retried++
        } else if (e.type === "cancelled") this.cancelled++
        else {
          this.failed++
          this.failedByReason[e.reason] = (this.failedByReason[e.reason] ?? 0) + 1
          if (this.down.size < this.hostNames.length) this.failedWithHealthyHost++
        }
        return
      }
      default:
        return
    }
  }

  report(): ChaosReport {
    let lost = 0
    let endedTwice = 0
    for (const id of this.accepted) {
      const n = this.terminals.get(id) ?? 0
      if (n === 0) lost++
      if (n > 1) endedTwice++
    }
    return {
      ...this.chaos,
      hostName: this.hostName,
      accepted: this.accepted.size,
      inFlightAtKill: this.inFlightAtKill,
      completed: this.completed,
      retried: this.retried,
      failed: this.failed,
      failedByReason: { ...this.failedByReason },
      cancelled: this.cancelled,
      lost,
      endedTwice,
      failedWithHealthyHost: this.failedWithHealthyHost,
      markedDownAtSec: this.markedDownAt,
      backUpAtSec: this.backUpAt,
    }
  }
}

/** What the chaos must show; each miss is a reason for the run to exit 1. */
export const chaosProblems = (name: string, c: ChaosReport): string[] => {
  const out: string[] = []
  if (c.lost > 0) out.push(`${name}: chaos: ${c.lost} accepted request(s) never ended`)
  if (c.endedTwice > 0) out.push(`${name}: chaos: ${c.endedTwice} request(s) ended more than once`)
  if (c.failedWithHealthyHost > 0)
    out.push(`${name}: chaos: ${c.failedWithHealthyHost} request(s) failed while a host was up`)
  if (c.markedDownAtSec === null) out.push(`${name}: chaos: ${c.hostName} was never marked down`)
  else if (c.backUpAtSec === null) out.push(`${name}: chaos: ${c.hostName} never came back up`)
  return out
}

/** The report's chaos line for one run. */
export const chaosMarkdown = (name: string, c: ChaosReport): string => {
  const reasons = Object.entries(c.failedByReason)
    .map(([r, n]) => `${r} ${n}`)
    .join(", ")
  const downUp =
    c.markedDownAtSec === null
      ? "never marked down"
      : `marked down at ${c.markedDownAtSec} s, ${c.backUpAtSec === null ? "never back up" : `back up at ${c.backUpAtSec} s`}`
  return (
    `chaos, ${name}: ${c.hostName} killed at ${c.downAtSec} s, answering again at ${c.upAtSec} s (${downUp}); ` +
    `${c.accepted} accepted (${c.inFlightAtKill} in flight at the kill), ${c.completed} completed (${c.retried} after a retry), ` +
    `${c.failed} failed${reasons !== "" ? ` (${reasons})` : ""}, ${c.cancelled} cancelled, ` +
    `${c.lost} lost, ${c.endedTwice} ended twice, ${c.failedWithHealthyHost} failed with a host up`
  )
}
