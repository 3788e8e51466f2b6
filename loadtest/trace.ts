/**
 * The seeded trace a scenario replays: the same requests, in the same order, for every policy.
 * Closed loop: each client has its own deterministic stream of (request, think time) — what it
 * sends next never depends on timing. Open loop: arrival times drawn from a Poisson process
 * (plus bursts) for the whole run.
 */
import { seededRandom } from "../src/backends/sim/text.js"
import type { ConductorRequest } from "../src/conductor.js"
import type { MixEntry, Scenario } from "./scenario.js"

export interface TraceItem {
  /** Which mix entry it came from. */
  readonly mix: string
  readonly request: ConductorRequest
  /** Closed loop: think before sending, ms (simulated). */
  readonly thinkMs: number
  /** Open loop: when to send, ms from the start (simulated). */
  readonly atMs: number
}

const pick = <T>(rng: () => number, items: ReadonlyArray<T>): T =>
  items[Math.floor(rng() * items.length)] as T

const weighted = (rng: () => number, mix: ReadonlyArray<MixEntry>): MixEntry => {
  const total = mix.reduce((s, m) => s + m.weight, 0)
  let r = rng() * total
  for (const m of mix) {
    r -= m.weight
    if (r < 0) return m
  }
  return mix[mix.length - 1] as MixEntry
}

const uniform = (rng: () => number, [lo, hi]: readonly [number, number]) => lo + rng() * Math.max(0, hi - lo)

const item = (scenario: Scenario, rng: () => number, thinkMs: number, atMs: number): TraceItem => {
  const m = weighted(rng, scenario.mix)
  const prompt = pick(rng, m.prompts).replaceAll("{topic}", pick(rng, m.topics))
  const numPredict = Math.max(1, Math.round(uniform(rng, m.maxTokens)))
  return {
    mix: m.name,
    thinkMs,
    atMs,
    request: {
      prompt,
      options: { numPredict },
      ...(m.model !== undefined ? { model: m.model } : {}),
      ...(m.persona !== undefined ? { persona: m.persona } : {}),
    },
  }
}

/** Client `client`'s requests, one after another, forever (the runner stops asking). */
export const clientStream = (scenario: Scenario, client: number): (() => TraceItem) => {
  const rng = seededRandom(`${scenario.seed}|client|${client}`)
  const think = scenario.clients?.thinkSec ?? [0, 0]
  return () => item(scenario, rng, uniform(rng, think) * 1000, 0)
}

/** Every arrival of an open-loop run, in time order. */
export const arrivals = (scenario: Scenario): TraceItem[] => {
  const a = scenario.arrivals
  if (a === undefined) return []
  const rng = seededRandom(`${scenario.seed}|arrivals`)
  const endMs = scenario.duration * 1000
  const times: number[] = []
  for (let t = -Math.log(1 - rng()) / a.rate; t * 1000 < endMs; t += -Math.log(1 - rng()) / a.rate)
    times.push(t * 1000)
  if (a.bursts !== undefined) {
    for (let t = a.bursts.every; t * 1000 < endMs; t += a.bursts.every) {
      for (let i = 0; i < a.bursts.count; i++) times.push(t * 1000)
    }
  }
  times.sort((x, y) => x - y)
  const limit = scenario.requests ?? Number.POSITIVE_INFINITY
  return times.slice(0, limit).map((at) => item(scenario, rng, 0, at))
}
