/**
 * Held-out routing set: an independent, hand-labelled evaluation set that is
 * never used for tuning. Task and tier labels come only from the written
 * task and tier definitions (final tier, no persona, all models available,
 * no hardware limit), not from the router's output. Domains are deliberately
 * non-software-centric. clearCut: false marks entries whose tier sits near a
 * boundary. The task label is still unambiguous.
 */
import type { GoldenQuery } from "./golden-queries.js"

export const HOLDOUT: ReadonlyArray<GoldenQuery> = [
  // ── code_generation (never below balanced) ────────────────────────────
  {
    query:
      "Write a Python script that reads our hotel's bookings.csv (room, guest, check_in, check_out) and flags any room that is double-booked on the same night.",
    task: "code_generation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "SQL please: for each vet clinic, count vaccinations given per species in the last 90 days, only showing clinics with more than 50 in total. Tables are clinics, visits, vaccinations.",
    task: "code_generation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "fix this regex pls, its supposed to match UK postcodes like SW1A 1AA but it fails on lowercase and when theres no space: ^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$",
    task: "code_generation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Write a Dockerfile for the small Flask app that serves tide tables for our harbour office. Use a slim base image, run as a non-root user and add a healthcheck.",
    task: "code_generation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "We have a 400-line bash script that renames, rotates and merges shipping-label PDFs per carrier before the evening collection. Rewrite it as a Python CLI with argparse and pytest tests covering each carrier's rules.",
    task: "code_generation",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Implement an event-sourced claims ledger for our insurance platform in Go: append-only event log, periodic snapshots, optimistic concurrency per claim, idempotent command handling, safe concurrent writers, and replay tests that prove the projections are deterministic.",
    task: "code_generation",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Build a distributed dispatcher in Rust for demand-response events on an electricity grid: leader election using etcd leases, at-least-once delivery to ~10k smart meters, backpressure, retries with jitter, graceful failover, and integration tests that simulate node crashes.",
    task: "code_generation",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Write a TypeScript library that parses museum collection records in both LIDO XML and Dublin Core, normalises them into one schema, streams files of several GB without loading them into memory, and exposes a plugin system for custom field mappers.",
    task: "code_generation",
    tier: "quality",
    clearCut: false,
  },

  // ── reasoning (never below balanced) ──────────────────────────────────
  {
    query:
      "Why do container shipping rates from Asia spike in the weeks before Chinese New Year, and why don't they drop straight back afterwards?",
    task: "reasoning",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Compare a hub-and-spoke network with point-to-point routes for a regional parcel courier that runs 12 depots. Which fits better and why?",
    task: "reasoning",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Should our boxing gym switch from monthly memberships to class packs? About 300 members, and roughly 40% of them come in fewer than 4 times a month.",
    task: "reasoning",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Three guards, Ana, Bo and Cy, each watch one gallery: Egyptian, Roman or Modern. Ana doesn't watch the Roman gallery. Bo watches neither the Egyptian nor the Modern gallery. Cy isn't in the Egyptian gallery. Who watches which gallery? Explain your deduction.",
    task: "reasoning",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Design a national surveillance programme for early detection of avian influenza spilling over into dairy herds: data sources, sampling strategy, lab capacity, incentives for farmers to share data, alert thresholds, and how we would evaluate whether it works.",
    task: "reasoning",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Analyse the trade-offs of moving a fashion retailer operating in 40 countries from seasonal collections to a continuous-drop model: inventory risk, markdowns, supplier lead times, sustainability reporting and brand perception. Finish with a phased recommendation.",
    task: "reasoning",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "How should a transmission operator plan its frequency-response strategy as inverter-based renewables grow from 30% to 80% of supply over ten years? Weigh synthetic inertia, grid-forming inverters, battery reserves and changes to market design.",
    task: "reasoning",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Why did the February 2021 Texas grid failure cascade the way it did, and which of the fixes proposed since then actually address the root causes?",
    task: "reasoning",
    tier: "quality",
    clearCut: false,
  },

  // ── mathematical ───────────────────────────────────────────────────────
  {
    query: "whats 17.5% VAT on £2,340",
    task: "mathematical",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "A ferry carries 48 cars per crossing and makes 7 crossings a day. How many cars can it carry in a 5-day working week?",
    task: "mathematical",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "A runner finished a marathon (42.2 km) in 3:28:15. What was her average pace per km, and what finish time would a 3% faster average pace give?",
    task: "mathematical",
    tier: "fast",
    clearCut: false,
  },
  {
    query:
      "Our hotel group is taking a £1.2M loan at 6.4% APR over 15 years, repaid monthly. What's the monthly payment and how much interest do we pay in total?",
    task: "mathematical",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "In our clinic's vaccine trial, 212 of 400 people in group A reported no side effects versus 181 of 400 in group B. Is the difference significant at the 5% level? Show the chi-square test step by step.",
    task: "mathematical",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "A satellite is in a circular orbit of radius 7,000 km. With GM = 3.986e14 m^3/s^2, find its orbital period and speed, then the total delta-v for a Hohmann transfer to a 42,164 km orbit.",
    task: "mathematical",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "In a round-robin chess event every pair plays once and there are no draws. Prove that the players can always be listed so that each one beat the next, and then prove that if every player can be reached from every other by a chain of wins, the list can be closed into a cycle.",
    task: "mathematical",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "A fashion retailer faces i.i.d. weekly demand with a convex expected holding/shortage cost, a fixed ordering cost K and zero lead time. Prove rigorously that an (s, S) policy is optimal for the finite-horizon single-item problem, using K-convexity.",
    task: "mathematical",
    tier: "quality",
    clearCut: true,
  },

  // ── summarisation ──────────────────────────────────────────────────────
  {
    query:
      "TL;DR this: 'Guests in rooms 201 to 215 reported no hot water between 6am and 9am on Tuesday. Maintenance traced the fault to a failed boiler relay, replaced it at 10:40 and confirmed normal temperatures by noon. All affected guests were given a breakfast voucher.'",
    task: "summarisation",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Pull out the action items from these notes:\n- Sam to chase the customs broker about container MSKU 448\n- Priya books forklift training for the new starters by Friday\n- everyone: update shift availability in the rota app\n- next sync moved to Thursday 2pm",
    task: "summarisation",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Summarise this in one line for my boss: 'Hi team, after last week's heavy rain the site inspector has asked us to hold the level 3 slab pour until the drainage report is signed off. The engineer expects to sign on Wednesday, so we're looking at a 3-day slip. Scaffolding and rebar work carry on as planned. Marco'",
    task: "summarisation",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Here's chapter 4 of our coaching manual (periodisation for youth swimmers, about 18 pages). Boil it down to the key points as a one-page brief for assistant coaches.",
    task: "summarisation",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Condense this 25-page reinsurance treaty into its key terms: cover limits, exclusions, reinstatement provisions and claims-notification deadlines.",
    task: "summarisation",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Below are 40 interview transcripts from museum visitors. Summarise them into a 3-page report covering the major themes, where different visitor segments contradict each other, and a few representative quotes for each theme.",
    task: "summarisation",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "I've pasted 60 weekly cholera situation reports covering East Africa. Condense them into a 2-page briefing: case and fatality trends by country, vaccination campaigns, and the main gaps.",
    task: "summarisation",
    tier: "quality",
    clearCut: false,
  },

  // ── creative ───────────────────────────────────────────────────────────
  {
    query: "write a haiku about a lighthouse keeper's last night on duty",
    task: "creative",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Give me 5 catchy name ideas for a mobile dog-grooming van",
    task: "creative",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "short funny toast for my sister's bakery opening tomorrow, like 3 or 4 sentences",
    task: "creative",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Write a 300-word retirement speech for our cricket club's head groundskeeper: mention his 32 seasons and the 2009 flood, keep it warm with two gentle jokes, and end with a toast.",
    task: "creative",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Write sea-shanty lyrics for a shipping line's 50th anniversary: two verses and a chorus, mentioning Rotterdam, Singapore and the night-shift crane crews.",
    task: "creative",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Write a 6,000-word literary short story narrated by a museum conservator restoring a painting that slowly reveals her grandmother's secret. Use two interleaved timelines and an unreliable narrator.",
    task: "creative",
    tier: "quality",
    clearCut: true,
  },
  {
    query:
      "Write the first three chapters of a mystery novella set aboard a cargo ship crossing the Pacific, plus detailed outlines for the remaining ten chapters.",
    task: "creative",
    tier: "quality",
    clearCut: true,
  },

  // ── query_rewriting (never above fast) ─────────────────────────────────
  {
    query:
      "Rewrite this for our vet advice search index: 'cat keeps throwing up after eating dry food what do'",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Turn 'can i claim home office costs if im self employed and rent my flat' into 4-5 search keywords",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Decompose into sub-queries for retrieval: 'Which marathon training plans suit over-50 runners with knee problems, and how many weeks do they take?'",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Expand this query with synonyms and related terms for our museum archive search: 'Victorian mourning jewellery'",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Reformulate for the policy knowledge base so the retriever finds it: 'flood basement excess not covered??'",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Paraphrase this question three different ways for retrieval: 'What are the rules for shipping lithium batteries as air freight?'",
    task: "query_rewriting",
    tier: "fast",
    clearCut: true,
  },

  // ── rag_query ──────────────────────────────────────────────────────────
  {
    query: "What's the latest check-out time?",
    task: "rag_query",
    tier: "fast",
    clearCut: true,
    docs: 2,
  },
  {
    query: "Which vaccines are due for a kitten at 12 weeks?",
    task: "rag_query",
    tier: "fast",
    clearCut: true,
    docs: 3,
  },
  {
    query:
      "Compare the deductibles and flood exclusions across these policies and say which one suits a ground-floor shop best.",
    task: "rag_query",
    tier: "balanced",
    clearCut: false,
    docs: 4,
  },
  {
    query:
      "Based on the attached construction contract, who bears the cost if the ground survey turns out to be wrong, and what notice period applies?",
    task: "rag_query",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Using the retrieved match reports, explain why our U16 team concedes so many goals in the last 15 minutes of games.",
    task: "rag_query",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Across these studies, what's the evidence that heat pumps raise or reduce winter peak grid load in cold climates, where do the results disagree, and which methodological differences explain that?",
    task: "rag_query",
    tier: "quality",
    clearCut: true,
    docs: 6,
  },
  {
    query:
      "Using the 12 retrieved newsroom style guides and corrections logs, assess how consistently our reporters attributed anonymous sources between 2019 and 2024, and draft recommendations grounded in those documents.",
    task: "rag_query",
    tier: "quality",
    clearCut: false,
  },

  // ── tool_use ───────────────────────────────────────────────────────────
  {
    query: "whats the weather in Reykjavik tomorrow night? thinking of doing the northern lights tour",
    task: "tool_use",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Send an email to dispatch@harbourfreight.example saying the 3pm pickup has moved to 4:30.",
    task: "tool_use",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Current price of Brent crude?",
    task: "tool_use",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "Book a table for 4 at Osteria Lupo this Friday at 8pm.",
    task: "tool_use",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Check tomorrow's tide times for Whitby, then put the charter crew in the team calendar two hours before high tide and text the skipper the start time.",
    task: "tool_use",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Pull last month's invoices for the Leeds warehouse from Xero, convert the totals to EUR at today's rate, and post a summary in the #finance Slack channel.",
    task: "tool_use",
    tier: "balanced",
    clearCut: true,
  },
  {
    query:
      "Look up whether the Louvre-Lens is open next Monday and, if it is, add a visit to my calendar at 10am.",
    task: "tool_use",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Act as an agent for the next week: poll the grid operator's API for frequency dips below 49.8 Hz, match each one against our battery dispatch logs in BigQuery, open a Jira ticket for every missed response, and email the ops team a daily digest.",
    task: "tool_use",
    tier: "quality",
    clearCut: false,
  },

  // ── general_qa ─────────────────────────────────────────────────────────
  {
    query: "What does 'force majeure' mean in a charter party?",
    task: "general_qa",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "how long can cooked rice sit out before its unsafe to eat",
    task: "general_qa",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "What is a parsec?",
    task: "general_qa",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "What is the Plimsoll line on a ship?",
    task: "general_qa",
    tier: "fast",
    clearCut: true,
  },
  {
    query: "How do I get red wine out of a linen tablecloth?",
    task: "general_qa",
    tier: "fast",
    clearCut: true,
  },
  {
    query:
      "Give me an overview of the UK apprenticeship route for chefs: entry requirements, levels, typical duration, end-point assessment and who pays.",
    task: "general_qa",
    tier: "balanced",
    clearCut: false,
  },
  {
    query:
      "Overview of the main language families of the Caucasus: which languages belong to each and where they are spoken.",
    task: "general_qa",
    tier: "balanced",
    clearCut: false,
  },
]
