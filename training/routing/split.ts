/**
 * The seeded, grouped, stratified split of the corpus into train, validation and test. Near-copy
 * groups are the unit: a group goes whole to one side. Groups are shuffled with a seeded PRNG
 * and, task by task (a group's task is its first row's), dealt to the test side until it holds
 * `testFraction` of that task's rows; validation is carved from what remains the same way.
 * Rows that near-copy a query of the router's golden or held-out sets are kept out of train and
 * validation (they go to test), so those sets stay unseen by the model too.
 */
import { TASK_TYPES } from "../../src/domain/task.js"
import type { LabelledQuery } from "./corpus.js"

export type Side = "train" | "validation" | "test"

/** The corpus split: 20% test, then 12.5% of the rest validation; seed 14 (the number). */
export const SPLIT_OPTIONS = { seed: 14, testFraction: 0.2, validationFraction: 0.125 } as const

export interface SplitOptions {
  readonly seed: number
  readonly testFraction: number
  readonly validationFraction: number
}

/** mulberry32: a small seeded PRNG, enough for shuffling. */
export const prng = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const shuffle = <T>(items: ReadonlyArray<T>, random: () => number): T[] => {
  const a = [...items]
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = a[i] as T
    a[i] = a[j] as T
    a[j] = t
  }
  return a
}

/**
 * Assigns every row a side. `groups[i]` is row i's near-copy group; `forcedTest` rows (and their
 * groups) go to test whatever the quotas.
 */
export const makeSplit = (
  rows: ReadonlyArray<LabelledQuery>,
  groups: Int32Array,
  forcedTest: ReadonlySet<number>,
  options: SplitOptions,
): Side[] => {
  const random = prng(options.seed)
  const members = new Map<number, number[]>()
  rows.forEach((_, i) => {
    const g = groups[i] as number
    const list = members.get(g)
    if (list === undefined) members.set(g, [i])
    else list.push(i)
  })
  const side: Side[] = rows.map(() => "train")
  const forcedGroups = new Set([...forcedTest].map((i) => groups[i] as number))
  const deal = (
    pool: ReadonlyArray<number>,
    fraction: number,
    to: Side,
    quotaBase: ReadonlyArray<number>,
  ) => {
    for (const task of TASK_TYPES) {
      const total = quotaBase.filter((i) => rows[i]?.task === task).length
      const quota = Math.round(total * fraction)
      let taken = 0
      for (const i of quotaBase) if (rows[i]?.task === task && side[i] === to) taken++
      const candidates = shuffle(
        pool.filter((g) => rows[(members.get(g) as number[])[0] as number]?.task === task),
        random,
      )
      for (const g of candidates) {
        if (taken >= quota) break
        const ms = members.get(g) as number[]
        if (side[ms[0] as number] !== "train") continue
        for (const i of ms) side[i] = to
        taken += ms.length
      }
    }
  }
  for (const g of forcedGroups) for (const i of members.get(g) as number[]) side[i] = "test"
  const allGroups = [...members.keys()].sort((a, b) => a - b)
  deal(
    allGroups,
    options.testFraction,
    "test",
    rows.map((_, i) => i),
  )
  const rest = rows.map((_, i) => i).filter((i) => side[i] === "train")
  const restGroups = allGroups.filter((g) => side[(members.get(g) as number[])[0] as number] === "train")
  deal(restGroups, options.validationFraction, "validation", rest)
  return side
}

/** Why a row added to an existing split was left out of it. */
export interface DroppedRow {
  readonly row: number
  readonly reason: "near copy of a test row" | "repeats a router query"
  /** The row (index) or router query it repeats. */
  readonly of: number | string
}

/**
 * Adds rows to a split that exists: the `existing` rows keep their side exactly (the test side
 * does not move), and each new row goes to train or validation, never to test. A new row is
 * dropped when its near-copy group holds a test row (it would leak the held-out set into
 * training) or when it repeats a query of the router's own sets (`routerOverlap`, which must stay
 * unseen). A new row in a group with train or validation rows joins their side; the other new
 * groups are dealt, source by source and task by task, to validation until it holds
 * `validationFraction` of that source's and task's new rows (seeded), and the rest to train.
 */
export const extendSplit = (
  rows: ReadonlyArray<LabelledQuery>,
  groups: Int32Array,
  existing: ReadonlyArray<Side | undefined>,
  routerOverlap: ReadonlyMap<number, string>,
  options: SplitOptions,
): { readonly side: Array<Side | undefined>; readonly dropped: DroppedRow[] } => {
  const random = prng(options.seed)
  const side: Array<Side | undefined> = [...existing]
  const dropped: DroppedRow[] = []
  const groupSides = new Map<number, Map<Side, number>>()
  existing.forEach((s, i) => {
    if (s === undefined) return
    const g = groups[i] as number
    const m = groupSides.get(g) ?? new Map<Side, number>()
    if (!m.has(s)) m.set(s, i)
    groupSides.set(g, m)
  })
  const pending = new Map<number, number[]>()
  rows.forEach((_, i) => {
    if (existing[i] !== undefined) return
    const g = groups[i] as number
    const known = groupSides.get(g)
    const test = known?.get("test")
    if (test !== undefined) {
      dropped.push({ row: i, reason: "near copy of a test row", of: test })
      return
    }
    const query = routerOverlap.get(i)
    if (query !== undefined) {
      dropped.push({ row: i, reason: "repeats a router query", of: query })
      return
    }
    const joined = known?.has("train") ? "train" : known?.has("validation") ? "validation" : undefined
    if (joined !== undefined) {
      side[i] = joined
      return
    }
    const list = pending.get(g)
    if (list === undefined) pending.set(g, [i])
    else list.push(i)
  })
  // A group whose row was dropped is dropped whole (its other rows repeat the same text).
  const droppedGroups = new Set(dropped.map((d) => groups[d.row] as number))
  for (const [g, members] of pending) {
    if (!droppedGroups.has(g)) continue
    for (const i of members) {
      const first = dropped.find((d) => groups[d.row] === g) as DroppedRow
      dropped.push({ row: i, reason: first.reason, of: first.of })
    }
    pending.delete(g)
  }
  const sources = [
    ...new Set([...pending.values()].map((ms) => rows[ms[0] as number]?.source as string)),
  ].sort()
  const ordered = [...pending.keys()].sort((a, b) => a - b)
  for (const source of sources) {
    for (const task of TASK_TYPES) {
      const candidates = ordered.filter((g) => {
        const r = rows[(pending.get(g) as number[])[0] as number]
        return r?.source === source && r.task === task
      })
      const total = candidates.reduce((n, g) => n + (pending.get(g) as number[]).length, 0)
      const quota = Math.round(total * options.validationFraction)
      let taken = 0
      for (const g of shuffle(candidates, random)) {
        const to: Side = taken < quota ? "validation" : "train"
        for (const i of pending.get(g) as number[]) side[i] = to
        if (to === "validation") taken += (pending.get(g) as number[]).length
      }
    }
  }
  return { side, dropped: dropped.sort((a, b) => a.row - b.row) }
}
