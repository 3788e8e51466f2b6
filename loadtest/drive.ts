/**
 * Replays a scenario's trace against a target (an in-process Conductor or a server over
 * WebSockets): closed-loop clients, each sending its next request when the last ended (after its
 * think time), or open-loop arrivals at their times. Stops sending at the scenario's duration
 * (or request limit) and waits for what is in flight.
 */
import type { ConductorRequest } from "../src/conductor.js"
import type { Recorder } from "./recorder.js"
import type { Scenario } from "./scenario.js"
import { arrivals, clientStream } from "./trace.js"

export interface Target {
  /** Simulated milliseconds since the run began. */
  now(): number
  /** Wait `ms` simulated milliseconds. */
  sleep(ms: number): Promise<void>
  /**
   * Send one request on behalf of `client`; resolves when it has ended (whatever the outcome) or
   * was refused. Its events reach the recorder on the way.
   */
  send(client: number, id: string, request: ConductorRequest): Promise<void>
}

export interface DriveOptions {
  readonly label: string
  readonly durationSec: number
  /** Simulated ms to wait for requests in flight after the last is sent. */
  readonly graceMs?: number
}

export const drive = async (
  scenario: Scenario,
  target: Target,
  recorder: Recorder,
  options: DriveOptions,
) => {
  const endMs = options.durationSec * 1000
  const limit = scenario.requests ?? Number.POSITIVE_INFINITY
  let sent = 0
  const inFlight = new Set<Promise<void>>()
  const track = (p: Promise<void>) => {
    inFlight.add(p)
    void p.finally(() => inFlight.delete(p))
    return p
  }
  if (scenario.clients !== undefined) {
    await Promise.all(
      Array.from({ length: scenario.clients.count }, async (_, c) => {
        const next = clientStream(scenario, c)
        for (let n = 0; ; n++) {
          const item = next()
          if (item.thinkMs > 0) await target.sleep(item.thinkMs)
          if (target.now() >= endMs || sent >= limit) return
          sent++
          const id = `${options.label}-c${c}-${n}`
          recorder.sent(id, item.mix)
          await track(target.send(c, id, item.request))
        }
      }),
    )
  } else {
    const list = arrivals(scenario)
    for (const [i, item] of list.entries()) {
      const wait = item.atMs - target.now()
      if (wait > 0) await target.sleep(wait)
      if (target.now() >= endMs) break
      sent++
      const id = `${options.label}-a${i}`
      recorder.sent(id, item.mix)
      void track(target.send(i, id, item.request))
    }
  }
  const graceEnd = target.now() + (options.graceMs ?? 600_000)
  while (inFlight.size > 0 && target.now() < graceEnd) {
    await Promise.race([Promise.all(inFlight), target.sleep(1_000)])
  }
}
