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

/**
 * Runs the `conductor` command in this process (its `main`), capturing what it writes to stdout
 * and stderr, with `env` set (an undefined value unsets) for the duration: the CLI's own code,
 * without a process's start-up.
 * Runs one at a time (it swaps process-wide state).
 */
export const runMain = async (
  args: ReadonlyArray<string>,
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> => {
  const { main } = await import("../../src/cli/cli.js")
  let stdout = ""
  let stderr = ""
  const out = process.stdout.write
  const err = process.stderr.write
  const saved = Object.fromEntries(Object.keys(options.env ?? {}).map((k) => [k, process.env[k]]))
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk)
    return true
  }) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk)
    return true
  }) as typeof process.stderr.write
  try {
    const code = await main(args)
    return { code, stdout, stderr }
  } finally {
    process.stdout.write = out
    process.stderr.write = err
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}
