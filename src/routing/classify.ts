/**
 * Task classification: which of the nine task types a query is, with a confidence, plus the hard
 * capability needs it carries (tools, vision). Weighted signals per task; the highest total wins,
 * ties broken by the order of TASK_PRIORITY. Pure and allocation-light: it runs on every request.
 */
import type { RoutingContext } from "../domain/decision.js"
import { type Capability, TASK_TYPES, type TaskType } from "../domain/task.js"
import { type Gated, gatedTest, literalsOf, routingPatterns as patterns } from "./gate.js"
import type { QueryText } from "./text.js"

interface SignalSpec {
  readonly task: TaskType
  readonly weight: number
  readonly label: string
  readonly re: RegExp
  /** Words of which one must occur for the pattern to be tried (its rare, required part). */
  readonly needs?: ReadonlyArray<string>
  /** A precondition on the whole query, checked before the pattern. */
  readonly when?: (q: QueryText) => boolean
}

const CODE_ARTIFACT =
  "functions?|class(?:es)?|methods?|script|program|module|api|endpoint|regex|regular expression|sql|component|unit tests?|test suite|tests? for|cli|parser|decorator|snippet|code|library|app|application|web server|bot|crawler|scraper|dockerfile|makefile|bash|shell|migration|interface|struct|enum|hook|lambda|loop|recursive function|implementation|linked list|binary tree|b\\+ tree|hash map|queue|stack|controller|handler|middleware|utility type|generic|kernel|shader|framework|sdk|plugin|extension|query that|query to"
const DOC_NOUNS =
  "documents?|docs|documentation|context|sources?|passages?|excerpts?|notes|files?|pdfs?|knowledge base|wiki|manual|handbook|policy|policies|contracts?|agreements?|transcripts?|records|guidelines|filings|reports?|case files|minutes|slides|spreadsheets?|syllabus|marking scheme|specification|spec|brief|logs?|bulletins?|invoices?|datasets?|data sheets?|datasheets?|tables?|deck|emails?|letters?|terms|lease|statements?|readings?"
const SERVICES =
  "api|apis|slack|jira|github|gitlab|datadog|grafana|pagerduty|shopify|salesforce|notion|trello|stripe|google calendar|gmail|outlook|zendesk|hubspot|google sheets|sheets|calendar|crm|tms|erp"
const TRAVEL = "flights?|hotels?|trains?|restaurants?|tickets"
const LIVE = "weather|forecast|stock|share price|exchange rate|news|headlines|flight status|traffic|score"
const WHEN_NOW = "today|tomorrow|tonight|right now|this week|this weekend|next week|currently|at the moment"
const ACTION_OBJECTS =
  "email|e-mail|message|sms|meeting|appointment|reminder|alarm|calendar|calendar event|flight|hotel room|table for|ticket|invite|timer|jira ticket|issue|slack|channel"
const LANGUAGES =
  "python|javascript|typescript|java|rust|golang|c\\+\\+|c#|kotlin|swift|ruby|php|scala|haskell|bash|powershell|sql|html|css|react|node\\.?js|django|flask|pandas|numpy|pytorch|tensorflow|terraform|cuda|jest|pytest|express|spring|\\.net|go(?= (?:code|program|function|service|module))|in go\\b|in c\\b"

