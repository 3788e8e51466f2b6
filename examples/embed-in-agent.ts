/**
 * Conductor embedded in an agent: a small plan-and-execute loop. The agent asks for a plan as
 * JSON (validated against a schema), runs the steps concurrently — each routed to the model that
 * suits it, streaming tokens as they come — and writes a final answer from the results. It
 * watches fallbacks and restarts on the way and reads the GPU state at the end. A step that fails
 * (every model of its chain did) is reported and the agent goes on: without a plan it works on the
 * goal as one step, without a final answer it returns the steps' notes.
 *
 *   npx tsx examples/embed-in-agent.ts "Plan a migration of a Postgres database to a new server"
 *
 * With no Ollama answering, Conductor runs on its embedded simulator.
 */
import { type Conductor, createConductor, isConductorError } from "../src/index.js"

const PLAN_SCHEMA = {
  type: "object",
  properties: { steps: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 5 } },
  required: ["steps"],
} as const

export interface AgentRun {
  readonly plan: ReadonlyArray<string>
  readonly answers: ReadonlyArray<{ readonly step: string; readonly model: string; readonly text: string }>
  readonly final: string
  readonly fallbacks: number
}

/** Plan, execute the steps concurrently, synthesise. `log` receives progress lines. */
export const runAgent = async (
  conductor: Conductor,
  goal: string,
  log: (line: string) => void = () => undefined,
): Promise<AgentRun> => {
  // 1. A plan, as JSON that must match the schema (an answer that does not falls back).
  let plan: ReadonlyArray<string>
  try {
    const planned = await conductor.generate({
      prompt: `Break this goal into at most five concrete steps: ${goal}`,
      format: PLAN_SCHEMA,
      persona: "developer",
    })
    plan = (JSON.parse(planned.text) as { steps: string[] }).steps
    log(`plan from ${planned.model} (${planned.reason}): ${plan.length} steps`)
  } catch (e) {
    plan = [goal]
    log(`planning failed (${describe(e)}); working on the goal as one step`)
  }

  // 2. The steps, concurrently; each is routed on its own text. Tokens stream through `events`.
  let fallbacks = 0
  const answers = await Promise.all(
    plan.map(async (step, i) => {
      const handle = conductor.submit({
        prompt: `${goal}\n\nWork out this step: ${step}`,
        persona: "researcher",
      })
      for await (const event of handle.events) {
        if (event.type === "routed") log(`step ${i + 1} → ${event.decision.model} (${event.decision.reason})`)
        if (event.type === "fallback") {
          fallbacks++
          log(`step ${i + 1}: ${event.from} failed (${event.reason}), trying ${event.to}`)
        }
        if (event.type === "restart") log(`step ${i + 1}: discarding ${event.discard} characters`)
      }
      try {
        const r = await handle.result
        return { step, model: r.model, text: r.text }
      } catch (e) {
        // A step that fails is reported, not fatal: the agent goes on without it.
        log(`step ${i + 1} failed: ${describe(e)}`)
        return { step, model: "none", text: "" }
      }
    }),
  )

  // 3. The final answer from what the steps found.
  const notes = answers.filter((a) => a.text !== "").map((a, i) => `Step ${i + 1} (${a.step}): ${a.text}`)
  try {
    const final = await conductor.generate({
      messages: [
        { role: "system", content: "You write clear, short final answers from working notes." },
        { role: "user", content: `Goal: ${goal}\n\nNotes:\n${notes.join("\n")}\n\nWrite the final answer.` },
      ],
      persona: "writer",
    })
    log(`final answer from ${final.model} in ${final.timings.totalMs} ms`)
    return { plan, answers, final: final.text, fallbacks }
  } catch (e) {
    log(`the final answer failed (${describe(e)}); returning the notes`)
    return { plan, answers, final: notes.join("\n"), fallbacks }
  }
}

const describe = (e: unknown): string => (isConductorError(e) ? `${e.reason}: ${e.message}` : String(e))

const main = async () => {
  const goal =
    process.argv[2] ?? "Plan a migration of a Postgres database to a new server with minimal downtime"
  const conductor = await createConductor()
  try {
    const run = await runAgent(conductor, goal, (line) => console.log(line))
    console.log(`\n${run.final}\n`)
    const s = conductor.snapshot()
    const resident = s.models.filter((m) => m.state === "resident").map((m) => m.name)
    console.log(`backend ${s.backend.description}; resident: ${resident.join(", ")}`)
    console.log(`VRAM ${(s.vram.used / 1e9).toFixed(1)} of ${(s.vram.budget / 1e9).toFixed(1)} GB budget`)
  } finally {
    await conductor.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
