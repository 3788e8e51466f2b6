/**
 * `npm run split:router`: builds `data/routing/split.json` from the corpus — near-copy groups,
 * rows that repeat a golden or held-out router query, and the seeded grouped stratified split.
 * Run once; the split is committed so the test side stays the same across retraining. It refuses
 * to overwrite an existing split unless given `--force`.
 */
import { existsSync, writeFileSync } from "node:fs"
import { GOLDEN } from "../../test/routing/golden-queries.js"
import { GOLDEN_B } from "../../test/routing/golden-queries-b.js"
import { HOLDOUT } from "../../test/routing/holdout-queries.js"
import { loadCorpus } from "./corpus.js"
import { groupsOf, nearCopiesOf, nearCopyPairs } from "./dedupe.js"
import { CORPUS_FILES, FIXES_FILE, SPLIT_FILE } from "./paths.js"
import { makeSplit, type Side, SPLIT_OPTIONS } from "./split.js"

const ROUTER_SET_JACCARD = 0.6

const main = () => {
  if (existsSync(SPLIT_FILE) && !process.argv.includes("--force")) {
    process.stderr.write(`${SPLIT_FILE} exists; pass --force to rebuild it (the test side would change)\n`)
    process.exit(1)
  }
  const rows = loadCorpus(CORPUS_FILES, FIXES_FILE)
  const texts = rows.map((r) => r.text)
  const pairs = nearCopyPairs(texts)
  const groups = groupsOf(rows.length, pairs)
  const routerSets = [...GOLDEN, ...GOLDEN_B, ...HOLDOUT].map((g) => g.query)
  // A looser threshold here: the router's own sets must stay unseen, so doubt counts as overlap.
  const overlap = nearCopiesOf(texts, routerSets, ROUTER_SET_JACCARD)
  const side = makeSplit(rows, groups, new Set(overlap.keys()), SPLIT_OPTIONS)
  const ids = (s: Side) => rows.filter((_, i) => side[i] === s).map((r) => r.id)
  const split = {
    about:
      "Seeded, grouped (near copies together), task-stratified split of data/routing/corpus. The test side is never used for training, tuning, feature or threshold choices. Built by `npm run split:router`.",
    options: {
      ...SPLIT_OPTIONS,
      nearCopyJaccard: 0.8,
      routerSetJaccard: ROUTER_SET_JACCARD,
      shingle: "word 2-grams of normalised text",
    },
    nearCopies: pairs.map((p) => [rows[p.a]?.id, rows[p.b]?.id, Math.round(p.similarity * 1000) / 1000]),
    routerSetOverlap: [...overlap].map(([i, q]) => ({ id: rows[i]?.id, query: q })),
    test: ids("test"),
    validation: ids("validation"),
    train: ids("train"),
  }
  writeFileSync(SPLIT_FILE, `${JSON.stringify(split, null, 1)}\n`)
  process.stdout.write(
    `${rows.length} rows, ${pairs.length} near-copy pairs in ${new Set(groups).size} groups, ${overlap.size} rows repeat a router query; ` +
      `train ${split.train.length}, validation ${split.validation.length}, test ${split.test.length} → ${SPLIT_FILE}\n`,
  )
}

main()
