/**
 * `npm run split:router`: builds `data/routing/split.json` from the corpus — near-copy groups,
 * rows that repeat a golden or held-out router query, and the seeded grouped stratified split.
 * Run once; the split is committed so the test side stays the same across retraining. It refuses
 * to overwrite an existing split unless given `--force`. `--extend` adds the corpus rows the
 * split does not list yet (new authors' files) to train and validation only: every listed row
 * keeps its side, and a new row that near-copies a test row or repeats a router query is dropped
 * (listed under `dropped`), so the held-out test side is exactly what it was.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { GOLDEN } from "../../test/routing/golden-queries.js"
import { GOLDEN_B } from "../../test/routing/golden-queries-b.js"
import { HOLDOUT } from "../../test/routing/holdout-queries.js"
import { type LabelledQuery, loadCorpus } from "./corpus.js"
import { groupsOf, type NearCopyPair, nearCopiesOf, nearCopyPairs } from "./dedupe.js"
import { CORPUS_FILES, FIXES_FILE, SPLIT_FILE } from "./paths.js"
import { extendSplit, makeSplit, type Side, SPLIT_OPTIONS } from "./split.js"

const ROUTER_SET_JACCARD = 0.6

interface SplitFile {
  readonly about: string
  readonly options: Record<string, unknown>
  readonly nearCopies: ReadonlyArray<readonly [string, string, number]>
  readonly routerSetOverlap: ReadonlyArray<{ readonly id: string; readonly query: string }>
  readonly dropped?: ReadonlyArray<{ readonly id: string; readonly reason: string; readonly of: string }>
  readonly test: ReadonlyArray<string>
  readonly validation: ReadonlyArray<string>
  readonly train: ReadonlyArray<string>
}

const ABOUT =
  "Seeded, grouped (near copies together), task-stratified split of data/routing/corpus. The test side is never used for training, tuning, feature or threshold choices. Built by `npm run split:router`; rows added later (`--extend`) go to train and validation only, and a new row that near-copies a test row or repeats a router query is dropped (listed under `dropped`)."

const pairsOf = (rows: ReadonlyArray<LabelledQuery>, pairs: ReadonlyArray<NearCopyPair>) =>
  pairs.map(
    (p) =>
      [rows[p.a]?.id as string, rows[p.b]?.id as string, Math.round(p.similarity * 1000) / 1000] as const,
  )

const main = () => {
  const extend = process.argv.includes("--extend")
  if (existsSync(SPLIT_FILE) && !extend && !process.argv.includes("--force")) {
    process.stderr.write(
      `${SPLIT_FILE} exists; pass --extend to add new corpus rows to train and validation, or --force to rebuild it (the test side would change)\n`,
    )
    process.exit(1)
  }
  const rows = loadCorpus(CORPUS_FILES, FIXES_FILE)
  const texts = rows.map((r) => r.text)
  const pairs = nearCopyPairs(texts)
  const groups = groupsOf(rows.length, pairs)
  const routerSets = [...GOLDEN, ...GOLDEN_B, ...HOLDOUT].map((g) => g.query)
  // A looser threshold here: the router's own sets must stay unseen, so doubt counts as overlap.
  const overlap = nearCopiesOf(texts, routerSets, ROUTER_SET_JACCARD)
  const ids = (side: ReadonlyArray<Side | undefined>, s: Side) =>
    rows.filter((_, i) => side[i] === s).map((r) => r.id)
  let split: SplitFile
  if (extend) {
    const old = JSON.parse(readFileSync(SPLIT_FILE, "utf8")) as SplitFile
    const was = new Map<string, Side>()
    for (const s of ["train", "validation", "test"] as const) for (const id of old[s]) was.set(id, s)
    const previouslyDropped = new Set((old.dropped ?? []).map((d) => d.id))
    const existing = rows.map((r) => was.get(r.id))
    for (const id of was.keys())
      if (!rows.some((r) => r.id === id))
        throw new Error(`${SPLIT_FILE}: row ${id} is no longer in the corpus`)
    const { side, dropped } = extendSplit(rows, groups, existing, overlap, SPLIT_OPTIONS)
    const droppedNow = dropped.filter((d) => !previouslyDropped.has(rows[d.row]?.id as string))
    split = {
      ...old,
      about: ABOUT,
      nearCopies: pairsOf(rows, pairs),
      routerSetOverlap: old.routerSetOverlap,
      dropped: [
        ...(old.dropped ?? []),
        ...droppedNow.map((d) => ({
          id: rows[d.row]?.id as string,
          reason: d.reason,
          of: typeof d.of === "number" ? (rows[d.of]?.id as string) : d.of,
        })),
      ],
      test: old.test,
      validation: ids(side, "validation"),
      train: ids(side, "train"),
    }
    const newRows = rows.filter((r, i) => existing[i] === undefined && !previouslyDropped.has(r.id)).length
    process.stdout.write(
      `${newRows} new rows: ${droppedNow.length} dropped (${droppedNow.filter((d) => d.reason === "near copy of a test row").length} near copies of a test row, ${droppedNow.filter((d) => d.reason === "repeats a router query").length} repeat a router query); `,
    )
  } else {
    const side = makeSplit(rows, groups, new Set(overlap.keys()), SPLIT_OPTIONS)
    split = {
      about: ABOUT,
      options: {
        ...SPLIT_OPTIONS,
        nearCopyJaccard: 0.8,
        routerSetJaccard: ROUTER_SET_JACCARD,
        shingle: "word 2-grams of normalised text",
      },
      nearCopies: pairsOf(rows, pairs),
      routerSetOverlap: [...overlap].map(([i, q]) => ({ id: rows[i]?.id as string, query: q })),
      test: ids(side, "test"),
      validation: ids(side, "validation"),
      train: ids(side, "train"),
    }
  }
  writeFileSync(SPLIT_FILE, `${JSON.stringify(split, null, 1)}\n`)
  process.stdout.write(
    `${rows.length} rows, ${pairs.length} near-copy pairs in ${new Set(groups).size} groups; ` +
      `train ${split.train.length}, validation ${split.validation.length}, test ${split.test.length} → ${SPLIT_FILE}\n`,
  )
}

main()
