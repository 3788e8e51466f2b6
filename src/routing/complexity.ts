/**
 * Complexity scoring, 0–10, over five dimensions: structural (0–2), reasoning depth (0–3),
 * context need (0–2), domain expertise (0–2) and output detail (0–1). Each dimension sums
 * evidence read from the text and is capped:
 *   structural — length, clauses, enumerations, deliverables and chained actions, sequencing;
 *   reasoning  — the strongest cognitive operation asked for, further operations, constraints,
 *                and depth from the subject (a proof in advanced mathematics, an implementation
 *                of a concurrent or distributed system, weighing evidence);
 *   context    — the volume of material to digest (retrieved documents, referenced papers,
 *                chapters, transcripts, pages, years of statements);
 *   domain     — expert vocabulary per field (advanced terms count double), breadth across
 *                fields, acronyms, scale;
 *   output     — requested depth, form constraints (word counts, verses, "show your working"),
 *                minus requested brevity.
 * The tier thresholds (3.5 / 7.0 by default) live in configuration.
 */
import type { ComplexityBreakdown, RoutingContext } from "../domain/decision.js"
import type { TaskType } from "../domain/task.js"
import {
  type Gated,
  gatedDistinct,
  gatedExec,
  gatedMatches,
  gatedTest,
  literalsOf,
  routingPatterns as P,
} from "./gate.js"
import { type QueryText, readQuery } from "./text.js"

/** Cognitive operations, strongest first; the strongest sets the base of reasoning depth. */
const OPERATIONS: ReadonlyArray<{ readonly name: string; readonly weight: number; readonly re: RegExp }> = [
  {
    name: "design",
    weight: 2,
    re: /\b(?:design|architect|devise|propose)\b[^.?!]{0,60}?\b(?:system|architecture|platform|service|infrastructure|pipeline|protocol|schema|network|solution|framework|strategy|schedule|plan)\b/,
  },
  {
    name: "analysis",
    weight: 2,
    re: /\b(?:analy[sz]e|analysis|evaluate|assess|critique|critically|examine|investigate|appraise|diagnose|determine (?:the|whether|why|how|which)|model the|optimi[sz]e (?:the|our|a)|quantify|forecast)\b/,
  },
  {
    name: "synthesis",
    weight: 2,
    re: /\b(?:synthesi[sz]e|synthesi[sz]ing|synthesis|reconcile|integrate (?:the )?(?:findings|results|evidence)|literature (?:review|summary)|meta-analys[ie]s|recurring (?:themes|root causes|patterns)|contradictions?|tracing how|trace how|group(?:ing)? (?:them|findings|the \w+) by)\b/,
  },
  { name: "proof", weight: 1.8, re: /\b(?:prove|proof|derive|derivation|formali[sz]e)\b/ },
  {
    name: "comparison",
    weight: 1.6,
    re: /\b(?:compare|comparing|comparison|contrast|versus|vs\.?|trade-?offs?|pros and cons|advantages and disadvantages|differences? between|differ(?:s|ed)? between|how \w+ (?:differ|compare)|choice between|weighing)\b/,
  },
  {
    name: "planning",
    weight: 1.4,
    re: /\b(?:plan|roadmap|strategy|strategic|strategi[sz]e|prioriti[sz]e|migration|sequence the|lay out|trade-?offs? between)\b/,
  },
  {
    name: "causal",
    weight: 1.2,
    re: /\bwhy\b|\b(?:implications?|consequences?|root causes?|impact of|justify|justifying|contributed to|explaining (?:\w+ )?(?:decisions|choices|reasoning)|argue)\b/,
  },
  {
    name: "implementation",
    weight: 1.2,
    re: /\b(?:write|implement|build|create|code|generate|refactor|debug|fix|port)\b[^.?!]{0,60}?\b(?:function|class|script|program|module|api|service|tests?|component|query|parser|app|kernel|queue|tree|framework|implementation|controller|type|library|store)\b/,
  },
  {
    name: "composition",
    weight: 1,
    re: /\b(?:write|compose|draft|pen)\b[^.?!]{0,40}?\b(?:poem|story|song|lyrics|toast|speech|sonnet|essay|screenplay|novel|ballad|eulogy|vows|script for a)\b/,
  },
  {
    name: "summary",
    weight: 1,
    re: /\b(?:summari[sz]e|summari[sz]ing|summary|key findings|key points|condense|main arguments|action items)\b/,
  },
  {
    name: "explanation",
    weight: 1,
    re: /\b(?:explain|explaining|describe how|how (?:does|do|did) [^?]{1,40} (?:work|keep|make|cause|spread|happen)|how \w+ works)\b/,
  },
  {
    name: "calculation",
    weight: 1,
    re: /\b(?:calculate|compute|solve|simplify|find the)\b|\d\s*[+*^×÷]\s*\d|\d \/ \d/,
  },
  {
    name: "description",
    weight: 0.4,
    re: /\b(?:describe|define|list (?:the|all|some|\d+|three|five|ten)|outline|what (?:is|are) (?:the )?(?:main|key|different))\b/,
  },
]

