/**
 * Golden routing set, second batch: hand-labelled queries written independently of the router
 * (different domains and phrasing from the first batch) as a held-out set. Its first evaluation
 * (task 78.8%, clear-cut tier 72.5%) exposed gaps that were then fixed, so it now belongs to the
 * golden set; fresh held-out queries live in holdout-queries.ts and are never tuned against.
 */
import type { GoldenQuery } from "./golden-queries.js"

export const GOLDEN_B: ReadonlyArray<GoldenQuery> = [
  // ── code_generation ──────────────────────────────────────────────────────
  {
    query:
      "Write a SQL query that lists each warehouse's top three SKUs by units shipped last quarter, using a window function.",
    task: "code_generation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Fix this Bash script so it stops breaking when a log filename contains spaces: for f in $(ls /var/log/app/*.log); do gzip $f; done",
    task: "code_generation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query: "Write a regex that matches four-letter ICAO airport codes like EGLL or KJFK.",
    task: "code_generation",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Write a Dockerfile for a Node 20 API that uses a multi-stage build, installs only production dependencies, and runs as a non-root user.",
    task: "code_generation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Implement a lock-free single-producer, multi-consumer ring buffer in Rust for a real-time audio mixing engine, with memory-ordering justifications and tests that stress concurrent access.",
    task: "code_generation",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Build a Raft-based replicated key-value store in Go for tracking freight container positions across three data centres: leader election, log replication, snapshotting, a gRPC client API, and integration tests for network partitions.",
    task: "code_generation",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Refactor this 2,000-line legacy PHP payroll module into a layered TypeScript service with dependency injection, and add unit tests for each tax rule.",
    task: "code_generation",
    tier: "quality",
    clearCut: false,
  },
  {
    query:
      "Write a deterministic lockstep netcode layer in C++ for a 2–8 player real-time strategy game: input delay buffering, desync detection via state checksums, rollback and resimulation, and a replay recorder.",
    task: "code_generation",
    tier: "quality",
    clearCut: true,
  },

  // ── reasoning ────────────────────────────────────────────────────────────
  {
    query:
      "Compare drip irrigation and centre-pivot sprinklers for a 200-hectare almond orchard in a drought-prone region, weighing water use, capital cost and labour.",
    task: "reasoning",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Should our 40-person design agency replace annual performance reviews with quarterly check-ins? Lay out the pros, cons and risks.",
    task: "reasoning",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Four farmers — Ana, Ben, Cara and Dev — each grow a different crop: wheat, barley, oats or rye. Ana grows neither wheat nor rye, Ben grows oats, and Cara doesn't grow wheat. Who grows which crop?",
    task: "reasoning",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Our high school of 1,200 students is choosing between block scheduling (four 90-minute periods) and a traditional seven-period day. What are the trade-offs for learning outcomes and teacher workload?",
    task: "reasoning",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Analyse the trade-offs between loot boxes and a battle pass for monetising a free-to-play mobile strategy game, considering player retention, EU consumer regulation, and long-term revenue.",
    task: "reasoning",
    tier: "quality",
    clearCut: false,
  },
  {
    query:
      "Design the dispatch and routing strategy for a same-day grocery delivery network covering 12 cities and 3,000 drivers: demand forecasting, dynamic order batching, driver assignment, failure handling, and how it scales through holiday peaks.",
    task: "reasoning",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Evaluate the long-term economic, ecological and food-security consequences of converting 30% of a country's dairy pastureland to agroforestry, accounting for carbon markets, rural employment and trade exposure, and recommend a phased policy.",
    task: "reasoning",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Why have downtown office-district rental vacancies stayed high since remote work spread while suburban rents kept rising? Weigh interest rates, zoning, commuting patterns and investor behaviour.",
    task: "reasoning",
    tier: "quality",
    clearCut: false,
  },

  // ── mathematical ─────────────────────────────────────────────────────────
  {
    query: "What is 18% of 2,450 kg of fertiliser?",
    task: "mathematical",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "A recipe for 4 servings uses 250 g of flour. How much flour do I need for 10 servings?",
    task: "mathematical",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "A tractor burns 14 litres of diesel an hour. How much diesel does 7.5 hours of ploughing use?",
    task: "mathematical",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Find the derivative of f(x) = x^2 · ln(3x + 1) and determine whether f has any critical points for x > 0.",
    task: "mathematical",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "A lab measured reaction yields with two catalysts (n = 12 each): means 78.4% and 81.1%, standard deviations 3.2 and 2.9. Is the difference significant at α = 0.05 with a two-sample t-test?",
    task: "mathematical",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "What is the monthly repayment on a $320,000 mortgage at 6.5% fixed over 30 years, and how much interest is paid in total?",
    task: "mathematical",
    tier: "balanced",
    clearCut: false,
  },
  {
    query: "Prove that every group of order p^2, where p is prime, is abelian.",
    task: "mathematical",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Derive the reorder point and safety stock for an item with normally distributed lead time (mean 6 days, sd 2 days) and Poisson daily demand (mean 40) at a 98% cycle service level, showing how lead-time and demand variance combine.",
    task: "mathematical",
    tier: "quality",
    clearCut: false,
  },

  // ── summarisation ────────────────────────────────────────────────────────
  {
    query:
      "TL;DR this: 'Due to resurfacing, Runway 09/27 will be closed nightly from 23:00 to 05:00 local between 3 and 14 March. Departures will use Runway 14/32; expect delays of up to 20 minutes. Pilots should check NOTAMs before filing.'",
    task: "summarisation",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Summarise this message in one sentence: 'Quick update — the forklift in bay 4 is back from repair but the battery only holds about half a shift, so please swap it at lunch until the replacement arrives next Thursday. Also, the dock door 2 sensor is fixed.'",
    task: "summarisation",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "List the action items from these notes: 'Maria to send the revised rubric to the maths department by Friday. Tom will book the hall for parents' evening. We agreed to revisit the homework policy next term. Jay to chase the IT ticket about the projector in room 12.'",
    task: "summarisation",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Summarise the attached 25-page commercial lease for our retail unit, highlighting rent review clauses, break options, repair obligations and any unusual tenant liabilities.",
    task: "summarisation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Condense the parental leave and flexible working chapter of our employee handbook (about 4,000 words, pasted below) into key points for a one-page staff FAQ.",
    task: "summarisation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Give me an executive summary of these six papers on lifecycle emissions of sustainable aviation fuel, noting where their methods and conclusions disagree.",
    task: "summarisation",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Summarise the recurring themes across these 40 customer interview transcripts with independent farmers (roughly 200 pages), including contradictions between segments and the prioritised product implications.",
    task: "summarisation",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Summarise five years of board minutes, annual reports and regulator correspondence for our housing association (about 1,500 pages) into a briefing for the incoming chief executive.",
    task: "summarisation",
    tier: "quality",
    clearCut: true,
  },

  // ── creative ─────────────────────────────────────────────────────────────
  {
    query: "Write a haiku about the first frost on a pumpkin field.",
    task: "creative",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Give me five catchy names for a food truck selling Korean-Mexican fusion tacos.",
    task: "creative",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Tell me a short joke about air traffic controllers.",
    task: "creative",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Write a 300-word short story about a lighthouse keeper who finds a message in a bottle.",
    task: "creative",
    tier: "fast",
    clearCut: false,
  },
  {
    query:
      "Write a sonnet in strict iambic pentameter about a harvest moon over a vineyard, where each quatrain takes the viewpoint of a different picker and the closing couplet rhymes 'vine' with 'decline'.",
    task: "creative",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Write a three-minute best-man speech for my brother: he's a paramedic, met his wife at a salsa class, and I want one gentle joke about his terrible sense of direction before a heartfelt toast.",
    task: "creative",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Write the opening chapter (about 4,000 words) of a literary novel set in a 1920s Welsh mining town, alternating between a mother's and her teenage son's voices, with a non-linear timeline, period-accurate dialect, and foreshadowing of a colliery disaster.",
    task: "creative",
    tier: "quality",
    clearCut: true,
  },

  // ── query_rewriting ──────────────────────────────────────────────────────
  {
    query: "Rewrite this search query so it gets better results: 'why tomato leaves yellow bottom'",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Expand the query 'maternity leave pay' with synonyms and related terms for our HR knowledge-base search.",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Decompose 'Which European airports allow night flights and what are their noise quota rules?' into separate sub-queries for retrieval.",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Give me search keywords for finding research on microplastics in agricultural soil.",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Rephrase 'cheap flat near uni no agency fees' as a clear query for a property listings search engine.",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Turn this question into three alternative phrasings for a vector search: 'how do I stop my guitar strings buzzing on the 5th fret?'",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },

  // ── rag_query ────────────────────────────────────────────────────────────
  {
    query: "What is the maximum payload of the ATR 72-600 freighter conversion?",
    task: "rag_query",
    tier: "fast",
    clearCut: true,
    docs: 2,
  },
  {
    query: "What notice period does a tenant have to give to end the tenancy?",
    task: "rag_query",
    tier: "fast",
    clearCut: true,
    docs: 3,
  },
  {
    query:
      "Based on the retrieved policy documents, explain how our relocation allowance differs between international and domestic transfers.",
    task: "rag_query",
    tier: "balanced",
    clearCut: true,
    docs: 5,
  },
  {
    query:
      "Using the attached soil test report, which nutrients is my field deficient in, and what should I apply before planting maize?",
    task: "rag_query",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "According to the provided syllabus and marking scheme, what does a student need to include in their coursework to reach the top mark band?",
    task: "rag_query",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Using the 30 attached trial reports on antiparasitic treatments for sheep, compare efficacy across dosing regimens, identify methodological weaknesses, and state which conclusions the evidence actually supports.",
    task: "rag_query",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Drawing on the provided maintenance logs and manufacturer service bulletins, determine the likely root cause of the recurring hydraulic pressure warnings on our two A320s and recommend an inspection plan.",
    task: "rag_query",
    tier: "quality",
    clearCut: false,
  },

  // ── tool_use ─────────────────────────────────────────────────────────────
  {
    query:
      "What's the weather forecast for Bordeaux this weekend? I'm deciding when to start the grape harvest.",
    task: "tool_use",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Email facilities@ourcompany.com to say the heating in meeting room 3 isn't working.",
    task: "tool_use",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "What's Deere & Company's share price right now?",
    task: "tool_use",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Set a reminder for 7am tomorrow to call the vet about the lambing ewes.",
    task: "tool_use",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Find a free hour in my calendar next Tuesday, book the small conference room for it, and send an invite to the three new hires.",
    task: "tool_use",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Search the web for live-music venues in Lisbon with a capacity over 500 and put their names, capacities and booking contacts into a new spreadsheet.",
    task: "tool_use",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Pull last month's shipments from our TMS API, cross-check every delayed one against the carriers' tracking APIs, open a Jira ticket for each carrier with more than five late deliveries, and email a summary to the logistics director.",
    task: "tool_use",
    tier: "quality",
    clearCut: false,
  },

  // ── general_qa ───────────────────────────────────────────────────────────
  {
    query: "What does PPL stand for in pilot licensing?",
    task: "general_qa",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "What is a Neapolitan chord in music theory?",
    task: "general_qa",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Who designed the board game Catan?",
    task: "general_qa",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "What is the boiling point of ethanol at sea level?",
    task: "general_qa",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "How do I bleed a radiator?",
    task: "general_qa",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Give me an overview of the main types of commercial property lease: gross, modified gross, net, triple net and percentage leases.",
    task: "general_qa",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Give me an overview of the legal requirements a small UK business must meet when hiring its first employee.",
    task: "general_qa",
    tier: "balanced",
    clearCut: false,
  },
]
