/**
 * The seeded trace a scenario replays: the same requests, in the same order, for every policy.
 * Each population has its own: closed-loop clients each with their deterministic stream of
 * (request, think time) — what a client sends next never depends on timing — or open-loop
 * arrival times drawn from a Poisson process (plus bursts) over the population's window. Requests
 * carry the population's tenant and priority (a mix entry may set its own priority).
 */
import { seededRandom } from "../src/backends/sim/text/random.js"
import type { ConductorRequest } from "../src/conductor.js"
import type { Priority } from "../src/domain/tenant.js"
import { DEFAULT_POPULATION, type MixEntry, type Population, type Scenario } from "./scenario.js"

export interface TraceItem {
  /** Which mix entry it came from. */
  readonly mix: string
  readonly population: string
  /** Whom it runs for (undefined: the library's default tenant) and how urgent it is. */
  readonly tenant: string | undefined
  readonly priority: Priority
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

const item = (p: Population, rng: () => number, thinkMs: number, atMs: number): TraceItem => {
  const m = weighted(rng, p.mix)
  const prompt = pick(rng, m.prompts).replaceAll("{topic}", pick(rng, m.topics))
  const numPredict = Math.max(1, Math.round(uniform(rng, m.maxTokens)))
  const priority = m.priority ?? p.priority
  return {
    mix: m.name,
    population: p.name,
    tenant: p.tenant,
    priority,
    thinkMs,
    atMs,
    request: {
      prompt,
      options: { numPredict },
      ...(m.model !== undefined ? { model: m.model } : {}),
      ...(m.persona !== undefined ? { persona: m.persona } : {}),
      ...(p.tenant !== undefined ? { tenant: p.tenant } : {}),
      ...(priority !== "interactive" ? { priority } : {}),
    },
  }
}

/** The seed prefix of a population (the default population keeps the single-population streams). */
const seedOf = (scenario: Scenario, p: Population) =>
  p.name === DEFAULT_POPULATION ? `${scenario.seed}` : `${scenario.seed}|${p.name}`

/** Client `client` of population `p`: its requests, one after another, forever (the runner stops asking). */
export const clientStream = (scenario: Scenario, p: Population, client: number): (() => TraceItem) => {
  const rng = seededRandom(`${seedOf(scenario, p)}|client|${client}`)
  const think = p.clients?.thinkSec ?? [0, 0]
  return () => item(p, rng, uniform(rng, think) * 1000, 0)
}

/** Every arrival of population `p` (open loop), in time order. */
export const arrivals = (scenario: Scenario, p: Population): TraceItem[] => {
  const a = p.arrivals
  if (a === undefined) return []
  const rng = seededRandom(`${seedOf(scenario, p)}|arrivals`)
  const startMs = p.startSec * 1000
  const endMs = Math.min(scenario.duration, p.endSec ?? Number.POSITIVE_INFINITY) * 1000
  const times: number[] = []
  for (let t = -Math.log(1 - rng()) / a.rate; startMs + t * 1000 < endMs; t += -Math.log(1 - rng()) / a.rate)
    times.push(startMs + t * 1000)
  if (a.bursts !== undefined) {
    for (let t = a.bursts.every; startMs + t * 1000 < endMs; t += a.bursts.every) {
      for (let i = 0; i < a.bursts.count; i++) times.push(startMs + t * 1000)
    }
  }
  times.sort((x, y) => x - y)
  const limit = scenario.requests ?? Number.POSITIVE_INFINITY
  return times.slice(0, limit).map((at) => item(p, rng, 0, at))
}
