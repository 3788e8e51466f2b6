/**
 * Adjudicated tier labels: the corpus's tier is the author's judgement, and a blind relabel
 * (data/routing/README.md, "Adjudicated tiers") gave every row a second one and every
 * disagreement a third. `data/routing/tier-votes.jsonl` holds one line per row,
 * `{id, author, relabels: [{by, tier}], tier}`; the adjudicated tier is the one at least two of
 * the judgements give, and `null` (not confident) when none has two. The loader recomputes every
 * line's tier and checks its `author` against the corpus, so an edited corpus or a hand-edited
 * tier fails at load with the row named.
 */
import { existsSync } from "node:fs"
import { isTier, type Tier } from "../../src/domain/tier.js"
import type { LabelledQuery } from "./corpus.js"
import { readJsonl } from "./jsonl.js"

export interface TierJudgement {
  /** Who judged: a labeller id (`L1`…), never the author. */
  readonly by: string
  readonly tier: Tier | null
}

export interface TierVotes {
  readonly id: string
  /** The author's tier, as in the corpus file (after label fixes). */
  readonly author: Tier | null
  readonly relabels: ReadonlyArray<TierJudgement>
  /** The adjudicated tier: `adjudicate(author, relabels)`. */
  readonly tier: Tier | null
}

/** The tier at least two judgements agree on (null judgements are abstentions); else null. */
export const adjudicate = (author: Tier | null, relabels: ReadonlyArray<TierJudgement>): Tier | null => {
  const counts = new Map<Tier, number>()
  for (const t of [author, ...relabels.map((r) => r.tier)])
    if (t !== null) counts.set(t, (counts.get(t) ?? 0) + 1)
  for (const [t, n] of counts) if (n >= 2) return t
  return null
}

const tierOrNull = (v: unknown): v is Tier | null => v === null || isTier(v)

export const readTierVotes = (file: string): TierVotes[] => {
  if (!existsSync(file)) throw new Error(`${file}: no tier votes file`)
  const out: TierVotes[] = []
  for (const { where, o } of readJsonl(file)) {
    if (typeof o.id !== "string") throw new Error(`${where}: id: must be a row id`)
    if (!tierOrNull(o.author))
      throw new Error(`${where}: author: '${String(o.author)}' is not a tier or null`)
    if (!tierOrNull(o.tier)) throw new Error(`${where}: tier: '${String(o.tier)}' is not a tier or null`)
    if (!Array.isArray(o.relabels)) throw new Error(`${where}: relabels: must be a list`)
    for (const [j, r] of (o.relabels as unknown[]).entries()) {
      const rr = r as Record<string, unknown> | null
      if (rr === null || typeof rr.by !== "string" || !tierOrNull(rr.tier))
        throw new Error(`${where}: relabels[${j}]: must be {by, tier}`)
    }
    const votes = o as unknown as TierVotes
    const expected = adjudicate(votes.author, votes.relabels)
    if (expected !== votes.tier)
      throw new Error(`${where}: tier: '${votes.tier}' but the judgements adjudicate to '${expected}'`)
    out.push(votes)
  }
  return out
}

/**
 * Replaces each voted row's tier by its adjudicated tier. A vote for an unknown row, or whose
 * `author` is not the row's tier, is an error (the corpus moved under the votes).
 */
export const applyTierVotes = (
  rows: ReadonlyArray<LabelledQuery>,
  votes: ReadonlyArray<TierVotes>,
): LabelledQuery[] => {
  const byId = new Map(votes.map((v) => [v.id, v]))
  if (byId.size !== votes.length) throw new Error("tier-votes.jsonl: a row is voted twice")
  const seen = new Set<string>()
  const out = rows.map((row) => {
    const v = byId.get(row.id)
    if (v === undefined) return row
    seen.add(row.id)
    if (v.author !== row.tier)
      throw new Error(`tier-votes.jsonl: ${row.id}: author '${v.author}' but the corpus says '${row.tier}'`)
    return v.tier === row.tier ? row : { ...row, tier: v.tier }
  })
  for (const v of votes)
    if (!seen.has(v.id)) throw new Error(`tier-votes.jsonl: vote for unknown row ${v.id}`)
  return out
}
