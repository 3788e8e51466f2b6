/**
 * `examples/openai-agent.ts` against a spawned `conductor serve` on the simulator: the loop runs
 * the model's tool calls on a scratch project and ends with an answer; a tool that throws is
 * reported to the model and the loop goes on; a server where every model fails ends the run
 * with the reason after one retry, without throwing. Also the calculator's parser.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { calculate, type LocalTool, localTools, runAgent } from "../../examples/openai-agent.js"
import { type Served, serve } from "../support/serve.js"

/** Every project folder a test made, removed when the file's tests are done. */
const roots: string[] = []
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

const project = (): string => {
  const root = mkdtempSync(join(tmpdir(), "agent-project-"))
  roots.push(root)
  mkdirSync(join(root, "src"))
  writeFileSync(join(root, "README.md"), "# Demo\n")
  writeFileSync(join(root, "src", "a.ts"), "export const a = 1\n")
  writeFileSync(join(root, "src", "b.ts"), "export const b = 2\n")
  return root
}

describe("the calculator tool", () => {
  it("evaluates arithmetic with precedence, powers and parentheses, and refuses anything else", () => {
    expect(calculate("17 * 23")).toBe(391)
    expect(calculate("(1 + 2) * 3 - 4 / 2")).toBe(7)
    expect(calculate("2 ^ 3 ^ 2")).toBe(512)
    expect(calculate("-(3 - 5) % 3")).toBe(2)
    expect(() => calculate("process.exit(1)")).toThrow(/expected a number at position 1/)
    expect(() => calculate("1 / 0")).toThrow(/no finite value/)
    expect(() => calculate("(1 + 2")).toThrow(/expected '\)'/)
  })

  it("the file tools stay inside their root", async () => {
    const root = project()
    const list = localTools(root).find((t) => t.definition.function.name === "list_files") as LocalTool
    expect(await list.run({ directory: "src" })).toBe("src: 2 entries\na.ts\nb.ts")
    await expect(Promise.resolve().then(() => list.run({ directory: "../.." }))).rejects.toThrow(/outside/)
  })
})

describe("examples/openai-agent against conductor serve", () => {
  let server: Served
  let client: OpenAI

  beforeAll(async () => {
    server = await serve(["--backend", "sim", "--sim-profile", "tiny-ci", "--time-scale", "20"])
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 })
  })
  afterAll(async () => {
    await server.stop()
  })

  it("runs the model's tool calls and loops until an answer without calls", async () => {
    const lines: string[] = []
    const run = await runAgent(client, "How many files are in src, and what is 17 * 23?", {
      tools: localTools(project()),
      log: (l) => lines.push(l),
    })
    expect(run.ok).toBe(true)
    expect(run.answer.length).toBeGreaterThan(0)
    expect(run.steps.length).toBeGreaterThan(0)
    for (const step of run.steps) {
      expect(["calculator", "list_files", "read_file"]).toContain(step.tool)
      expect(step.result.length).toBeGreaterThan(0)
    }
    // One request per round of calls, plus the answer.
    expect(run.models.length).toBeGreaterThanOrEqual(2)
    expect(lines[0]).toMatch(/^step 1: \S+ \((fast|balanced|quality), \w+\)$/)
    expect(lines.at(-1)).toMatch(/^answer from /)
  })

  it("a tool that throws is reported to the model, and the loop goes on", async () => {
    const broken: LocalTool = {
      definition: {
        type: "function",
        function: {
          name: "list_files",
          description: "List the files in a directory of the project",
          parameters: {
            type: "object",
            properties: { directory: { type: "string" } },
            required: ["directory"],
          },
        },
      },
      run: () => {
        throw new Error("disk unplugged")
      },
    }
    const run = await runAgent(client, "List the files in the src directory.", { tools: [broken] })
    expect(run.ok).toBe(true)
    expect(run.steps.length).toBeGreaterThan(0)
    expect(run.steps.every((s) => s.result === "error: disk unplugged")).toBe(true)
    expect(run.answer.length).toBeGreaterThan(0)
  })
})

describe("examples/openai-agent when Conductor cannot answer", () => {
  let server: Served
  let dir: string

  beforeAll(async () => {
    // Every model fails before its first token, every time.
    const tiny = readFileSync(join(import.meta.dirname, "../../config/sim/tiny-ci.yaml"), "utf8")
    dir = mkdtempSync(join(tmpdir(), "agent-failing-"))
    writeFileSync(join(dir, "failing.yaml"), `${tiny}\nfaults:\n  errorBeforeFirstToken: 1\n`)
    server = await serve([
      "--backend",
      "sim",
      "--sim-profile",
      join(dir, "failing.yaml"),
      "--time-scale",
      "20",
    ])
  })
  afterAll(async () => {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it("retries the failed step once, then stops with the reason instead of throwing", async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 })
    const lines: string[] = []
    const run = await runAgent(client, "What is 17 * 23?", {
      tools: localTools(project()),
      retryDelayMs: 10,
      log: (l) => lines.push(l),
    })
    expect(run.ok).toBe(false)
    expect(run.retries).toBe(1)
    expect(run.answer).toMatch(/^gave up after a retry: 502 every model failed/)
    expect(lines).toEqual([
      expect.stringMatching(/^step 1 failed \(502 every model failed.*retrying in 10 ms$/),
    ])
  })
})
