/**
 * Two simulated GPU hosts over HTTP (two `conductor sim` processes), one Conductor owning both
 * (`ollamaHost: "A,B"`): one host is killed with SIGKILL while 40 requests stream, and comes back
 * on the same port. Every accepted request ends exactly once — all complete, on the host that
 * lived — the dead host is marked down, and once it answers again it is reconciled and used.
 */
import type { ChildProcess } from "node:child_process"
import { afterEach, describe, expect, it } from "vitest"
import { type Conductor, createConductor } from "../../src/conductor.js"
import type { ConductorEvent } from "../../src/domain/events.js"
import { TERMINAL_TYPES } from "../../src/domain/events.js"
import { waitUntil } from "../support/sim-http.js"
import { spawnSim } from "../support/sim-process.js"

/** `conductor sim` on `port` (0: any); resolves with its URL once it listens. */
const startSim = async (port: number, seed: number): Promise<{ child: ChildProcess; url: string }> => {
  const sim = spawnSim([
    "--profile",
    "tiny-ci",
    "--port",
    String(port),
    "--time-scale",
    "4",
    "--seed",
    String(seed),
  ])
  const [url] = await sim.urls
  return { child: sim.child, url: url as string }
}

const children: ChildProcess[] = []
let conductor: Conductor | undefined
afterEach(async () => {
  await conductor?.close()
  conductor = undefined
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM")
})

const MODELS = ["llama3.1:8b", "mistral:7b", "qwen2.5:14b"]

describe("two GPU hosts over HTTP", () => {
  it("a host killed with SIGKILL mid-stream: every request ends once, all complete; it returns and is used", async () => {
    const a = await startSim(0, 1)
    const b = await startSim(0, 2)
    children.push(a.child, b.child)
    conductor = await createConductor({
      backend: "ollama",
      ollamaHost: `${a.url},${b.url}`,
      env: {},
      config: {
        hardware: { vramGb: 16, utilisation: 1, reserveGb: 0.2 },
        backend: { unloadSettle: "50ms", callTimeout: "5s" },
        health: { probeAfter: "200ms", maxProbeAfter: "1s" },
        scheduler: { reconcileInterval: "1s" },
      },
    })
    const c = conductor
    const victim = new URL(b.url).host
    const events: ConductorEvent[] = []
    c.subscribe((e) => events.push(e))
    expect(c.snapshot().hosts.map((h) => [h.name, h.up])).toEqual([
      [new URL(a.url).host, true],
      [victim, true],
    ])
    const handles = Array.from({ length: 40 }, (_, i) =>
      c.submit({
        prompt: `Summarise what a ${["cache", "queue", "index", "log"][i % 4]} is, take ${i}.`,
        model: MODELS[i % MODELS.length] as string,
        id: `r${i}`,
        options: { numPredict: 300 },
      }),
    )
    // Both hosts are streaming: kill one outright.
    await waitUntil(
      () => c.snapshot().hosts.every((h) => h.models.some((m) => m.leases > 0)),
      "both hosts streaming",
    )
    b.child.kill("SIGKILL")
    await waitUntil(
      () => events.some((e) => e.type === "host" && e.host === victim && e.state === "down"),
      "host down",
    )
    const settled = await Promise.allSettled(handles.map((h) => h.result))
    const failed = settled.flatMap((r, i) => (r.status === "rejected" ? [`r${i}: ${String(r.reason)}`] : []))
    expect(failed).toEqual([])
    for (const h of handles) {
      const terminal = events.filter((e) => "id" in e && e.id === h.id && TERMINAL_TYPES.has(e.type))
      expect(terminal.map((e) => e.type)).toEqual(["completed"])
    }
    // Some were cut on the dead host and finished on the other (the same model first).
    const moved = settled.filter((r) => r.status === "fulfilled" && r.value.attempts.length > 1)
    expect(moved.length).toBeGreaterThan(0)
    for (const r of moved) {
      if (r.status === "fulfilled") expect(r.value.attempts[0]?.model).toBe(r.value.model)
    }
    // Back on the same port: probed, reconciled, up — and used again.
    const again = await startSim(Number(new URL(b.url).port), 3)
    children.push(again.child)
    await waitUntil(() => c.snapshot().hosts.every((h) => h.up), "host up again")
    const more = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        c.generate({
          prompt: `What is ${i} + 1?`,
          model: "qwen2-math:7b",
          id: `s${i}`,
          options: { numPredict: 60 },
        }),
      ),
    )
    expect(more).toHaveLength(6)
    expect(events.some((e) => e.type === "model_loaded" && e.host === victim && e.at !== undefined)).toBe(
      true,
    )
    expect(c.readiness().ready).toBe(true)
  }, 60_000)
})
