/**
 * An agent loop with tools, written against the official OpenAI SDK only: Conductor is just the
 * `baseURL`, and `model: "auto"` lets it route each step (a request with tools goes only to
 * models that can call them). The agent offers local tools — a calculator, a file lister and a
 * file reader, confined to one directory — runs every call the model makes, sends the results
 * back as `tool` messages and loops until an answer comes without tool calls. A failed step is
 * handled, not fatal: a tool that throws reports the error to the model, and a request Conductor
 * could not serve (every model failed, none available, the queue full) is retried once after a
 * pause, then the run ends with the reason and what it had done.
 *
 *   conductor serve &
 *   npx tsx examples/openai-agent.ts "How many files are in src/api, and what is 17 * 23?"
 *
 * CONDUCTOR_URL (default http://127.0.0.1:8080) and CONDUCTOR_TOKEN point it at the server.
 */
import { readdir, readFile, stat } from "node:fs/promises"
import { relative, resolve, sep } from "node:path"
import OpenAI, { APIError } from "openai"
import type {
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
  ChatCompletionTool,
} from "openai/resources/chat/completions"

/** A tool the agent runs itself: what the model is told, and the code behind it. */
export interface LocalTool {
  readonly definition: ChatCompletionTool & { readonly type: "function" }
  run(args: Record<string, unknown>): Promise<string> | string
}

export interface AgentStep {
  readonly tool: string
  readonly arguments: string
  /** The tool's output, or `error: …` when it failed (the model is told either way). */
  readonly result: string
}

export interface AgentRun {
  readonly ok: boolean
  /** The final answer (ok), or why the run stopped. */
  readonly answer: string
  readonly steps: ReadonlyArray<AgentStep>
  /** The model that answered each request, in order (Conductor's choice for `auto`). */
  readonly models: ReadonlyArray<string>
  /** Requests that failed and were retried. */
  readonly retries: number
}

export interface AgentOptions {
  readonly tools?: ReadonlyArray<LocalTool>
  readonly maxSteps?: number
  readonly log?: (line: string) => void
  /** Pause before retrying a failed request, ms (default: the server's Retry-After, else 1 s). */
  readonly retryDelayMs?: number
}

// ---- the tools

/** Arithmetic on numbers with + - * / % ^ and parentheses (a parser, never eval). */
export const calculate = (expression: string): number => {
  const src = expression.replace(/\s+/g, "")
  let i = 0
  const fail = (what: string): never => {
    throw new Error(`${what} at position ${i + 1} of '${expression}'`)
  }
  const atom = (): number => {
    if (src[i] === "(") {
      i++
      const v = sum()
      if (src[i] !== ")") fail("expected ')'")
      i++
      return v
    }
    if (src[i] === "-") {
      i++
      return -atom()
    }
    const m = /^\d+(?:\.\d+)?(?:e[+-]?\d+)?/i.exec(src.slice(i))
    if (m === null) return fail("expected a number")
    i += m[0].length
    return Number(m[0])
  }
  const power = (): number => {
    const base = atom()
    if (src[i] !== "^") return base
    i++
    return base ** power()
  }
  const product = (): number => {
    let v = power()
    while (src[i] === "*" || src[i] === "/" || src[i] === "%") {
      const op = src[i++]
      const r = power()
      v = op === "*" ? v * r : op === "/" ? v / r : v % r
    }
    return v
  }
  const sum = (): number => {
    let v = product()
    while (src[i] === "+" || src[i] === "-") v = src[i++] === "+" ? v + product() : v - product()
    return v
  }
  if (src === "") fail("empty expression")
  const value = sum()
  if (i < src.length) fail(`unexpected '${src[i]}'`)
  if (!Number.isFinite(value)) throw new Error(`'${expression}' has no finite value`)
  return value
}

/** A path inside `root` (the model cannot leave it). */
const inside = (root: string, path: unknown): string => {
  const p = resolve(root, typeof path === "string" && path !== "" ? path : ".")
  if (p !== root && !p.startsWith(root + sep)) throw new Error(`'${String(path)}' is outside ${root}`)
  return p
}

/** The agent's default tools: a calculator, and a file lister and reader confined to `root`. */
export const localTools = (root: string): ReadonlyArray<LocalTool> => {
  const base = resolve(root)
  return [
    {
      definition: {
        type: "function",
        function: {
          name: "calculator",
          description:
            "Evaluate an arithmetic expression (+ - * / % ^ and parentheses) and return the number",
          parameters: {
            type: "object",
            properties: { expression: { type: "string", description: "for example (17 * 23) / 2" } },
            required: ["expression"],
          },
        },
      },
      run: (args) => String(calculate(String(args.expression ?? ""))),
    },
    {
      definition: {
        type: "function",
        function: {
          name: "list_files",
          description: "List the files and directories in a directory of the project (directories end in /)",
          parameters: {
            type: "object",
            properties: {
              directory: { type: "string", description: "relative to the project root; . for the root" },
            },
            required: ["directory"],
          },
        },
      },
      run: async (args) => {
        const dir = inside(base, args.directory)
        const entries = await readdir(dir, { withFileTypes: true })
        const names = entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.name)).sort()
        return `${relative(base, dir) || "."}: ${names.length} entries\n${names.join("\n")}`
      },
    },
    {
      definition: {
        type: "function",
        function: {
          name: "read_file",
          description: "Read the start of a text file of the project (at most 2,000 characters)",
          parameters: {
            type: "object",
            properties: { path: { type: "string", description: "relative to the project root" } },
            required: ["path"],
          },
        },
      },
      run: async (args) => {
        const file = inside(base, args.path)
        if (!(await stat(file)).isFile()) throw new Error(`'${String(args.path)}' is not a file`)
        return (await readFile(file, "utf8")).slice(0, 2000)
      },
    },
  ]
}

