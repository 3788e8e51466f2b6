import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { CLASSIFY_PATTERNS } from "../../src/routing/classify.js"
import {
  COMPLEXITY_PATTERNS,
  DURATION,
  FORM_LENGTH,
  SCALE_NUMBER,
} from "../../src/routing/complexity-patterns.js"
import {
  deriveGate,
  GatedPatterns,
  gatedCount,
  gatedDistinctCount,
  gatedExec,
  gatedTest,
  literalsOf,
} from "../../src/routing/gate.js"
import { LABEL_PATTERNS } from "../../src/routing/labels.js"
import { GOLDEN } from "./golden-queries.js"
import { GOLDEN_B } from "./golden-queries-b.js"

describe("routing/gate", () => {
  it("derives the literals a match must start with", () => {
    expect(deriveGate(/\b(?:summari[sz]e|tl;?dr|recap)\b/)).toEqual({
      words: ["summari", "tl", "recap"],
      anywhere: [],
      start: false,
    })
    expect(deriveGate(/<(?:div|li)>|```|\.(?:map|get)\(/)).toEqual({
      words: [],
      anywhere: ["<div>", "<li>", "```", ".map(", ".get("],
      start: false,
    })
    expect(deriveGate(/^(?:a |an )?regex\b/)?.start).toBe(true)
    // An optional group: with it and without it.
    expect(deriveGate(/\b(?:the )?cat|\b(?:re)?pay(?:ment)?s?\b/)?.words).toEqual([
      "cat",
      "the cat",
      "pay",
      "repay",
      "payment",
      "repayment",
    ])
    expect(deriveGate(/\bx\^\d/)?.words).toEqual([
      "x^0",
      "x^1",
      "x^2",
      "x^3",
      "x^4",
      "x^5",
      "x^6",
      "x^7",
      "x^8",
      "x^9",
    ])
  })

  it("refuses to gate what it cannot prove (classes, optional starts, case-insensitive)", () => {
    expect(deriveGate(/[a-z]+ing\b/)).toBeUndefined()
    expect(deriveGate(/\b(?:the )*cat/)).toBeUndefined()
    expect(deriveGate(/\bcat/i)).toBeUndefined()
    expect(deriveGate(/\ba\b/)).toBeUndefined()
  })

  it("extracts literals from word alternations for needs", () => {
    expect(literalsOf("papers?|studies|c\\+\\+")).toEqual(["paper", "studies", "c++"])
  })

  // Every routing pattern must answer exactly as the plain regex does, whatever the text: the
  // gate (and trying the pattern only at literal offsets) is an optimisation, never a change.
  const patterns = [
    ...CLASSIFY_PATTERNS(),
    ...COMPLEXITY_PATTERNS(),
    ...LABEL_PATTERNS(),
    DURATION,
    SCALE_NUMBER,
    FORM_LENGTH,
  ]
  const index = new GatedPatterns()
  const gated = patterns.map((re) => index.gate(re))
  const corpus = [...GOLDEN, ...GOLDEN_B].map((g) => g.query.toLowerCase())
  const vocabulary = [...new Set(corpus.flatMap((q) => q.split(/\s+/)))]
  const literals = [
    ...new Set(
      patterns.flatMap((re) => {
        const g = deriveGate(re)
        return g === undefined ? [] : [...g.words, ...g.anywhere]
      }),
    ),
  ]
  const glue = fc.constantFrom(" ", ", ", "; ", ". ", "", "-", " and ", " the ", "(", ")", " 3 ", "=", " + ")
  const text = fc.oneof(
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...literals), fc.constantFrom(...vocabulary)), glue), {
        maxLength: 30,
      })
      .map((parts) => parts.map(([w, g]) => w + g).join("")),
    fc.constantFrom(...corpus),
    fc
      .array(fc.oneof(fc.constantFrom(...vocabulary), fc.string({ maxLength: 6 })), { maxLength: 40 })
      .map((ws) => ws.join(" ")),
    fc.string({ maxLength: 120 }),
  )
  const plain = (re: RegExp) => new RegExp(re.source, re.flags.replace("g", ""))
  const allMatches = (re: RegExp, t: string) => {
    const g = new RegExp(re.source, re.flags.includes("g") ? re.flags : `${re.flags}g`)
    const out: string[] = []
    for (let m = g.exec(t); m !== null; m = g.exec(t)) {
      out.push(m[0])
      if (m[0] === "") g.lastIndex++
    }
    return out
  }

  it("gated test, exec and matches agree with the plain regex on every routing pattern", () => {
    fc.assert(
      fc.property(text, (t) => {
        const scan = index.scan(t)
        gated.forEach((g, i) => {
          const re = patterns[i] as RegExp
          expect(gatedTest(g, t, scan), re.source).toBe(plain(re).test(t))
          expect(gatedExec(g, t, scan)?.[0] ?? null, re.source).toBe(plain(re).exec(t)?.[0] ?? null)
          const all = allMatches(re, t)
          expect(gatedCount(g, t, scan), re.source).toBe(all.length)
          expect(gatedDistinctCount(g, t, scan), re.source).toBe(new Set(all).size)
        })
      }),
      { numRuns: 600, seed: 11 },
    )
  })

  it("skips a pattern whose required words are absent", () => {
    const p = new GatedPatterns()
    const g = p.gate(/\bthe \w+ (?:report|paper)\b/, ["report", "paper"])
    expect(gatedTest(g, "the quarterly report", p.scan("the quarterly report"))).toBe(true)
    const t = "the quarterly numbers"
    expect(gatedTest(g, t, p.scan(t))).toBe(false)
  })
})
