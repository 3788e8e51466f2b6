/**
 * `conductor ask --url` against a spawned `conductor serve`, over the WebSocket protocol: the
 * same answer and summary as in-process, --json, a request the server refuses, no server there.
 * The command itself runs as a process once, as a newcomer runs it, and in this process after.
 */
import { createServer } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCli, runMain } from "../support/cli.js"
import { type Served, serve } from "../support/serve.js"

/** A port nothing listens on (the OS's pick, released). */
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })

const SUMMARY = /^— (\S+) · tier (fast|balanced|quality) · reason ([a-z_]+) · \d+\.\d s/m

describe("conductor ask --url, against conductor serve", () => {
  let server: Served
  beforeAll(async () => {
    server = await serve(["--backend", "sim", "--sim-profile", "tiny-ci", "--time-scale", "50"])
  })
  afterAll(async () => {
    await server.stop()
  })

  it("asks over the WebSocket protocol and shows the same answer and summary", async () => {
    const r = await runCli(["ask", "--url", server.ws, "What is the capital of France?"])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain(`asking the server at ${server.ws} (simulator tiny-ci; policy swap-aware)`)
    const summary = SUMMARY.exec(r.stderr)
    expect(summary, r.stderr).not.toBeNull()
    // A URL without a path means /ws; --json prints the completed result.
    const j = await runCli([
      "ask",
      "--url",
      server.url.replace(/^http/, "ws"),
      "--json",
      "What is the capital of France?",
    ])
    expect(j.code, j.stderr).toBe(0)
    const result = JSON.parse(j.stdout)
    expect(result).toMatchObject({ model: summary?.[1], tier: summary?.[2], reason: summary?.[3] })
    expect(result.text).toBe(r.stdout.trimEnd())
    const bad = await runMain(["ask", "--url", server.ws, "--persona", "nobody", "hi"])
    expect(bad.code).toBe(2)
    // Refused at submission, before it is accepted (never a failed request).
    expect(bad.stderr).toContain("invalid_request: persona: unknown persona 'nobody'")
  })

  it("says when no server answers, and --wait waits for one that is starting", async () => {
    const refused = await runMain(["ask", "hi", "--url", "ws://127.0.0.1:9/ws"])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("cannot connect to ws://127.0.0.1:9/ws: ECONNREFUSED")
    expect(refused.stderr).toContain("is `conductor serve` running?")

    const port = await freePort()
    const asked = runMain([
      "ask",
      "--url",
      `ws://127.0.0.1:${port}/ws`,
      "--wait",
      "60",
      "What is the capital of France?",
    ])
    const late = await serve([
      "--backend",
      "sim",
      "--sim-profile",
      "tiny-ci",
      "--time-scale",
      "50",
      "--port",
      String(port),
    ])
    try {
      const r = await asked
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toMatch(SUMMARY)
    } finally {
      await late.stop()
    }
  })
})
