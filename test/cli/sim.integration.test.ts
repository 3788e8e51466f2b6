import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Ollama } from "ollama"
import OpenAI from "openai"
import { describe, expect, it } from "vitest"
import { spawnSim } from "../support/sim-process.js"

const ROOT = fileURLToPath(new URL("../..", import.meta.url))

describe("conductor sim", () => {
  it("serves a profile to the official clients (ollama, openai) and stops cleanly on SIGTERM", async () => {
    const sim = spawnSim([
      "--profile",
      "tiny-ci",
      "--port",
      "0",
      "--time-scale",
      "500",
      "--seed",
      "3",
      "--load-cost-scale",
      "2",
    ])
    const url = (await sim.urls)[0] as string
    const { child, exited } = sim
    const out = sim.out()
    expect(out).toContain("tiny-ci — 1 GPU, 16 GB, time scale 500, seed 3, load cost ×2")
    expect(await (await fetch(`${url}/sim/state`)).json()).toMatchObject({ loadCostScale: 2 })
    const ollama = new Ollama({ host: url })
    const tags = await ollama.list()
    expect(tags.models.map((m) => m.name)).toContain("qwen3:4b")
    const r = await ollama.generate({ model: "qwen3:4b", prompt: "What is 6 * 7?", stream: false })
    expect(r.response).toContain("42")
    // The OpenAI SDK against the same server's /v1, unchanged.
    const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: "ollama", maxRetries: 0 })
    const chat = await openai.chat.completions.create({
      model: "llama3.1:8b",
      messages: [{ role: "user", content: "What is 6 * 7?" }],
    })
    expect(chat.choices[0]?.message.content).toContain("42")
    const vectors = await openai.embeddings.create({ model: "nomic-embed-text", input: ["six", "seven"] })
    expect(vectors.data.map((d) => d.embedding.length)).toEqual([768, 768])
    child.kill("SIGTERM")
    expect(await exited).toBe(0)
  })

  it("rejects a bad flag with usage", async () => {
    const child = spawn(
      `${ROOT}node_modules/.bin/tsx`,
      [`${ROOT}src/cli/main.ts`, "sim", "--time-scale", "fast"],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    )
    let err = ""
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      err += d
    })
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve))
    expect(code).toBe(2)
    expect(err).toContain("--time-scale: expected a number")
  })
})
