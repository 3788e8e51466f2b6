import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const ROOT = fileURLToPath(new URL("../..", import.meta.url))

describe("conductor sim --hosts", () => {
  it("serves several simulated GPU hosts, each its own engine and profile, until SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        `${ROOT}src/cli/main.ts`,
        "sim",
        "--hosts",
        "2",
        "--profile",
        "tiny-ci,workstation-24gb",
        "--port",
        "0",
        "--time-scale",
        "500",
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    )
    let out = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d
    })
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    const urls = await new Promise<string[]>((resolve, reject) => {
      const timer = setInterval(() => {
        const found = [...out.matchAll(/Ollama API on (http:\/\/[^\s]+)/g)].map((m) => m[1] as string)
        if (found.length === 2) {
          clearInterval(timer)
          resolve(found)
        }
      }, 20)
      child.on("exit", () => reject(new Error(`exited early: ${out}`)))
    })
    expect(out).toContain("[host 1/2]: tiny-ci")
    expect(out).toContain("[host 2/2]: workstation-24gb")
    const profiles = await Promise.all(
      urls.map(async (u) => ((await (await fetch(`${u}/sim/state`)).json()) as { profile: string }).profile),
    )
    expect(profiles).toEqual(["tiny-ci", "workstation-24gb"])
    child.kill("SIGTERM")
    expect(await exited).toBe(0)
  }, 30_000)
})
