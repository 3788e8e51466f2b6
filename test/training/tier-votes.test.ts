import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { type LabelledQuery, loadCorpus } from "../../training/routing/corpus.js"
import { CORPUS_FILES, FIXES_FILE, TIER_VOTES_FILE } from "../../training/routing/paths.js"
import { adjudicate, applyTierVotes, readTierVotes } from "../../training/routing/tier-votes.js"

const row = (id: string, tier: LabelledQuery["tier"]): LabelledQuery => ({
  id,
  source: id.split(":")[0] as string,
  text: `query ${id}`,
  task: "general_qa",
  tier,
  needs: [],
  domain: "other",
  style: "",
})

const votesFile = (lines: ReadonlyArray<unknown>): string => {
  const file = join(mkdtempSync(join(tmpdir(), "tier-votes-")), "tier-votes.jsonl")
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`)
  return file
}

describe("adjudicate", () => {
  it("keeps a tier two judgements share", () => {
    expect(adjudicate("fast", [{ by: "L1", tier: "fast" }])).toBe("fast")
    expect(
      adjudicate("fast", [
        { by: "L1", tier: "balanced" },
        { by: "L2", tier: "balanced" },
      ]),
    ).toBe("balanced")
    expect(
      adjudicate("quality", [
        { by: "L1", tier: "balanced" },
        { by: "L2", tier: "quality" },
      ]),
    ).toBe("quality")
  })

  it("is null when no tier has two judgements (abstentions do not count)", () => {
    expect(adjudicate("fast", [{ by: "L1", tier: "balanced" }])).toBeNull()
    expect(
      adjudicate("fast", [
        { by: "L1", tier: "balanced" },
        { by: "L2", tier: "quality" },
      ]),
    ).toBeNull()
    expect(
      adjudicate(null, [
        { by: "L1", tier: "balanced" },
        { by: "L2", tier: null },
      ]),
    ).toBeNull()
    expect(
      adjudicate(null, [
        { by: "L1", tier: "balanced" },
        { by: "L2", tier: "balanced" },
      ]),
    ).toBe("balanced")
  })
})

describe("readTierVotes", () => {
  it("refuses a line whose tier is not what its judgements adjudicate to, naming the line", () => {
    const file = votesFile([
      { id: "a:1", author: "fast", relabels: [{ by: "L1", tier: "fast" }], tier: "fast" },
      { id: "a:2", author: "fast", relabels: [{ by: "L1", tier: "balanced" }], tier: "balanced" },
    ])
    expect(() => readTierVotes(file)).toThrow(
      `${file}:2: tier: 'balanced' but the judgements adjudicate to 'null'`,
    )
  })

  it("refuses a tier that is not one", () => {
    const file = votesFile([{ id: "a:1", author: "huge", relabels: [], tier: null }])
    expect(() => readTierVotes(file)).toThrow(`${file}:1: author: 'huge' is not a tier or null`)
  })

  it("refuses a malformed judgement", () => {
    const file = votesFile([{ id: "a:1", author: "fast", relabels: [{ tier: "fast" }], tier: null }])
    expect(() => readTierVotes(file)).toThrow(`${file}:1: relabels[0]: must be {by, tier}`)
  })
})

describe("applyTierVotes", () => {
  const rows = [row("a:1", "fast"), row("a:2", "balanced"), row("a:3", null)]

  it("replaces voted tiers and leaves the rest", () => {
    const out = applyTierVotes(rows, [
      {
        id: "a:2",
        author: "balanced",
        relabels: [
          { by: "L1", tier: "quality" },
          { by: "L2", tier: "quality" },
        ],
        tier: "quality",
      },
    ])
    expect(out.map((r) => r.tier)).toEqual(["fast", "quality", null])
  })

  it("fails when the corpus moved under the votes", () => {
    expect(() => applyTierVotes(rows, [{ id: "a:1", author: "quality", relabels: [], tier: null }])).toThrow(
      "tier-votes.jsonl: a:1: author 'quality' but the corpus says 'fast'",
    )
    expect(() => applyTierVotes(rows, [{ id: "a:9", author: "fast", relabels: [], tier: null }])).toThrow(
      "vote for unknown row a:9",
    )
  })
})

describe("the shipped tier votes", () => {
  it("cover every corpus row, each with a blind relabel, and load", () => {
    const authors = loadCorpus(CORPUS_FILES, FIXES_FILE)
    const votes = readTierVotes(TIER_VOTES_FILE)
    const voted = new Set(votes.map((v) => v.id))
    expect(authors.filter((r) => !voted.has(r.id)).map((r) => r.id)).toEqual([])
    expect(votes.every((v) => v.relabels.length >= 1)).toBe(true)
    // a disagreement between the author and the first relabel always got a second relabel
    expect(
      votes
        .filter((v) => v.relabels.length === 1 && v.author !== null && v.relabels[0]?.tier !== v.author)
        .map((v) => v.id),
    ).toEqual([])
    const adjudicated = loadCorpus(CORPUS_FILES, FIXES_FILE, TIER_VOTES_FILE)
    expect(adjudicated.length).toBe(authors.length)
  })
})
