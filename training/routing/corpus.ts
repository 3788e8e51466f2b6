/**
 * The labelled routing corpus: reads JSONL files of `{text, task, tier, needs, domain, style}`
 * (the format of `data/routing/corpus/` and of a user's own labelled queries), checks every row
 * (a bad row is an error naming the file, the line and the field) and applies the logged label
 * fixes of `data/routing/label-fixes.json` and, when asked, the adjudicated tiers of
 * `data/routing/tier-votes.jsonl`. Each row gets a stable id, `<file stem>:<line>`.
 */
import { existsSync, readFileSync } from "node:fs"
import { basename } from "node:path"
import { isTaskType, type TaskType } from "../../src/domain/task.js"
import { isTier, type Tier } from "../../src/domain/tier.js"
import { readJsonl } from "./jsonl.js"
import { applyTierVotes, readTierVotes } from "./tier-votes.js"

export const NEEDS = ["tools", "vision", "long_context", "json"] as const

export interface LabelledQuery {
  /** `<file stem>:<line>`, e.g. `author-a:17`. */
  readonly id: string
  /** The file stem (for the corpus, the author). */
  readonly source: string
  readonly text: string
  readonly task: TaskType
  /** `null` when the author was not confident of a tier. */
  readonly tier: Tier | null
  readonly needs: ReadonlyArray<string>
  readonly domain: string
  readonly style: string
}

/** One corrected label: which row, which field, from what to what, and why. */
export interface LabelFix {
  readonly id: string
  readonly field: "task" | "tier"
  readonly from: string | null
  readonly to: string | null
  readonly why: string
}

const fail = (where: string, message: string): never => {
  throw new Error(`${where}: ${message}`)
}

/** Parses one JSONL file; throws on the first bad row with `file:line: field: problem`. */
export const readLabelled = (file: string): LabelledQuery[] => {
  const stem = basename(file).replace(/\.jsonl$/, "")
  const rows: LabelledQuery[] = []
  for (const { line, where, o } of readJsonl(file)) {
    if (typeof o.text !== "string" || o.text.trim() === "") fail(where, "text: must be a non-empty string")
    if (!isTaskType(o.task)) fail(where, `task: '${String(o.task)}' is not a task type`)
    const tier = o.tier ?? null
    if (tier !== null && !isTier(tier))
      fail(where, `tier: '${String(tier)}' is not fast, balanced, quality or null`)
    const needs = o.needs ?? []
    if (!Array.isArray(needs) || !needs.every((n) => (NEEDS as ReadonlyArray<unknown>).includes(n)))
      fail(where, `needs: must be a list of ${NEEDS.join(", ")}`)
    rows.push({
      id: `${stem}:${line}`,
      source: stem,
      text: o.text as string,
      task: o.task as TaskType,
      tier: tier as Tier | null,
      needs: needs as string[],
      domain: typeof o.domain === "string" ? o.domain : "other",
      style: typeof o.style === "string" ? o.style : "",
    })
  }
  return rows
}

export const readFixes = (file: string): ReadonlyArray<LabelFix> =>
  existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { fixes: LabelFix[] }).fixes : []

/** Applies fixes; a fix whose row or old value does not match is an error (the corpus moved). */
export const applyFixes = (rows: LabelledQuery[], fixes: ReadonlyArray<LabelFix>): LabelledQuery[] => {
  const byId = new Map(rows.map((r, i) => [r.id, i]))
  const out = [...rows]
  for (const f of fixes) {
    const i = byId.get(f.id)
    if (i === undefined) fail("label-fixes.json", `fix for unknown row ${f.id}`)
    const row = out[i as number] as LabelledQuery
    if (row[f.field] !== f.from)
      fail("label-fixes.json", `${f.id}.${f.field} is '${row[f.field]}', the fix expects '${f.from}'`)
    if (f.field === "task" && !isTaskType(f.to)) fail("label-fixes.json", `${f.id}: '${f.to}' is not a task`)
    if (f.field === "tier" && f.to !== null && !isTier(f.to))
      fail("label-fixes.json", `${f.id}: '${f.to}' is not a tier`)
    out[i as number] = { ...row, [f.field]: f.to }
  }
  return out
}

/**
 * Reads the files, applies the label fixes (`fixesFile`) and then, with `tierVotesFile`, the
 * adjudicated tiers (tier-votes.ts) in place of the authors'.
 */
export const loadCorpus = (
  files: ReadonlyArray<string>,
  fixesFile?: string,
  tierVotesFile?: string,
): LabelledQuery[] => {
  const rows = files.flatMap(readLabelled)
  const ids = new Set<string>()
  for (const r of rows) {
    if (ids.has(r.id)) fail(r.id, "two files share a name: row ids would collide")
    ids.add(r.id)
  }
  const fixed = fixesFile !== undefined ? applyFixes(rows, readFixes(fixesFile)) : rows
  return tierVotesFile !== undefined ? applyTierVotes(fixed, readTierVotes(tierVotesFile)) : fixed
}
