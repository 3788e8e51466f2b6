/**
 * A fingerprint of routing's decisions, for optimisations that must not change them: the JSON of
 * every decision (or error) on the routing bench's stream (rules alone and with the classifier,
 * then through the learner's step with a seeded RNG), and on the corpus texts
 * (data/routing/corpus) with the classifier, with and without retrieved documents, plus every
 * twentieth text made 3,000+ characters long. Prints one SHA-256 per part and one over all of
 * them; run it on two builds and compare.
 * Run: `npx tsc -p tsconfig.bench.json && node .bench-build/loadtest/bench/routing-decisions-hash.js`.
 */
import { createHash } from "node:crypto"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Result } from "effect"
import { loadConfig } from "../../src/config/load.js"
import type { RoutingDecision, RoutingRequest } from "../../src/domain/decision.js"
import { GB } from "../../src/domain/model-profile.js"
import { ModelRegistry } from "../../src/registry/registry.js"
import { type RouterEnv, route } from "../../src/routing/router.js"
import { loadClassifier, shippedWeightsPath } from "../../src/routing/weights.js"
import { GOLDEN as FIRST } from "../../test/routing/golden-queries.js"
import { GOLDEN_B } from "../../test/routing/golden-queries-b.js"
import { learnerStep } from "./routing.bench.js"

const BUDGET = 48 * GB

const config = Result.getOrThrow(loadConfig({ env: {} }))
const classifier = Result.getOrThrow(loadClassifier(shippedWeightsPath())).classifier
const rules: RouterEnv = {
  registry: new ModelRegistry(config.models),
  personas: config.personas,
  routing: config.conductor.routing,
  fallbacks: config.conductor.fallbacks,
  budgetBytes: BUDGET,
}
const withModel: RouterEnv = { ...rules, classifier }

/** The weights' path (the model's `source`) differs between checkouts: left out. */
const stable = (k: string, v: unknown) => (k === "source" && typeof v === "string" ? "weights" : v)
const json = (r: Result.Result<RoutingDecision, unknown>) =>
  JSON.stringify(Result.isSuccess(r) ? { ok: r.success } : { err: r.failure }, stable)

const digest = (lines: Iterable<string>): { hash: string; n: number } => {
  const h = createHash("sha256")
  let n = 0
  for (const l of lines) {
    h.update(l)
    h.update("\n")
    n++
  }
  return { hash: h.digest("hex"), n }
}

// The bench's stream.
const personas = [undefined, "researcher", "developer", "casual"]
const stream: RoutingRequest[] = [...FIRST, ...GOLDEN_B].map((g, i) => ({
  query: g.query,
  ...(personas[i % 4] !== undefined ? { persona: personas[i % 4] as string } : {}),
  ...(g.docs !== undefined ? { context: { retrievedDocs: g.docs } } : {}),
}))

// The corpus, and long variants of every twentieth text (repeated to 3,000+ characters).
const corpusDir = join(process.cwd(), "data/routing/corpus")
const texts: string[] = []
for (const f of readdirSync(corpusDir)
  .filter((f) => f.endsWith(".jsonl"))
  .sort()) {
  for (const line of readFileSync(join(corpusDir, f), "utf8").split("\n")) {
    if (line.trim() !== "") texts.push((JSON.parse(line) as { text: string }).text)
  }
}
const long = texts
  .filter((_, i) => i % 20 === 0)
  .map((t) => {
    let s = t
    while (s.length < 3000) s = `${s}\n\n${t}`
    return s
  })
const corpusRequests = (ts: ReadonlyArray<string>): RoutingRequest[] =>
  ts.flatMap((t, i) => [
    { query: t },
    { query: t, context: { retrievedDocs: 1 + (i % 5) } },
    ...(i % 7 === 0 ? [{ query: t, persona: personas[1 + (i % 3)] as string }] : []),
  ])

function* learned(): Generator<string> {
  const step = learnerStep(config)
  for (let round = 0; round < 3; round++) {
    for (const [i, r] of stream.entries()) {
      const d = route(r, withModel)
      if (Result.isSuccess(d))
        yield JSON.stringify(
          step(d.success, r, round === 2 && i % 3 === 0 ? 0.5 + (i % 5) : undefined),
          stable,
        )
    }
  }
}

const parts: Record<string, { hash: string; n: number }> = {
  "stream, rules alone": digest(stream.map((r) => json(route(r, rules)))),
  "stream, classifier": digest(stream.map((r) => json(route(r, withModel)))),
  "stream, classifier + learner": digest(learned()),
  "corpus, classifier": digest(corpusRequests(texts).map((r) => json(route(r, withModel)))),
  "corpus, rules alone": digest(corpusRequests(texts).map((r) => json(route(r, rules)))),
  "long corpus, classifier": digest(corpusRequests(long).map((r) => json(route(r, withModel)))),
  "long corpus, rules alone": digest(corpusRequests(long).map((r) => json(route(r, rules)))),
}
let n = 0
for (const [name, p] of Object.entries(parts)) {
  process.stdout.write(`${name.padEnd(30)} ${String(p.n).padStart(6)}  ${p.hash}\n`)
  n += p.n
}
process.stdout.write(
  `${"all".padEnd(30)} ${String(n).padStart(6)}  ${digest(Object.values(parts).map((p) => p.hash)).hash}\n`,
)