/** The signal table. Weights are evidence, not probabilities: 3 is decisive, 1 is a hint. */
const SIGNAL_SPECS: ReadonlyArray<SignalSpec> = [
  // ---- code_generation
  {
    task: "code_generation",
    weight: 3,
    label: "code request",
    needs: literalsOf(CODE_ARTIFACT),
    re: new RegExp(
      `\\b(?:write|create|generate|implement|build|make|code|develop|add|give me|show me)\\b[^.?!]{0,50}?\\b(?:${CODE_ARTIFACT})\\b`,
    ),
  },
  {
    task: "code_generation",
    weight: 3,
    label: "code in a language",
    needs: literalsOf(LANGUAGES),
    re: new RegExp(
      `\\b(?:write|implement|build|create|develop|code|port|translate|convert|rewrite)\\b[^.?!]{0,70}?\\b(?:${LANGUAGES})(?![\\w+#])`,
    ),
  },
  {
    task: "code_generation",
    weight: 3,
    label: "code fix",
    re: /\b(?:debug|fix|refactor|optimi[sz]e|review|port|convert|lint|speed up|profile)\b[^.?!]{0,40}?\b(?:code|function|bug|method|script|sql|class|loop|program|snippet|regex|tests?|stack trace|exception|segfault|memory leak|controller|component|endpoint|typeerror|error:|query\b(?! for search))|\brefactor\b|^fix this\b/,
  },
  {
    task: "code_generation",
    weight: 2.5,
    label: "code artifact",
    re: /^(?:a |an )?(?:regex|regular expression|sql query|bash one-liner|one-liner|dockerfile|makefile|cron expression|jq filter|css selector)\b|\b(?:regex|regular expression|cron expression|jq filter) (?:for|to|that|matching)\b|\b(?:jest|pytest|junit|mocha|vitest) (?:unit )?tests?\b/,
  },
  {
    task: "code_generation",
    weight: 2.5,
    label: "code how-to",
    re: new RegExp(
      `\\bhow (?:do|can|would|should) (?:i|you|we) (?:implement|code|program|write|parse|reverse|sort|iterate|loop|read|serialize|deserialize|convert|mock|unit test)\\b[^.?!]*\\b(?:in|with|using) (?:${LANGUAGES})\\b`,
    ),
  },
  {
    task: "code_generation",
    weight: 2.5,
    label: "code in text",
    re: /```|\bdef \w+\(|\bfunction \w+\(|=>|#include|\bimport \w+ from\b|\bfor \w+ in [^;]+; do\b|<(?:div|span|li|ul|p|a|button|input|form|table|tr|td|script|style|template)>|<\/(?:div|span|li|ul|p|a|button|input|form|table|tr|td|script|style|template)>|\(\)\s*[{;]|\.(?:map|filter|reduce|foreach|then|push|append|get|set|convolve|read|write|split|join)\(/,
  },
  {
    task: "code_generation",
    weight: 1.5,
    label: "error trace",
    re: /\b(?:stack trace|traceback|segfault|null pointer|syntax error|typeerror|valueerror|nullpointerexception|undefined is not a function|cannot read propert(?:y|ies) of|compile error|compiler error|borrow checker|race condition|off-by-one)\b/,
  },
  { task: "code_generation", weight: 1, label: "language", re: new RegExp(`\\b(?:${LANGUAGES})(?![\\w+#])`) },

  // ---- mathematical
  {
    task: "mathematical",
    weight: 3,
    label: "arithmetic",
    re: /\d\s*[+*/×÷^]\s*\(?\d|\d\s+-\s+\d|\bx\^\d|\d+x\b|=\s*-?\d/,
  },
  {
    task: "mathematical",
    weight: 3,
    label: "math verb",
    re: /\b(?:calculate|compute|solve|simplify|factori[sz]e|differentiate|evaluate the (?:integral|expression|limit|sum)|integrate (?:x|the function|sin|cos|e\^)|derive (?:the|a) (?:formula|equation|derivative|pde|mle|estimator|distribution))\b/,
  },
  {
    task: "mathematical",
    weight: 2,
    label: "math term",
    re: /\b(?:equations?|integrals?|derivatives?|calculus|algebra|geometry|trigonometry|probability|matrix|matrices|eigen\w*|lemma|proofs?|prove|polynomials?|logarithms?|fractions?|prime numbers?|primes|factorial|variance|standard deviation|quadratic|square root|hypotenuse|modulo|gcd|lcm|combinatorics|permutations?|expected value|irrational|divisible|statistically significant|p-value|hypothesis test|confidence interval|chi-squared|t-test|estimator|converges?|sequence|series)\b|\btheorem\b(?![^.?!]*\b(?:cap|no free lunch)\b)/,
  },
  {
    task: "mathematical",
    weight: 3,
    label: "worded arithmetic",
    re: /\b(?:what is|what's) -?\d[\d,.]*\s*(?:plus|minus|times|multiplied by|divided by|to the power of|squared|cubed|percent of|% of)\b|\b\d+(?:\.\d+)?\s*(?:percent|%) of \d/,
  },
  {
    task: "mathematical",
    weight: 2.5,
    label: "financial maths",
    re: /\b(?:compound(?:ed)? (?:interest|monthly|annually|daily)|compounded|monthly (?:re)?payments?|amorti[sz]ation|present value|future value|npv|irr|annuity|interest rate of \d|mortgage at \d|loan at \d|(?:re)?payment on an? \$?\d)\b/,
  },

  {
    task: "mathematical",
    weight: 2.5,
    label: "word problem",
    when: (q) => q.numbers >= 2,
    re: /\bhow (?:much|many|long|far|fast)\b|\b(?:in total|total cost|altogether|on average)\b|\bper (?:hour|day|week|month|year|person|serving|unit|litre|liter|kg|km|mile|gallon)\b|\bat (?:a |this |that )?rate of\b/,
  },

  // ---- summarisation
  {
    task: "summarisation",
    weight: 3.5,
    label: "summarise",
    re: /\b(?:summari[sz]e|summari[sz]ing|summary|summaries|tl;?dr|condense|recap|synopsis|boil (?:it|this) down)\b/,
  },
  {
    task: "summarisation",
    weight: 2.5,
    label: "key points",
    re: /\b(?:key (?:points|findings|takeaways|ideas|insights)|main (?:points|ideas|arguments|takeaways)|in a nutshell|the gist|shorten (?:this|it)|make (?:this|it) shorter|action items)\b/,
  },
  {
    task: "summarisation",
    weight: 3.5,
    label: "extract essentials",
    re: /\b(?:list|extract|pull out|give me|what are) (?:all )?(?:the )?(?:action items|key points|decisions made|main takeaways|key dates|deadlines)\b/,
  },

  // ---- creative
  {
    task: "creative",
    weight: 4,
    label: "creative piece",
    re: /\b(?:write|compose|create|draft|generate|come up with|give me|make up|invent|tell me|brainstorm)\b[^.?!]{0,60}?\b(?:poems?|story|stories|song|lyrics|haiku|limerick|sonnet|novel|screenplay|fairy ?tale|fable|jokes?|slogans?|taglines?|toast|speech|eulogy|vows|rap|verse|dialogue|monologue|characters?|plot|scene|bedtime story|short story|names? for|name ideas|metaphor|ballad|ode|themes for|jingle|pun|chapter|fiction|fan ?fic|script for a (?:play|film|movie|short))\b/,
  },
  {
    task: "creative",
    weight: 3,
    label: "creative ask",
    re: /^(?:a |an )?(?:slogan|tagline|poem|haiku|limerick|jingle|toast|joke|pun|name ideas)\b|\b(?:slogan|tagline|jingle|name ideas) for\b/,
  },
  {
    task: "creative",
    weight: 2,
    label: "creative cue",
    re: /\b(?:imagine|fictional|fiction|novel|once upon a time|in the style of|creative writing|world-?building|rhyme|rhyming|iambic|narrator|best-man|maid of honou?r|protagonist)\b/,
  },
  {
    task: "creative",
    weight: 1.5,
    label: "creative form",
    re: /\b(?:poem|haiku|limerick|sonnet|short story)\b/,
  },

  // ---- query_rewriting
  {
    task: "query_rewriting",
    weight: 4,
    label: "rewrite query",
    re: /\b(?:rephrase|rewrite|reword|reformulate|paraphrase|expand|improve|optimi[sz]e|turn|decompose|break down|convert)\b[^.?!:]{0,50}?\b(?:search quer(?:y|ies)|quer(?:y|ies) for (?:search|retrieval)|(?:(?:this|my|the|a|an|user'?s?) )?(?:search |latest |standalone )?(?:query|queries|question|message)|search terms?|search string|keywords?|prompt|sub-?quer(?:y|ies)|sub-?questions?)\b/,
  },
  {
    task: "query_rewriting",
    weight: 2.5,
    label: "retrieval query",
    re: /\b(?:search quer(?:y|ies)|search terms|search string|keywords for|better query|query expansion|for (?:a |our )?(?:search engine|vector search|retrieval|bm25|docs search|search)|alternative phrasings|improve recall|standalone (?:search )?query|sub-?queries)\b/,
  },
  {
    task: "query_rewriting",
    weight: 1.5,
    label: "paraphrase",
    re: /\b(?:rephrase|reword|reformulate|paraphrase)\b/,
  },

  // ---- rag_query
  {
    task: "rag_query",
    weight: 3,
    label: "grounded in documents",
    needs: literalsOf(DOC_NOUNS),
    re: new RegExp(
      `\\b(?:according to|based (?:only )?on|from|in|using|within|per|given|across|drawing on|referring to|with reference to|consult(?:ing)?) (?:the|these|this|my|our|attached|provided|retrieved|uploaded|given|supplied|enclosed|shared|two|three|four|five|all) (?:[\\w-]+ ){0,3}(?:${DOC_NOUNS})\\b`,
    ),
  },
  {
    task: "rag_query",
    weight: 1.5,
    label: "citations",
    re: /\b(?:cite|citations?|with sources|quote the relevant|which document|page number)\b/,
  },
  {
    task: "rag_query",
    weight: 2.5,
    label: "internal knowledge",
    re: /\b(?:our|company'?s?|internal|team'?s?) (?:docs|documentation|wiki|knowledge base|policies|handbook|confluence|runbooks?)\b/,
  },

  // ---- tool_use
  {
    task: "tool_use",
    weight: 3.5,
    label: "use a tool",
    re: /\b(?:call|use|invoke|run|execute|trigger|query|hit)\b[^.?!]{0,20}?\b(?:the )?(?:\w+ )?(?:api|tool|tools|function call|plugin|webhook|command)\b(?! to (?:write|implement))/,
  },
  {
    task: "tool_use",
    weight: 3,
    label: "live data",
    needs: [...literalsOf(LIVE), "trading at", "status of"],
    re: new RegExp(
      `\\b(?:current|today'?s|latest|live|real-time|right now|now)\\b[^.?!]{0,30}?\\b(?:${LIVE})\\b|\\b(?:${LIVE})\\b[^.?!]{0,30}?\\b(?:${WHEN_NOW})\\b|\\b(?:weather|forecast) (?:in|for|at|near)\\b|\\btrading at\\b|\\bstatus of (?:my |the )?(?:order|shipment|package|flight|ticket)\\b`,
    ),
  },
  {
    task: "tool_use",
    weight: 3,
    label: "take an action",
    needs: [...literalsOf(ACTION_OBJECTS), "text", "ping", "call", "remind", "@"],
    re: new RegExp(
      `\\b(?:send|schedule|book|reserve|order|set|cancel|add|post|open|create|file)\\b[^.?!]{0,35}?\\b(?:an? |the |my )?(?:${ACTION_OBJECTS})\\b|\\bemail (?:the|it|them|him|her|my|this) |^(?:please )?(?:email|text|message|ping|call|remind) \\S|\\S+@\\S+\\.\\w+`,
    ),
  },
  {
    task: "tool_use",
    weight: 3,
    label: "named service",
    needs: [...literalsOf(SERVICES), ...literalsOf(TRAVEL)],
    re: new RegExp(
      `\\b(?:via|using|through|with|from|on|in|to|against|call|query|hit) (?:the |our |my |their |the carriers' )?(?:[\\w'-]+ ){0,2}(?:${SERVICES})\\b(?! (?:client|wrapper|sdk|library|function|class|docs|documentation))|\\b(?:find|search for|look up|look for) (?:\\w+ ){0,2}(?:${TRAVEL})\\b`,
    ),
  },
  {
    task: "tool_use",
    weight: 2.5,
    label: "web or function",
    re: /\b(?:search the web|browse to|web search|google it|function calling|tool call|tool-use|use tools)\b/,
  },

  // ---- reasoning
  {
    task: "reasoning",
    weight: 2.5,
    label: "analysis",
    re: /\b(?:analy[sz]e|analysis|evaluate|assess|critique|examine|investigate|appraise|scrutini[sz]e|diagnose|troubleshoot)\b/,
  },
  {
    task: "reasoning",
    weight: 2.5,
    label: "comparison",
    re: /\b(?:compare|comparing|comparison|contrast|trade-?offs?|pros and cons|advantages and disadvantages|differences? between|better than|weigh up|choice between|choose between|decide between)\b/,
  },
  { task: "reasoning", weight: 1, label: "versus", re: /\b(?:versus|vs\.?)\b/ },
  { task: "reasoning", weight: 1.5, label: "why", re: /\bwhy\b/ },
  {
    task: "reasoning",
    weight: 1.5,
    label: "causal",
    re: /\b(?:causes?|implications?|consequences?|impact of|effects? of|root cause|lead to|led to|contributed to)\b/,
  },
  { task: "reasoning", weight: 1.5, label: "explain", re: /\b(?:explain|explaining|explanation)\b/ },
  {
    task: "reasoning",
    weight: 2,
    label: "how it works",
    re: /\bhow (?:does|did|would|could|is|are|do (?!i\b|you\b))\b[^.?!]{0,60}\b(?:work|keep|make|cause|affect|protect|happen|spread|get|stay|prevent|handle|scale)s?\b|\bhow \w+ works?\b/,
  },
  {
    task: "reasoning",
    weight: 2.5,
    label: "design",
    re: /\b(?:design|architect|propose|devise|plan out|plan)\b[^.?!]{0,60}?\b(?:system|architecture|platform|service|infrastructure|pipeline|strategy|protocol|schema|network|approach|solution|migration|roadmap)\b|\bstrategy for\b/,
  },
  {
    task: "reasoning",
    weight: 1.5,
    label: "step by step",
    re: /\b(?:step[- ]by[- ]step|walk (?:me )?through|reason through|think through|chain of thought|your reasoning)\b/,
  },
  {
    task: "reasoning",
    weight: 2,
    label: "decision",
    // Every branch starts at one of these words ("should" after the start or a sentence's end).
    needs: [
      "should",
      "which is better",
      "is it worth",
      "justify",
      "argue",
      "argument for",
      "make the case",
      "recommend",
      "lay out the",
    ],
    re: /^should\b|(?:^|[.?!] )should \w+|\b(?:should (?:i|we|you|a|an|the|my|our|they)\b[^?]*\bor\b|should (?:i|we)\b|which is better|is it worth|justify|argue|argument for|make the case|recommend (?:a|an|the|which)|lay out the (?:pros|options|case|trade-?offs))\b/,
  },
  {
    task: "reasoning",
    weight: 2,
    label: "logic",
    re: /\b(?:deduce|logic puzzle|riddle|syllogism|paradox|if all \w+ are|what would happen if|what if|each (?:\w+ ){0,3}a different|who (?:owns|grows|lives|has|sits)|neither|knights? and knaves?)\b/,
  },
  {
    task: "reasoning",
    weight: 1.5,
    label: "synthesis",
    re: /\b(?:synthesi[sz]e|synthesi[sz]ing|reconcile|integrate (?:the )?findings|weighing)\b/,
  },

  // ---- general_qa
  {
    task: "general_qa",
    weight: 1,
    label: "factual question",
    re: /^(?:what|who|when|where|which|how many|how much|how long|how old|is|are|does|do|can|was|were) /,
  },
  {
    task: "general_qa",
    weight: 1.5,
    label: "definition",
    re: /\b(?:define|definition of|meaning of|what does [^?]{1,30} mean|what is an?|what are)\b/,
  },
  { task: "general_qa", weight: 1, label: "how-to", re: /\bhow (?:do|can|should) i\b|\bhow to\b/ },
  {
    task: "general_qa",
    weight: 2.5,
    label: "overview",
    re: /\b(?:give me an overview of|an overview of|introduction to|tell me about|the rules of|what are the symptoms|what are the main symptoms)\b/,
  },
]

interface Signal extends SignalSpec {
  readonly gated: Gated
  /** The signal as it appears in explanations, built once. */
  readonly text: string
  readonly taskIndex: number
}
const SIGNALS: ReadonlyArray<Signal> = SIGNAL_SPECS.map((s) => ({
  ...s,
  gated: patterns.gate(s.re, s.needs),
  text: `${s.task}:${s.label}(+${s.weight})`,
  taskIndex: TASK_TYPES.indexOf(s.task),
}))

/** Every pattern the classifier runs (for the gate tests). */
export const CLASSIFY_PATTERNS = (): ReadonlyArray<RegExp> => [...SIGNAL_SPECS.map((s) => s.re), VISION_RE]

/** Tie-break order: specialised tasks before generic ones. */
const TASK_PRIORITY: ReadonlyArray<TaskType> = [
  "code_generation",
  "mathematical",
  "tool_use",
  "summarisation",
  "creative",
  "query_rewriting",
  "rag_query",
  "reasoning",
  "general_qa",
]

const VISION_RE =
  /\b(?:this|the|attached|uploaded|following|my) (?:image|photo|picture|screenshot|diagram|chart|figure|scan|drawing)s?\b|\b(?:describe|caption|ocr|transcribe|what'?s in|what is in) (?:this|the|an?) (?:image|photo|picture|screenshot)\b/

const VISION = patterns.gate(VISION_RE)
const RAG = TASK_TYPES.indexOf("rag_query")
const REASONING = TASK_TYPES.indexOf("reasoning")
const GENERAL_QA = TASK_TYPES.indexOf("general_qa")
const PRIORITY: ReadonlyArray<number> = TASK_PRIORITY.map((t) => TASK_TYPES.indexOf(t))

export interface Classification {
  readonly type: TaskType
  readonly confidence: number
  readonly scores: ReadonlyArray<{ readonly task: TaskType; readonly score: number }>
  readonly signals: ReadonlyArray<string>
  readonly needs: ReadonlyArray<Capability>
}

export const classify = (q: QueryText, context: RoutingContext | undefined): Classification => {
  const score = [0, 0, 0, 0, 0, 0, 0, 0, 0]
  const signals: string[] = []
  readSignals(q, score, signals)
  return verdict(q, score, signals, context)
}

/**
 * The classification with the request's context and without it (`[with, without]`), the signals
 * read once: the context only adds retrieved documents' weight. The same object twice when the
 * context has no retrieved documents.
 */
export const classifyWithAndWithout = (
  q: QueryText,
  context: RoutingContext | undefined,
): readonly [Classification, Classification] => {
  const score = [0, 0, 0, 0, 0, 0, 0, 0, 0]
  const signals: string[] = []
  readSignals(q, score, signals)
  if ((context?.retrievedDocs ?? 0) > 0) {
    const plain = verdict(q, score.slice(), signals.slice(), undefined)
    return [verdict(q, score, signals, context), plain]
  }
  const one = verdict(q, score, signals, context)
  return [one, one]
}

/** Adds each signal that fires to its task's score and to `signals`, in the table's order. */
const readSignals = (q: QueryText, score: number[], signals: string[]): void => {
  const found = q.open
  for (const s of SIGNALS) {
    if (s.when !== undefined && !s.when(q)) continue
    if (!gatedTest(s.gated, q.lower, found)) continue
    score[s.taskIndex] = (score[s.taskIndex] as number) + s.weight
    signals.push(s.text)
  }
}

/** The task, confidence, ranked scores and needs from the signals' scores (`score` and `signals` are taken). */
const verdict = (
  q: QueryText,
  score: number[],
  signals: string[],
  context: RoutingContext | undefined,
): Classification => {
  const found = q.open
  const docs = context?.retrievedDocs ?? 0
  if (docs > 0) {
    score[RAG] = (score[RAG] as number) + 3
    signals.push(`rag_query:retrieved docs ${docs}(+3)`)
  }
  // Signals that only hint at a task (a language name, "why") should not win alone against a
  // plain factual question; general_qa is the floor.
  let best = GENERAL_QA
  let top = 0
  let second = 0
  for (const i of PRIORITY) {
    const s = score[i] as number
    if (s > top) {
      second = top
      top = s
      best = i
    } else if (s > second) second = s
  }
  // Answering from provided material is RAG, unless the task transforms that material
  // (summarise it, rewrite it, compute with it…): analysis over documents is still a RAG query.
  const grounding = score[RAG] as number
  if (grounding >= 3 && (best === REASONING || best === GENERAL_QA)) {
    second = top
    top = grounding + top
    best = RAG
  }
  if (top < 1.5 && best !== GENERAL_QA) {
    second = top
    best = GENERAL_QA
    top = score[GENERAL_QA] as number
  }
  const type = TASK_TYPES[best] as TaskType
  const confidence =
    top === 0 ? 0.5 : Math.round((0.5 + (0.5 * Math.max(0, top - second)) / (top + 1)) * 100) / 100
  const needs: Capability[] = []
  if (type === "tool_use") needs.push("tools")
  if (gatedTest(VISION, q.lower, found)) needs.push("vision")
  // The positive scores, highest first, ties in TASK_TYPES order (a stable insertion sort).
  const order: number[] = []
  for (let i = 0; i < score.length; i++) {
    const s = score[i] as number
    if (!(s > 0)) continue
    let at = order.length
    while (at > 0 && (score[order[at - 1] as number] as number) < s) {
      order[at] = order[at - 1] as number
      at--
    }
    order[at] = i
  }
  const sorted = order.map((i) => ({
    task: TASK_TYPES[i] as TaskType,
    score: Math.round((score[i] as number) * 100) / 100,
  }))
  return { type, confidence, scores: sorted, signals, needs }
}
