/**
 * Replays a scenario's trace against a target (an in-process Conductor or a server over
 * WebSockets): closed-loop clients, each sending its next request when the last ended (after its
 * think time), or open-loop arrivals at their times. Stops sending at the scenario's duration
 * (or request limit) and waits for what is in flight.
 */
import type { ConductorRequest } from "../src/conductor.js"
import type { Recorder } from "./recorder.js"
import { DEFAULT_POPULATION, type Population, type Scenario } from "./scenario.js"
import { arrivals, clientStream, type TraceItem } from "./trace.js"

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
  const record = (id: string, item: TraceItem) =>
    recorder.sent(id, item.mix, { tenant: item.tenant ?? "library", priority: item.priority })
  // Clients are numbered across populations: a transport assigns connections by number.
  let firstClient = 0
  const populations = scenario.populations.map((p) => {
    const base = firstClient
    firstClient += p.clients?.count ?? 0
    return { p, base }
  })
  const label = (p: Population) =>
    p.name === DEFAULT_POPULATION ? options.label : `${options.label}-${p.name}`
  await Promise.all(
    populations.map(async ({ p, base }) => {
      if (p.clients !== undefined) {
        const popEndMs = Math.min(endMs, (p.endSec ?? Number.POSITIVE_INFINITY) * 1000)
        if (p.startSec > 0) await target.sleep(p.startSec * 1000)
        await Promise.all(
          Array.from({ length: p.clients.count }, async (_, c) => {
            const next = clientStream(scenario, p, c)
            for (let n = 0; ; n++) {
              const item = next()
              if (item.thinkMs > 0) await target.sleep(item.thinkMs)
              if (target.now() >= popEndMs || sent >= limit) return
              sent++
              const id = `${label(p)}-c${c}-${n}`
              record(id, item)
              await track(target.send(base + c, id, item.request))
            }
          }),
        )
        return
      }
      for (const [i, item] of arrivals(scenario, p).entries()) {
        const wait = item.atMs - target.now()
        if (wait > 0) await target.sleep(wait)
        if (target.now() >= endMs || sent >= limit) break
        sent++
        const id = `${label(p)}-a${i}`
        record(id, item)
        void track(target.send(i, id, item.request))
      }
    }),
  )
  const graceEnd = target.now() + (options.graceMs ?? 600_000)
  while (inFlight.size > 0 && target.now() < graceEnd) {
    await Promise.race([Promise.all(inFlight), target.sleep(1_000)])
  }
}
