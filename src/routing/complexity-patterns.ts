/**
 * The complexity scorer's pattern data: the cognitive operations and their weights, expert
 * vocabulary by field, the phrases that signal structure, constraints, source material, output
 * depth and brevity, tokens per kind of source, and every text pattern registered once with the
 * routing gate (`G`), so one scan of the query opens only the patterns whose literals occur. The
 * scorers that read them are in complexity-dimensions.ts.
 */
import type { TaskType } from "../domain/task.js"
import { type Gated, literalsOf, routingPatterns as P } from "./gate.js"

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
export const DURATION = /\b(\d+|one|two|three|four|five|six|eight|ten)[- ]hours?\b/

/** Intermediate mathematics: multi-step technique beyond arithmetic. */
const INTERMEDIATE_MATH =
  /\b(?:integrals?|integrate|eigen\w*|matrix|matrices|system of equations|the system|statistically significant|p-value|hypothesis test|chi-squared|t-test|confidence interval|compounded|monthly payment|amorti[sz]ation|regression|limit of|series|differential equations?|primes)\b/
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

export const SCALE_NUMBER =
  /\b\d+(?:\.\d+)?\s?(?:k|m|b|million|billion|thousand)\+? (?:users|requests|rps|qps|events|rows|records|transactions|customers|devices)\b/
const SCALE_WORDS =
  /\b(?:millions of|billions of|petabytes?|terabytes?|at scale|planet-scale|web-scale|globally distributed|multi-region)\b/
const SCOPE = /\b(?:complete|full|production|framework|with tests|plus [\w-]+ tests|adding tests)\b/

export const WORD_NUMBERS: Readonly<Record<string, number>> = {
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
export const TOKENS_PER_SOURCE: Readonly<Record<string, number>> = {
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
export const FORM_LENGTH = /\b\d[\d,]*[- ](?:word|page|line|minute|verse)s?\b/
const FORM_CONSTRAINT =
  /\b(?:two|three|four) verses\b|\bchorus\b|\biambic\b|\bpentameter\b|\bnon-linear\b|\bunreliable narrator\b|\b(?:about|around) (?:two|three|five|\d+) minutes?\b|\bkeep it \w+ but \w+\b/g
const BRIEF_OUTPUT =
  /\b(?:brief(?:ly)?|short|quick(?:ly)?|one[- ](?:line|word|sentence)|in a sentence|in one sentence|tl;?dr|simple answer|just the answer|yes or no)\b/

/** Cues that the prompt pastes material after a colon ("TL;DR this: …"). */
export const PASTE_CUE =
  /\b(?:this|these|the following|following|below|text|passage|email|message|notes|article|paragraph|transcript|thread|snippet)\b/

/** Words common in plain English that are long; anything else that long hints at jargon. */
export const COMMON_LONG = new Set(
  "something everything anything different important following including possible available information understand question questions especially particular yourself themselves experience interested interesting company's companies everyone sometimes beautiful wonderful actually probably remember government business community development environment management members national personal problems services students together university children yesterday tomorrow throughout otherwise certainly suggestions recommend paragraph sentence generation".split(
    " ",
  ),
)

/** The operation a task implies when the text names none ("regex for UK postcodes" is implementation). */
export const IMPLIED_OPERATION: Partial<
  Record<TaskType, { readonly name: string; readonly weight: number }>
> = {
  code_generation: { name: "implementation", weight: 1.2 },
  mathematical: { name: "calculation", weight: 1 },
  creative: { name: "composition", weight: 1 },
  summarisation: { name: "summary", weight: 1 },
  tool_use: { name: "action", weight: 0.6 },
}

// Every text pattern is registered once, so one scan of the query opens only the patterns whose
// literals occur.
export const G_OPERATIONS = OPERATIONS.map((op) => ({ ...op, gated: P.gate(op.re) }))
export const G_DOMAINS = DOMAINS.map((d) => ({
  field: d.field,
  re: P.gate(d.re),
  advanced: d.advanced !== undefined ? P.gate(d.advanced) : undefined,
}))
/**
 * Gated too, but kept out of `G`: COMPLEXITY_PATTERNS (from `G`) is part of the classifier's
 * feature fingerprint, and these patterns were always run without a gate.
 */
export const G_DURATION = P.gate(DURATION)
export const G_SCALE_NUMBER = P.gate(SCALE_NUMBER)
export const G_FORM_LENGTH = P.gate(FORM_LENGTH)
export const G = {
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
