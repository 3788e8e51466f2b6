/**
 * Runs the `conductor` command as a child process (from source, through tsx), for CLI tests.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const ROOT = fileURLToPath(new URL("../..", import.meta.url))
const TSX = `${ROOT}node_modules/.bin/tsx`
const MAIN = `${ROOT}src/cli/main.ts`

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export const runCli = (
  args: ReadonlyArray<string>,
  options: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
) =>
  new Promise<CliResult>((resolve, reject) => {
    const child = spawn(TSX, [MAIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d
    })
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(options.stdin ?? "")
  })