const ACTIONS =
  /\b(?:find|search|look up|book|add|email (?:the|it|them|him|her|my|this|a)|send|post|open|create|pull|group|schedule|query|check|fetch|cancel|move|upload|download|notify|assign|merge|deploy|cross-check|put)\b/g
/** A recording's length ("two-hour retrospective"): material grows with it. */
const DURATION = /\b(\d+|one|two|three|four|five|six|eight|ten)[- ]hours?\b/

/** Intermediate mathematics: multi-step technique beyond arithmetic. */
const INTERMEDIATE_MATH =
  /\b(?:integrals?|integrate|eigen\w*|matrix|matrices|system of equations|the system|statistically significant|p-value|hypothesis test|chi-squared|t-test|confidence interval|compounded|monthly payment|amorti[sz]ation|regression|limit of|series|differential equations?|primes)\b/
/** Formal notation: exponents, differentials, matrices, subscripts, Greek letters. */
const NOTATION = [/\^/, /\bd[xyt]\b/, /\[\[/, /\b[a-z]_[a-z0-9]/]
const WORKED =
  /\b(?:show (?:your|the|all) (?:working|work|steps)|show which|stating every|step-by-step solution|with working)\b/

const CONSTRAINTS =
  /\b(?:under [£$€]\d|below [£$€]\d|older than \d+|considering|consider|taking into account|given (?:that|the|a|our)|subject to|while (?:ensuring|maintaining|keeping|minimi[sz]ing|preserving)|under (?:the )?constraints?|without (?:sacrificing|compromising|breaking|downtime)|with no (?:downtime|data loss)|must (?:be|support|handle|not|guarantee|survive|meet)|guarantee|requirements?|budget of|within \d+|no more than|at least \d|keeping behaviou?r|identical|exactly-once|zero downtime|rpo|rto)\b/g

const CLAUSES =
  /, |; |\b(?:and|or|but|while|whereas|although|because|which|that|so that|such that|unless)\b|\b(?:considering|handling|explaining|including|synthesi[sz]ing|comparing|using|focusing|covering|assuming|supporting|ensuring|weighing|noting|grouping|identifying|tracing|highlighting|keeping|adding|stating)\b|\bfor (?:a|an|the) \w+/g

const SEQUENCE =
  /\b(?:first(?:ly)?|then|next|finally|afterwards|after that|step[- ]by[- ]step|in order|phase \d|phases|stages?)\b/
const CONDITIONAL = /\b(?:if|unless|provided that|assuming|in case|when \w+ (?:is|are|fails?))\b/
const DELIVERABLE =
  /\b(?:explain|explaining|describe|compare|comparing|analy[sz]e|evaluate|assess|design|propose|outline|justify|recommend|implement|write|summari[sz]e|discuss|identify|identifying|estimate|derive|prove|critique|synthesi[sz]e|synthesi[sz]ing|suggest|considering|include|provide|argue|sequence|find|add|email|post|open|group|pull|flag|note|noting|construct|show|state|stating|list the)\b/g

/** Expert vocabulary by field; each distinct hit adds depth, several fields add breadth. */
const DOMAINS: ReadonlyArray<{ readonly field: string; readonly re: RegExp; readonly advanced?: RegExp }> = [
  {
    field: "software-architecture",
    re: /\b(?:architectur(?:e|al)|microservices?|monoliths?|monolithic|distributed|caching|cache|latency|throughput|scalability|scalable|consistency|consensus|sharding|replication|partitions?|partitioning|fault[- ]toleran\w+|load balanc\w+|event sourcing|event-sourcing|cqrs|message (?:queues?|brokers?)|kafka|kubernetes|service mesh|idempoten\w+|high availability|rate limit\w*|cdn|multi-region|active-active|failover|conflict resolution|connection pool|p99|on-prem|cloud|migration|dependency injection|layered architecture|repositories|projections|event store|snapshotting|optimistic concurrency|data-residency|database)\b/g,
    advanced:
      /\b(?:raft|paxos|leader election|log replication|membership changes|exactly-once|linearizab\w+|serializab\w+|crdts?|vector clocks?|network partitions?|split[- ]brain|consistency models?|byzantine)\b/g,
  },
  {
    field: "systems-programming",
    re: /\b(?:algorithms?|quicksort|mergesort|heapsort|recursion|big-o|time complexity|hash tables?|binary (?:search )?trees?|b\+ ?trees?|graph theory|dynamic programming|compilers?|garbage collect\w+|concurrency|concurrent|mutex|deadlocks?|threads?|np-(?:hard|complete)|turing|automata|data structures?|type-safe|generics?|page serialisation|on-disk|property-based tests?)\b/g,
    advanced:
      /\b(?:lock-free|wait-free|atomics?|memory orderings?|aba problem|cuda|kernels?|shared memory|simd|cache lines?|false sharing|tiled|a100|gpu|node merging|key redistribution)\b/g,
  },
  {
    field: "machine-learning",
    re: /\b(?:transformers?(?:-based)?|neural networks?|recurrent|recursive neural|attention mechanisms?|gradient descent|backpropagation|embeddings?|reinforcement learning|fine-?tuning|overfitting|regulari[sz]ation|diffusion models?|llms?|language models?|convolutional|bayesian|training data|reasoning capabilities)\b/g,
  },
  {
    field: "mathematics",
    re: /\b(?:integrals?|derivatives?|eigen\w*|matrix|matrices|system of equations|probability|statistically significant|hypothesis test|p-value|confidence interval|variance|regression|differential equations?|limits?|series|sequence|converges?|convergence|bounded|monotonic\w*|primes?|compounded|amorti[sz]ation|adverse events|control patients)\b/g,
    advanced:
      /\b(?:modules?|principal ideal domain|rings?|ideals?|homomorphisms?|galois|manifolds?|topolog\w+|measure theory|hilbert|banach|zeta function|riemann|pde|itô|ito's lemma|stochastic calculus|black-scholes|delta-hedging|mle|maximum likelihood|unbiased estimator|cramér-rao|cramer-rao|i\.i\.d\.|finitely generated|cyclic modules|direct sum)\b/g,
  },
  {
    field: "finance-law",
    re: /\b(?:fintech|regulatory|regulations?|compliance|gdpr|hipaa|sox|soc 2|pci(?:-dss)?|audit|liability|liabilit(?:y|ies) caps?|jurisdiction|contract law|tort|securities|derivatives|portfolio|monetary policy|inflation|macroeconomic|valuation|tax law|antitrust|payments?|settlement|earnings|guidance|margins?|10-k|filings|revenue mix|debt profile|fomc|federal reserve|index funds?|interest rates?|foreseeability|court|case law|precedent|data-retention|retention schedule)\b/g,
  },
  {
    field: "business-strategy",
    re: /\b(?:go-to-market|market entry|b2b|saas|competitive|competitors?|competitor responses|m&a|acquisitions?|out-licensing|patent expiry|pricing|market share|cash flow|stakeholders|business model|unit economics|positioning)\b/g,
  },
  {
    field: "medicine-science",
    re: /\b(?:quantum|relativity|thermodynamics|entropy|genomic\w*|molecular|proteins?|enzymes?|clinical|pathology|pharmac\w+|epidemiolog\w+|immunolog\w+|neuroscience|crispr|off-target|mitochondria|climate model\w*|metabolic|efficacy|side-effect profiles?|cost-effectiveness|glp-1|agonists?|bariatric|obesity|rcts?|randomi[sz]ed|observational studies|calorie restriction|biosimilar|r&d|hypertension|antibiotics?)\b/g,
  },
  {
    field: "humanities",
    re: /\b(?:historiograph\w+|thesis|interpretations?|archival|treaty|fascism|scholarship|revisionist|ideolog\w+|geopolitic\w+|colonial\w*|primary sources)\b/g,
  },
  {
    field: "research",
    re: /\b(?:research papers?|papers|findings|literature|studies|empirical|peer-reviewed|state of the art|benchmarks?|methodolog\w+|hypothes[ie]s|meta-analys[ie]s|evidence|trials|open research questions)\b/g,
  },
  {
    field: "security",
    re: /\b(?:encryption|cryptograph\w+|authentication|authori[sz]ation|oauth|zero[- ]trust|threat model\w*|vulnerabilit\w+|exploits?|tls|pki)\b/g,
  },
  {
    field: "tooling",
    re: /\b(?:numpy|pandas|docker|git|npm|pip|webpack|react|django|postgres\w*|redis|sql|express|\.net)\b/g,
  },
]

const SCALE_NUMBER =
  /\b\d+(?:\.\d+)?\s?(?:k|m|b|million|billion|thousand)\+? (?:users|requests|rps|qps|events|rows|records|transactions|customers|devices)\b/
const SCALE_WORDS =
  /\b(?:millions of|billions of|petabytes?|terabytes?|at scale|planet-scale|web-scale|globally distributed|multi-region)\b/
/** Code-like tokens: `obj.method(`, `call()`, or `backticked` text. A scan, not a regex: cheap on long text. */
const codeLike = (raw: string): boolean => {
  if (/`[^`]+`/.test(raw)) return true
  for (let i = raw.indexOf("("); i > 0; i = raw.indexOf("(", i + 1)) {
    if (raw[i + 1] === ")" && /\w/.test(raw[i - 1] as string)) return true
    let j = i - 1
    while (j >= 0 && /\w/.test(raw[j] as string)) j--
    if (j < i - 1 && j > 0 && raw[j] === "." && /\w/.test(raw[j - 1] as string)) return true
  }
  return false
}
const SCOPE = /\b(?:complete|full|production|framework|with tests|plus [\w-]+ tests|adding tests)\b/

const WORD_NUMBERS: Readonly<Record<string, number>> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  twelve: 12,
  twenty: 20,
  several: 4,
  multiple: 3,
  many: 6,
}
/** Typical tokens per unit of source material, for estimating the context a task needs. */
const TOKENS_PER_SOURCE: Readonly<Record<string, number>> = {
  papers: 8000,
  paper: 8000,
  studies: 8000,
  reports: 5000,
  report: 5000,
  chapters: 6000,
  chapter: 6000,
  books: 80000,
  book: 80000,
  documents: 3000,
  document: 3000,
  docs: 3000,
  articles: 2500,
  article: 2500,
  transcripts: 6000,
  transcript: 6000,
  interviews: 6000,
  calls: 6000,
  files: 2000,
  sources: 2500,
  emails: 400,
  email: 400,
  contracts: 5000,
  contract: 5000,
  agreements: 5000,
  filings: 30000,
  statements: 2000,
  notes: 1500,
  policies: 3000,
  thread: 1500,
  thesis: 30000,
  codebase: 40000,
  repository: 40000,
  syllabus: 3000,
  scheme: 2000,
  logs: 4000,
  bulletins: 2000,
  guidelines: 4000,
  "board minutes": 2500,
  "meeting minutes": 2500,
  correspondence: 3000,
  specification: 5000,
}
const SOURCE_NOUN =
  "papers?|studies|reports?|chapters?|books?|documents?|docs|articles?|transcripts?|interviews|calls|files|sources|emails?|contracts?|agreements?|filings|statements|notes|policies|thread|thesis|codebase|repository|syllabus|scheme|logs|bulletins|guidelines|board minutes|meeting minutes|correspondence|specification"
const COUNTED_SOURCES = new RegExp(
  `\\b(\\d+|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|several|multiple|many) (?:[\\w'-]+ ){0,3}?(${SOURCE_NOUN})\\b`,
)
const SINGLE_SOURCE = new RegExp(
  `\\b(?:this|these|the|that|my|our|attached|following|entire|whole|full) (?:(\\d+)[- ]page |(\\w+)[- ]hour |[\\w'-]+ ){0,5}?(${SOURCE_NOUN})\\b`,
)
const PERIOD_OF =
  /\b(\d+|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty) (years|quarters|months) of\b/
const LITERATURE =
  /\b(?:from|across|in) (?:recent|multiple|several|various|many|the latest|current|published|the major) (?:\w+ ){0,2}(?:papers|studies|research|sources|literature|articles|reports|trials)\b|\bliterature\b|\bstate of the art\b|\bthe (?:archival |available |published |scientific )?evidence (?:on|for|from)\b|\bmeta-analyses\b/

const DEEP_OUTPUT =
  /\b(?:detailed|comprehensive|thorough|in-depth|in depth|exhaustive|rigorous|elaborate|extensive|deep dive|complete|from first principles|production[- ](?:ready|grade)|end-to-end)\b/
const EXPLAIN_OUTPUT =
  /\b(?:explain|explaining|describe|justify|justifying|discuss|elaborate|with examples|step[- ]by[- ]step|report|essay|whitepaper|proposal|design doc\w*|show your working|show which|stating every|executive summary|structured|with owners|representative quotes|include the|plus [\w-]+ tests|with tests|adding tests)\b/g
const FORM_LENGTH = /\b\d[\d,]*[- ](?:word|page|line|minute|verse)s?\b/
const FORM_CONSTRAINT =
  /\b(?:two|three|four) verses\b|\bchorus\b|\biambic\b|\bpentameter\b|\bnon-linear\b|\bunreliable narrator\b|\b(?:about|around) (?:two|three|five|\d+) minutes?\b|\bkeep it \w+ but \w+\b/g
const BRIEF_OUTPUT =
  /\b(?:brief(?:ly)?|short|quick(?:ly)?|one[- ](?:line|word|sentence)|in a sentence|in one sentence|tl;?dr|simple answer|just the answer|yes or no)\b/

const round = (n: number) => Math.round(n * 100) / 100
/**
 * Evidence → dimension score: evidence × EVIDENCE_GAIN, capped to the dimension's range. The gain
 * is a calibration, fitted once on the golden set (test/routing/golden-queries.ts) so that the
 * default thresholds 3.5 / 7.0 separate its tiers; the weights above stay readable as relative
 * evidence.
 */
const EVIDENCE_GAIN = 1.2
const cap = (n: number, max: number) => Math.max(0, Math.min(max, EVIDENCE_GAIN * n))
const count = (raw: string | undefined) => Number(raw) || WORD_NUMBERS[raw ?? ""] || 2

export interface ComplexityResult extends ComplexityBreakdown {
  /** Tokens of source material the query implies (documents it refers to, plus its own length). */
  readonly estimatedContextTokens: number
}

// ---- gates: every text pattern is registered once, so one scan of the query opens only the
// patterns whose literals occur.
const G_OPERATIONS = OPERATIONS.map((op) => ({ ...op, gated: P.gate(op.re) }))
const G_DOMAINS = DOMAINS.map((d) => ({
  field: d.field,
  re: P.gate(d.re),
  advanced: d.advanced !== undefined ? P.gate(d.advanced) : undefined,
}))
const G = {
  constraints: P.gate(CONSTRAINTS),
  sequence: P.gate(SEQUENCE),
  conditional: P.gate(CONDITIONAL),
  clauses: P.gate(CLAUSES),
  deliverable: P.gate(DELIVERABLE),
  actions: P.gate(ACTIONS),
  intermediateMath: P.gate(INTERMEDIATE_MATH),
  worked: P.gate(WORKED),
  scaleWords: P.gate(SCALE_WORDS),
  counted: P.gate(COUNTED_SOURCES, literalsOf(SOURCE_NOUN)),
  single: P.gate(SINGLE_SOURCE, literalsOf(SOURCE_NOUN)),
  period: P.gate(PERIOD_OF),
  literature: P.gate(LITERATURE, [
    ...literalsOf(
      "papers|studies|research|sources|literature|articles|reports|trials|state of the art|evidence",
    ),
    "meta-analyses",
  ]),
  deep: P.gate(DEEP_OUTPUT),
  explain: P.gate(EXPLAIN_OUTPUT),
  form: P.gate(FORM_CONSTRAINT),
  brief: P.gate(BRIEF_OUTPUT),
  scope: P.gate(SCOPE),
} satisfies Record<string, Gated>

/** Every pattern the scorer runs (for the gate tests). */
export const COMPLEXITY_PATTERNS = (): ReadonlyArray<RegExp> => [
  ...OPERATIONS.map((o) => o.re),
  ...DOMAINS.flatMap((d) => (d.advanced !== undefined ? [d.re, d.advanced] : [d.re])),
  ...Object.values(G).map((g) => g.re),
]

/**
 * Where the material pasted into the prompt begins ("TL;DR this: '…'", "List the action items
 * from these notes: …"): a long tail after a colon, or a long quoted passage. The instruction
 * before it is what the request asks; the material only adds context to digest.
 */
const PASTE_CUE =
  /\b(?:this|these|the following|following|below|text|passage|email|message|notes|article|paragraph|transcript|thread|snippet)\b/
const QUOTE_OPEN = /(?:^|[:\s])["“‘']/
const materialStart = (raw: string): number | undefined => {
  const colon = raw.indexOf(": ")
  if (
    colon > 0 &&
    colon < 120 &&
    raw.length - colon > 120 &&
    PASTE_CUE.test(raw.slice(0, colon).toLowerCase())
  ) {
    return colon
  }
  // A long quoted passage that runs to the end of the prompt.
  const open = QUOTE_OPEN.exec(raw)
  if (open === null || open.index > 160) return undefined
  const start = open.index + open[0].length - 1
  const tail = raw.trimEnd()
  const closes = /["”’'][.!?)]*$/.test(tail)
  return closes && tail.length - start > 100 ? start : undefined
}

/** Words common in plain English that are long; anything else that long hints at jargon. */
const COMMON_LONG = new Set(
  "something everything anything different important following including possible available information understand question questions especially particular yourself themselves experience interested interesting company's companies everyone sometimes beautiful wonderful actually probably remember government business community development environment management members national personal problems services students together university children yesterday tomorrow throughout otherwise certainly suggestions recommend paragraph sentence generation".split(
    " ",
  ),
)

/** Distinct long (10+ letters) uncommon words and hyphenated compounds: a domain-agnostic jargon hint. */
const jargon = (lower: string): number => {
  const seen = new Set<string>()
  for (const w of lower.split(/[^a-z-]+/)) {
    if (w.length >= 10 && !COMMON_LONG.has(w)) seen.add(w)
    else if (w.includes("-") && w.length >= 7 && !w.startsWith("-") && !w.endsWith("-")) seen.add(w)
  }
  return seen.size
}

/** The operation a task implies when the text names none ("regex for UK postcodes" is implementation). */
const IMPLIED_OPERATION: Partial<Record<TaskType, { readonly name: string; readonly weight: number }>> = {
  code_generation: { name: "implementation", weight: 1.2 },
  mathematical: { name: "calculation", weight: 1 },
  creative: { name: "composition", weight: 1 },
  summarisation: { name: "summary", weight: 1 },
  tool_use: { name: "action", weight: 0.6 },
}

export const scoreComplexity = (
  q: QueryText,
  context: RoutingContext | undefined,
  task?: TaskType,
): ComplexityResult => {
  const split = materialStart(q.raw)
  if (split !== undefined) {
    // Score the instruction; the pasted material counts only as context to digest.
    return scoreText(readQuery(q.raw.slice(0, split)), context, task, Math.ceil((q.length - split) / 4))
  }
  return scoreText(q, context, task, 0)
}

const scoreText = (
  q: QueryText,
  context: RoutingContext | undefined,
  task: TaskType | undefined,
  materialTokens: number,
): ComplexityResult => {
  const t = q.lower
  const signals: string[] = []
  const found = q.open
  const hasDigit = /\d/.test(t)

  // ---- structural: size and shape of the request
  let structural = q.words >= 150 ? 1.2 : q.words >= 60 ? 0.9 : q.words >= 30 ? 0.6 : q.words >= 15 ? 0.3 : 0
  if (structural > 0) signals.push(`length ${q.words} words`)
  const clauses = gatedMatches(G.clauses, t, found).length
  if (clauses > 0) {
    structural += Math.min(0.9, 0.15 * clauses)
    signals.push(`clauses ${clauses}`)
  }
  if (q.enumeration >= 3) {
    structural += Math.min(0.8, 0.4 + 0.1 * (q.enumeration - 3))
    signals.push(`enumeration ${q.enumeration}`)
  }
  const deliverables = gatedDistinct(G.deliverable, t, found).length
  if (deliverables >= 2) {
    structural += Math.min(0.8, 0.2 * (deliverables - 1))
    signals.push(`deliverables ${deliverables}`)
  }
  if (q.questions >= 2) {
    structural += 0.4
    signals.push(`questions ${q.questions}`)
  }
  if (gatedTest(G.sequence, t, found)) {
    structural += 0.4
    signals.push("sequenced")
  }
  if (gatedTest(G.conditional, t, found)) {
    structural += 0.2
    signals.push("conditional")
  }
  let equations = 0
  for (let i = t.indexOf("="); i >= 0; i = t.indexOf("=", i + 1)) equations++
  if (equations >= 2) {
    structural += Math.min(0.9, 0.3 * equations)
    signals.push(`equations ${equations}`)
  }

  // ---- domain expertise: distinct expert terms (advanced ones double), breadth, scale
  let domain = 0
  let fields = 0
  let terms = 0
  let advancedMath = 0
  let advancedSystems = 0
  for (const d of G_DOMAINS) {
    const basic = gatedDistinct(d.re, t, found).length
    const advanced = d.advanced !== undefined ? gatedDistinct(d.advanced, t, found).length : 0
    if (basic + advanced === 0) continue
    fields++
    terms += basic + 2 * advanced
    if (d.field === "mathematics") advancedMath = advanced
    if (d.field === "software-architecture" || d.field === "systems-programming") advancedSystems += advanced
    signals.push(`${d.field}(${basic}${advanced > 0 ? `+${advanced} advanced` : ""})`)
  }
  domain += Math.min(1.6, 0.4 * terms)
  if (fields >= 2) domain += 0.4
  const unusual = jargon(t)
  if (unusual > 0) {
    domain += Math.min(0.9, 0.15 * unusual)
    signals.push(`jargon ${unusual}`)
  }
  if (q.acronyms > 0) {
    domain += Math.min(0.6, 0.2 * q.acronyms)
    signals.push(`acronyms ${q.acronyms}`)
  }
  if ((hasDigit && SCALE_NUMBER.test(t)) || gatedTest(G.scaleWords, t, found)) {
    domain += 0.8
    signals.push("scale")
  }
  if (codeLike(q.raw)) {
    domain += 0.3
    signals.push("code-like")
  }

  // ---- reasoning depth: strongest operation, further operations, constraints, subject depth
  let reasoning = 0
  const ops: string[] = []
  for (const op of G_OPERATIONS) {
    if (!gatedTest(op.gated, t, found)) continue
    reasoning += ops.length === 0 ? op.weight : Math.min(0.5, op.weight / 2)
    ops.push(op.name)
  }
  const implied = task !== undefined ? IMPLIED_OPERATION[task] : undefined
  if (implied !== undefined && !ops.includes(implied.name)) {
    reasoning += ops.length === 0 ? implied.weight : Math.min(0.5, implied.weight / 2)
    ops.push(implied.name)
  }
  if (ops.length > 0) signals.push(...ops)
  const constraints = gatedDistinct(G.constraints, t, found).length
  if (constraints > 0) {
    reasoning += Math.min(0.9, 0.3 * constraints)
    signals.push(`constraints ${constraints}`)
  }
  const mathOp = ops.includes("proof") || ops.includes("calculation")
  if (mathOp && advancedMath > 0) {
    reasoning += 1.5
    signals.push("advanced mathematics")
  } else if (mathOp && (gatedTest(G.intermediateMath, t, found) || equations >= 2)) {
    reasoning += 0.8
    signals.push("multi-step mathematics")
  }
  let notation = 0
  for (const re of NOTATION) if (re.test(q.raw)) notation++
  if (equations >= 2) notation++
  if (q.mathSymbols) notation++
  if (notation > 0) {
    domain += Math.min(0.6, 0.2 * notation)
    signals.push(`notation ${notation}`)
  }
  const actions = gatedDistinct(G.actions, t, found).length
  if (actions >= 2) {
    reasoning += Math.min(2, 1 + 0.5 * (actions - 2))
    signals.push(`workflow ${actions} steps`)
  }
  if (ops.includes("implementation") && advancedSystems > 0) {
    reasoning += 1
    signals.push("hard systems implementation")
  }
  if (ops.includes("implementation") && (q.enumeration >= 3 || gatedTest(G.scope, t, found))) {
    reasoning += 0.8
    signals.push("broad implementation scope")
  }

  // ---- context need: how much source material must be digested
  let sourceTokens = 0
  const docs = context?.retrievedDocs ?? 0
  if (docs > 0) {
    sourceTokens += docs * 1200
    signals.push(`retrieved docs ${docs}`)
  }
  let sources = docs
  const counted = gatedExec(G.counted, t, found)
  const period = gatedExec(G.period, t, found)
  const single = gatedExec(G.single, t, found)
  if (counted) {
    sources = Math.max(sources, count(counted[1]))
    sourceTokens += count(counted[1]) * (TOKENS_PER_SOURCE[counted[2] ?? ""] ?? 2000)
    signals.push(`sources ${counted[1]} ${counted[2]}`)
  } else if (period) {
    const n = count(period[1]) * (period[2] === "years" ? 8 : period[2] === "quarters" ? 2 : 1)
    sources = Math.max(sources, n)
    sourceTokens += n * 3000
    signals.push(`sources ${period[1]} ${period[2]}`)
  } else if (single && materialTokens === 0) {
    const pages = Number(single[1]) || 0
    const hours = count(single[2]) || 0
    const noun = single[3] ?? ""
    // A plural without a count ("the attached case files") is taken as a few.
    const plural = noun.endsWith("s") && noun !== "thesis" && noun !== "notes" && noun !== "docs" ? 3 : 1
    const duration = single[2] === undefined ? DURATION.exec(t) : null
    const tokens =
      pages > 0
        ? pages * 600
        : single[2] !== undefined
          ? hours * 4000
          : duration !== null
            ? count(duration[1]) * 4000
            : plural * (TOKENS_PER_SOURCE[noun] ?? 2000)
    sourceTokens += tokens
    sources = Math.max(sources, single[2] === undefined && pages === 0 && noun.endsWith("s") ? 3 : 1)
    signals.push(
      `source ${pages > 0 ? `${pages}-page ` : single[2] !== undefined ? `${single[2]}-hour ` : ""}${noun}`,
    )
  }
  if (!counted && gatedTest(G.literature, t, found)) {
    sourceTokens += 3 * 8000
    sources = Math.max(sources, 3)
    signals.push("literature")
  }
  // Digesting several sources into one answer is synthesis, whatever verb asked for it.
  if (sources >= 2 && ops.length > 0 && !ops.includes("synthesis")) {
    reasoning += 0.5
    signals.push("multi-source synthesis")
  }
  const ownTokens = Math.ceil(q.length / 4) + materialTokens
  if (materialTokens > 0) signals.push(`inline material ~${materialTokens} tokens`)
  const totalTokens = sourceTokens + ownTokens
  // Context need grows with the log of the material: 1.5k tokens ≈ 0.3, 6k ≈ 1.4, 12k+ ≈ 2.
  let contextScore = totalTokens >= 1000 ? Math.min(2, 0.55 * Math.log2(totalTokens / 1000)) : 0
  // Condensing a long document is harder than condensing a paragraph.
  if ((ops.includes("summary") || ops.includes("synthesis")) && sourceTokens >= 5000) {
    reasoning += sourceTokens >= 15000 ? 1 : 0.5
    signals.push("long material")
  }
  if (contextScore === 0 && docs > 0) contextScore = 0.5
  const minCtx = context?.minContextWindow ?? 0
  if (minCtx >= 32000) {
    contextScore += 0.5
    signals.push(`min context ${minCtx}`)
  }
  if (ownTokens >= 1500) signals.push(`long input ~${ownTokens} tokens`)

  // ---- output detail: requested depth and form
  let output = 0
  if (gatedTest(G.deep, t, found)) {
    output += 0.5
    signals.push("depth requested")
  }
  const explained = gatedDistinct(G.explain, t, found).length
  if (explained > 0) output += Math.min(0.6, 0.3 * explained)
  const forms = gatedDistinct(G.form, t, found).length + (hasDigit && FORM_LENGTH.test(t) ? 1 : 0)
  if (forms > 0) {
    output += Math.min(0.8, 0.4 * forms)
    structural += Math.min(0.6, 0.3 * forms)
    signals.push(`form constraints ${forms}`)
  }
  if (q.enumeration >= 3) output += 0.3
  if (ops.length >= 2) output += 0.2
  if (gatedTest(G.worked, t, found)) {
    output += 0.5
    signals.push("worked answer")
  }
  if (gatedTest(G.brief, t, found)) {
    output -= 0.6
    signals.push("brevity requested")
  }

  const s = round(cap(structural, 2))
  const r = round(cap(reasoning, 3))
  const c = round(cap(contextScore, 2))
  const d = round(cap(domain, 2))
  const o = round(cap(output, 1))
  return {
    total: round(s + r + c + d + o),
    structural: s,
    reasoning: r,
    context: c,
    domain: d,
    output: o,
    signals,
    estimatedContextTokens: totalTokens,
  }
}
