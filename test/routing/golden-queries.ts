/**
 * Golden routing set: a hand-labelled, independent benchmark of realistic user and agent queries used to
 * measure the router's task-classification and tier-selection accuracy.
 *
 * Labels were assigned by hand from the written task and tier definitions, without reference to the router's
 * implementation. `tier` is the expected FINAL tier with no persona, every model available and no hardware
 * limit, after the fixed rules are applied: code_generation and reasoning are never below "balanced", and
 * query_rewriting is never above "fast". Task labels are intended to be unambiguous; `clearCut: false` marks
 * entries whose tier is genuinely borderline (e.g. near the 3.5 or 7 complexity boundaries), so accuracy can
 * be reported separately for clear-cut and borderline cases. `docs` gives the number of retrieved documents
 * passed alongside a query (RAG); such queries are labelled rag_query.
 */
import type { TaskType } from "../../src/domain/task.js"
import type { Tier } from "../../src/domain/tier.js"

export interface GoldenQuery {
  readonly query: string
  readonly task: TaskType
  readonly tier: Tier
  /** true when any reasonable engineer would agree on the tier; false for borderline cases */
  readonly clearCut: boolean
  /** optional: number of retrieved documents passed alongside the query (RAG) */
  readonly docs?: number
}

export const GOLDEN: ReadonlyArray<GoldenQuery> = [
  // general_qa: facts, definitions, trivia, short how-tos
  { query: "What is the capital of France?", task: "general_qa", tier: "fast", clearCut: true },
  { query: "Define recursion", task: "general_qa", tier: "fast", clearCut: true },
  { query: "How do I install numpy?", task: "general_qa", tier: "fast", clearCut: true },
  { query: "who wrote pride and prejudice", task: "general_qa", tier: "fast", clearCut: true },
  {
    query: "What's the boiling point of water at sea level in Fahrenheit?",
    task: "general_qa",
    tier: "fast",
    clearCut: true,
  },
  { query: "When did the Berlin Wall fall?", task: "general_qa", tier: "fast", clearCut: true },
  { query: "What does HTTP status code 418 mean?", task: "general_qa", tier: "fast", clearCut: true },
  { query: "How many players are on a rugby union team?", task: "general_qa", tier: "fast", clearCut: true },
  {
    query: "What is a normal resting heart rate for adults?",
    task: "general_qa",
    tier: "fast",
    clearCut: true,
  },
  { query: "What is an ETF?", task: "general_qa", tier: "fast", clearCut: true },
  { query: "tallest mountain in africa?", task: "general_qa", tier: "fast", clearCut: true },
  {
    query: "How do I undo my last git commit but keep the changes?",
    task: "general_qa",
    tier: "fast",
    clearCut: true,
  },
  { query: "What is the half-life of carbon-14?", task: "general_qa", tier: "fast", clearCut: true },
  { query: "how many grams is a cup of flour", task: "general_qa", tier: "fast", clearCut: true },
  {
    query: "Do I need a visa to visit Japan for two weeks as a Canadian citizen?",
    task: "general_qa",
    tier: "fast",
    clearCut: false,
  },
  {
    query: "What is the statute of limitations for breach of a written contract in California?",
    task: "general_qa",
    tier: "fast",
    clearCut: false,
  },
  {
    query:
      "What are the main symptoms of vitamin D deficiency, and which groups of people are most at risk of developing it?",
    task: "general_qa",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Give me an overview of the rules of cricket, including how scoring and overs work in Test matches versus T20",
    task: "general_qa",
    tier: "balanced",
    clearCut: false,
  },

  // reasoning: analysis, comparison, causal explanation, design, decisions (min tier balanced)
  {
    query: "Explain how quicksort works and compare it to mergesort",
    task: "reasoning",
    tier: "balanced",
    clearCut: true,
  },
  { query: "Why is the sky blue?", task: "reasoning", tier: "balanced", clearCut: true },
  { query: "compare tcp and udp", task: "reasoning", tier: "balanced", clearCut: true },
  { query: "How does HTTPS keep my data safe?", task: "reasoning", tier: "balanced", clearCut: true },
  {
    query: "Why do antibiotics stop working over time?",
    task: "reasoning",
    tier: "balanced",
    clearCut: true,
  },
  {
    query: "Should we use PostgreSQL or MongoDB for an e-commerce product catalog?",
    task: "reasoning",
    tier: "balanced",
    clearCut: true,
  },
  {
    query: "What are the pros and cons of using Kubernetes for a team of three developers?",
    task: "reasoning",
    tier: "balanced",
    clearCut: true,
  },
  {
    query: "Why does inflation tend to rise when interest rates are kept low for a long time?",
    task: "reasoning",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "If all bloops are razzies and all razzies are lazzies, are all bloops definitely lazzies? Explain your reasoning.",
    task: "reasoning",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Should a 30-year-old prioritise paying off student loans at 4% interest or investing in an index fund?",
    task: "reasoning",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Compare renting versus buying a home in a high-interest-rate environment for someone planning to stay five years",
    task: "reasoning",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Why did the 2008 financial crisis spread so quickly from US subprime mortgages to the global banking system?",
    task: "reasoning",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Our API p99 latency jumped from 200ms to 2s right after we set the DB connection pool size to 10. Walk me through how you'd diagnose this.",
    task: "reasoning",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Analyse the architectural trade-offs between microservices and monoliths for a fintech startup, considering scalability, team structure, and regulatory compliance",
    task: "reasoning",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Compare the reasoning capabilities of transformer-based models versus recursive neural networks, synthesising findings from recent papers",
    task: "reasoning",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Design a distributed caching system for a social network handling 100M users, explaining design decisions step-by-step",
    task: "reasoning",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Design a multi-region active-active database architecture for a payments platform that must guarantee exactly-once settlement, survive a full region outage with an RPO of zero, and meet PCI-DSS and GDPR data-residency requirements. Discuss consistency models, conflict resolution and failover.",
    task: "reasoning",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Evaluate the strategic options for a mid-sized European pharmaceutical company facing patent expiry on its best-selling drug: out-licensing, M&A, launching its own biosimilar, or pivoting R&D. Consider regulatory timelines, cash flow and likely competitor responses.",
    task: "reasoning",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Critically assess the evidence on whether intermittent fasting improves long-term metabolic health compared with continuous calorie restriction, weighing RCTs against observational studies and noting methodological limitations.",
    task: "reasoning",
    tier: "quality",
    clearCut: true,
  },
  {
    query: "Plan a go-to-market strategy for a B2B SaaS product entering the Brazilian market",
    task: "reasoning",
    tier: "quality",
    clearCut: false,
  },
  {
    query:
      "Analyse how the Treaty of Versailles contributed to the rise of fascism in Europe, considering economic, political and social factors in both Germany and Italy",
    task: "reasoning",
    tier: "quality",
    clearCut: false,
  },
  {
    query:
      "Explain the CAP theorem and how it should guide the choice between Cassandra and Spanner for a globally distributed inventory system that needs exact stock counts",
    task: "reasoning",
    tier: "quality",
    clearCut: false,
  },
  {
    query:
      "We're a 40-person logistics company running a ten-year-old on-prem .NET monolith on SQL Server. We need to move to the cloud within 18 months with no downtime during peak season (November to January), a budget of $600k, six engineers with no Kubernetes experience, and a SOC 2 audit coming up next year. Propose a migration strategy, sequence the phases, identify the biggest risks and explain how you would mitigate each one.",
    task: "reasoning",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Compare the long-term efficacy, side-effect profiles and cost-effectiveness of GLP-1 agonists versus bariatric surgery for treating obesity, synthesising evidence from the major trials and meta-analyses",
    task: "reasoning",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Assess the competing historiographical explanations for the outbreak of the First World War (the Fischer thesis, the 'sleepwalkers' interpretation and alliance-system arguments) and argue which is best supported by the archival evidence",
    task: "reasoning",
    tier: "quality",
    clearCut: true,
  },

  // code_generation: write / fix / review / translate code, SQL, regex, tests (min tier balanced)
  {
    query: "Write a Python function to validate email addresses",
    task: "code_generation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query: "Write a Python function to reverse a string",
    task: "code_generation",
    tier: "balanced",
    clearCut: true,
  },
  { query: "regex for UK postcodes", task: "code_generation", tier: "balanced", clearCut: true },
  {
    query: "Write a SQL query that returns the top 5 customers by total order value in the last 90 days",
    task: "code_generation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Fix this: TypeError: Cannot read properties of undefined (reading 'map') in my React component that renders users.map(u => <li>{u.name}</li>)",
    task: "code_generation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query: 'Convert this bash loop to PowerShell: for f in *.log; do gzip "$f"; done',
    task: "code_generation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query: "Write Jest unit tests for a debounce function",
    task: "code_generation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query: "can u write a script that renames all .jpeg files in a folder to .jpg",
    task: "code_generation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Review this function for bugs and performance issues: def dedupe(xs): return [x for i, x in enumerate(xs) if x not in xs[:i]]",
    task: "code_generation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Write a Dockerfile for a Node 20 app that uses pnpm, with a multi-stage build to keep the final image small",
    task: "code_generation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Write a Python script that scrapes product prices from an HTML page with BeautifulSoup and saves them to a CSV file",
    task: "code_generation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query: "Write a TypeScript utility type that deep-partials an object but leaves arrays untouched",
    task: "code_generation",
    tier: "balanced",
    clearCut: false,
  },
  {
    query: "Port this numpy call to plain JavaScript: np.convolve(a, v, mode='same')",
    task: "code_generation",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Implement a lock-free multi-producer multi-consumer queue in Rust using atomics, with correct memory orderings, and explain why it is not vulnerable to the ABA problem",
    task: "code_generation",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Build a complete Raft consensus implementation in Go including leader election, log replication, snapshotting and membership changes, with tests that simulate network partitions",
    task: "code_generation",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Implement a type-safe event-sourcing framework in TypeScript with snapshotting, optimistic concurrency control, rebuildable projections and a Postgres-backed event store; include the migration scripts.",
    task: "code_generation",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Refactor this 400-line Express controller into a layered architecture with services, repositories and dependency injection, keeping behaviour identical and adding tests",
    task: "code_generation",
    tier: "quality",
    clearCut: false,
  },
  {
    query:
      "Write a CUDA kernel for tiled matrix multiplication using shared memory and explain how to tune the tile size for an A100",
    task: "code_generation",
    tier: "quality",
    clearCut: false,
  },
  {
    query:
      "Write a Python B+ tree with insert, delete (including node merging and key redistribution), range scans and on-disk page serialisation, plus property-based tests using Hypothesis",
    task: "code_generation",
    tier: "quality",
    clearCut: true,
  },

  // mathematical: arithmetic, algebra, calculus, statistics, proofs
  { query: "What is 17 * 23?", task: "mathematical", tier: "fast", clearCut: true },
  { query: "15% of 240", task: "mathematical", tier: "fast", clearCut: true },
  { query: "Solve for x: 3x + 7 = 22", task: "mathematical", tier: "fast", clearCut: true },
  { query: "What's the derivative of x^3 * sin(x)?", task: "mathematical", tier: "fast", clearCut: false },
  {
    query: "If I roll two fair dice, what's the probability that the sum is 8?",
    task: "mathematical",
    tier: "fast",
    clearCut: false,
  },
  {
    query: "Compute the integral of x * e^(2x) dx from 0 to 1 and show your working",
    task: "mathematical",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "A loan of $250,000 at 6.5% annual interest compounded monthly over 30 years: what is the monthly payment, and how much total interest is paid?",
    task: "mathematical",
    tier: "balanced",
    clearCut: true,
  },
  {
    query: "Find the eigenvalues and eigenvectors of the matrix [[2, 1], [1, 2]]",
    task: "mathematical",
    tier: "balanced",
    clearCut: true,
  },
  {
    query: "Solve the system: 2x + y - z = 3, x - y + 2z = 1, 3x + 2y + z = 10",
    task: "mathematical",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "In a clinical trial, 30 of 120 treated patients and 45 of 115 control patients had adverse events. Is the difference statistically significant at alpha = 0.05? Show which test you use.",
    task: "mathematical",
    tier: "balanced",
    clearCut: true,
  },
  {
    query: "Prove that there are infinitely many primes",
    task: "mathematical",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Prove that every finitely generated module over a principal ideal domain is a direct sum of cyclic modules",
    task: "mathematical",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Derive the Black-Scholes PDE from first principles using Itô's lemma and a delta-hedging argument, stating every assumption",
    task: "mathematical",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Prove that the sequence a_n = (1 + 1/n)^n is monotonically increasing and bounded above, and hence converges",
    task: "mathematical",
    tier: "quality",
    clearCut: false,
  },
  {
    query: "Prove that the Riemann zeta function has no zeros on the line Re(s) = 1",
    task: "mathematical",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Let X_1, ..., X_n be i.i.d. exponential with rate λ. Derive the MLE of λ, show that it is biased, construct an unbiased estimator, compute its variance and compare it with the Cramér-Rao lower bound.",
    task: "mathematical",
    tier: "quality",
    clearCut: false,
  },

  // summarisation: condense given text or documents
  {
    query:
      "tl;dr: The meeting has moved from Tuesday to Thursday because the client is travelling. Please bring the Q3 numbers and the revised budget, and Priya will book the larger room.",
    task: "summarisation",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Summarise this email in one sentence: Hi all, the office will be closed on Friday for electrical maintenance. Please work from home and make sure your laptops are charged. Normal hours resume Monday.",
    task: "summarisation",
    tier: "fast",
    clearCut: true,
  },
  { query: "Key points of this article pls", task: "summarisation", tier: "fast", clearCut: false },
  {
    query: "Summarise the key findings from these 3 research papers",
    task: "summarisation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Condense these notes from our two-hour sprint retrospective into a list of action items with owners",
    task: "summarisation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query: "Summarise the main arguments in this chapter of The Wealth of Nations",
    task: "summarisation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Summarise this 20-page employment contract, highlighting the non-compete, termination and IP assignment clauses",
    task: "summarisation",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Produce a structured literature summary of these 25 papers on CRISPR off-target effects, grouping findings by detection method, noting contradictions between studies, and identifying open research questions",
    task: "summarisation",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Write an executive summary of these five quarterly earnings call transcripts for the board, comparing guidance changes, margin trends and risks flagged by management across quarters",
    task: "summarisation",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Summarise the last ten years of Federal Reserve FOMC statements, tracing how the committee's language on inflation evolved",
    task: "summarisation",
    tier: "quality",
    clearCut: false,
  },
  {
    query:
      "Here are transcripts of 12 customer interviews from our pricing research. Summarise them into the recurring themes, note how views differ between small-business and enterprise customers, pull out representative quotes, and flag anything that contradicts our current pricing assumptions.",
    task: "summarisation",
    tier: "quality",
    clearCut: false,
  },

  // creative: poems, stories, jokes, names, slogans, lyrics
  { query: "Write a haiku about autumn rain", task: "creative", tier: "fast", clearCut: true },
  { query: "Tell me a joke about programmers", task: "creative", tier: "fast", clearCut: true },
  {
    query: "Give me 5 name ideas for a bakery that specialises in sourdough",
    task: "creative",
    tier: "fast",
    clearCut: true,
  },
  { query: "slogan for a bike repair shop", task: "creative", tier: "fast", clearCut: true },
  { query: "Write a limerick about a cat who loves lasagna", task: "creative", tier: "fast", clearCut: true },
  {
    query: "Brainstorm 10 fun themes for our company hackathon",
    task: "creative",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Write a short bedtime story for a 4-year-old about a dragon who is afraid of the dark",
    task: "creative",
    tier: "fast",
    clearCut: false,
  },
  {
    query:
      "Write a wedding toast for my brother Sam and his wife Priya. They met rock climbing; keep it funny but heartfelt, about two minutes long.",
    task: "creative",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Write song lyrics for an upbeat country song about a road trip through Texas, with two verses and a chorus",
    task: "creative",
    tier: "balanced",
    clearCut: false,
  },
  {
    query: "Write a sonnet in iambic pentameter about the loneliness of lighthouse keepers",
    task: "creative",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Write a 1,500-word science fiction short story set on a generation ship whose crew discovers the destination planet is already inhabited. Use a non-linear structure and an unreliable narrator.",
    task: "creative",
    tier: "quality",
    clearCut: false,
  },

  // query_rewriting: rephrase / expand / decompose queries for retrieval (max tier fast)
  {
    query: "Rewrite this search query to be more specific: best laptop",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Rephrase for search: why my sourdough no rise",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Generate 5 search keywords for: side effects of long-term ibuprofen use",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Expand this query with synonyms for vector search: cheap flights to Lisbon in May",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Rewrite the user's latest message as a standalone search query. Earlier they asked about the iPhone 15; now they ask: how much is the battery replacement?",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "turn 'python list sort reverse' into a natural-language question for our docs search",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Reformulate as a Boolean search string for Westlaw: can a landlord keep a deposit for normal wear and tear",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Generate three alternative phrasings of 'symptoms of burnout at work' to improve recall in our knowledge-base retrieval",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "rewrite query: nba finals 2016 game 7 who won",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Decompose this question into simpler sub-queries for retrieval: How did GDP growth in Vietnam and Indonesia compare between 2010 and 2020, and what drove the difference?",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },

  // rag_query: answers grounded in attached or retrieved documents
  {
    query: "According to the attached contract, what is the notice period for termination?",
    task: "rag_query",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Based on the provided onboarding docs, how do I request VPN access?",
    task: "rag_query",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Based on the uploaded architecture docs, which message broker sits between the order service and the billing service?",
    task: "rag_query",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "What is the refund policy for annual subscriptions?",
    task: "rag_query",
    tier: "fast",
    clearCut: true,
    docs: 3,
  },
  {
    query: "When was the staging database last migrated?",
    task: "rag_query",
    tier: "fast",
    clearCut: true,
    docs: 2,
  },
  {
    query:
      "How do the liability caps differ between the two vendor agreements, and which is more favourable to us?",
    task: "rag_query",
    tier: "balanced",
    clearCut: true,
    docs: 2,
  },
  {
    query: "Which side effects were reported most frequently in the trial?",
    task: "rag_query",
    tier: "balanced",
    clearCut: false,
    docs: 5,
  },
  {
    query:
      "From the retrieved clinical guidelines, what is the recommended first-line treatment for hypertension in patients with type 2 diabetes?",
    task: "rag_query",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Given the attached case files, compare how the court in each case interpreted 'reasonable foreseeability' and assess how a court would likely rule on our client's facts",
    task: "rag_query",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Using the attached 10-K filings for 2021 to 2023, explain how the company's revenue mix and debt profile changed and what risks management disclosed",
    task: "rag_query",
    tier: "quality",
    clearCut: false,
  },
  {
    query:
      "Using these incident reports, identify the recurring root causes of our outages over the past year and recommend which fixes to prioritise",
    task: "rag_query",
    tier: "quality",
    clearCut: false,
    docs: 8,
  },
  {
    query:
      "Reconcile the conflicting data-retention requirements for EU and US customers across these policies and propose a single compliant retention schedule",
    task: "rag_query",
    tier: "quality",
    clearCut: false,
    docs: 6,
  },

  // tool_use: external actions and live data
  { query: "What's the weather in Tokyo right now?", task: "tool_use", tier: "fast", clearCut: true },
  {
    query: "Send an email to sarah@acme.com saying I'll be 10 minutes late",
    task: "tool_use",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Book a 30-minute meeting with the design team next Tuesday afternoon",
    task: "tool_use",
    tier: "fast",
    clearCut: true,
  },
  { query: "What's AAPL trading at?", task: "tool_use", tier: "fast", clearCut: true },
  {
    query: "Search the web for the latest news on the EU AI Act",
    task: "tool_use",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "set a reminder to call the dentist tomorrow at 9am",
    task: "tool_use",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Check the status of order #48213 via the Shopify API",
    task: "tool_use",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Convert 500 USD to EUR at today's exchange rate",
    task: "tool_use",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Find flights from London to New York on June 12 under £500, add the cheapest one to my calendar and email the itinerary to my manager",
    task: "tool_use",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Query the GitHub API for all open PRs in our repo older than 30 days and post a summary to the #eng Slack channel",
    task: "tool_use",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Pull the last 7 days of error logs from Datadog for the checkout service, group them by error type, and open a Jira ticket for the most frequent one",
    task: "tool_use",
    tier: "balanced",
    clearCut: false,
  },
]