// ---- the loop

/** A failure worth one more try: Conductor could not serve it now (overloaded, every model failed, none free). */
const transient = (e: unknown): e is APIError =>
  e instanceof APIError && (e.status === undefined || e.status === 429 || e.status >= 500)

const runCall = async (
  call: ChatCompletionMessageToolCall,
  tools: ReadonlyArray<LocalTool>,
): Promise<AgentStep> => {
  if (call.type !== "function")
    return { tool: call.type, arguments: "", result: "error: not a function call" }
  const { name, arguments: text } = call.function
  const tool = tools.find((t) => t.definition.function.name === name)
  try {
    if (tool === undefined) throw new Error(`no tool named ${name}`)
    const args = text.trim() === "" ? {} : (JSON.parse(text) as Record<string, unknown>)
    return { tool: name, arguments: text, result: await tool.run(args) }
  } catch (e) {
    // The model is told, and may try another way.
    return { tool: name, arguments: text, result: `error: ${(e as Error).message}` }
  }
}

/** Work on `goal` with the tools until the model answers without calling any (or `maxSteps` requests). */
export const runAgent = async (
  client: OpenAI,
  goal: string,
  options: AgentOptions = {},
): Promise<AgentRun> => {
  const tools = options.tools ?? localTools(process.cwd())
  const maxSteps = options.maxSteps ?? 8
  const log = options.log ?? (() => undefined)
  const messages: ChatCompletionMessageParam[] = [
    {
      role: "system",
      content:
        "You are a careful assistant. Use the tools to look things up and to calculate; then answer briefly.",
    },
    { role: "user", content: goal },
  ]
  const steps: AgentStep[] = []
  const models: string[] = []
  let retries = 0
  const stopped = (answer: string): AgentRun => ({ ok: false, answer, steps, models, retries })

  /** One request to Conductor; a transient failure is retried once after a pause. */
  const ask = async (step: number): Promise<OpenAI.ChatCompletion | string> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const { data, response } = await client.chat.completions
          .create({ model: "auto", messages, tools: tools.map((t) => t.definition), tool_choice: "auto" })
          .withResponse()
        log(
          `step ${step}: ${data.model} (${response.headers.get("x-conductor-tier")}, ${response.headers.get("x-conductor-reason")})`,
        )
        return data
      } catch (e) {
        if (!transient(e)) throw e
        if (attempt > 0) return `gave up after a retry: ${e.message}`
        retries++
        const wait = options.retryDelayMs ?? Number(e.headers?.get("retry-after") ?? 1) * 1000
        log(`step ${step} failed (${e.message}); retrying in ${wait} ms`)
        await new Promise((r) => setTimeout(r, wait))
      }
    }
  }

  for (let request = 1; request <= maxSteps; request++) {
    const completion = await ask(request)
    if (typeof completion === "string") return stopped(completion)
    models.push(completion.model)
    const choice = completion.choices[0]
    if (choice === undefined) return stopped("the server answered with no choice")
    const message = choice.message
    messages.push(message)
    const calls = message.tool_calls ?? []
    if (calls.length === 0) {
      log(`answer from ${completion.model}`)
      return { ok: true, answer: message.content ?? "", steps, models, retries }
    }
    for (const call of calls) {
      const step = await runCall(call, tools)
      steps.push(step)
      log(`  ${step.tool}(${step.arguments}) → ${step.result.split("\n")[0]}`)
      messages.push({ role: "tool", tool_call_id: call.id, content: step.result })
    }
  }
  return stopped(`no answer after ${maxSteps} requests`)
}

const main = async () => {
  const goal = process.argv.slice(2).join(" ") || "How many files are in src/api, and what is 17 * 23?"
  const client = new OpenAI({
    baseURL: `${process.env.CONDUCTOR_URL ?? "http://127.0.0.1:8080"}/v1`,
    apiKey: process.env.CONDUCTOR_TOKEN ?? "none",
  })
  const run = await runAgent(client, goal, { log: (l) => console.log(l) })
  console.log(`\n${run.ok ? run.answer : `stopped: ${run.answer}`}`)
  console.log(`(${run.steps.length} tool calls, models: ${[...new Set(run.models)].join(", ")})`)
  process.exitCode = run.ok ? 0 : 1
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
