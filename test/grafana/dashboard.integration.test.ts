/**
 * The shipped monitoring, proven against a real Prometheus (Debian's package): `conductor serve`
 * on a faulty simulated host under a mixed WebSocket load, Prometheus scraping it with the shipped
 * config and rules (learned routing on, every answer rated over the WebSocket), then every target expression of every dashboard panel evaluated through
 * `/api/v1/query` — each must succeed and return data. `promtool` checks the shipped config, the
 * rules and a scrape.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { parse, stringify } from "yaml"
import { skipWithout } from "../support/binaries.js"
import { connect, type Served, serve } from "../support/serve.js"

const ROOT = fileURLToPath(new URL("../..", import.meta.url))
const GRAFANA = join(ROOT, "grafana")
const PROMPTS = [
  "What is the capital of France?",
  "Write a Python function that merges two sorted lists.",
  "Solve 3x + 7 = 22 and explain each step.",
  "Write a short poem about autumn leaves.",
  "Summarise the causes of the first world war, comparing economic and political factors.",
]
/** Panels that may return nothing in this run, and why: the faulty host exercises all the others. */
const SEVERAL_HOSTS = "host metrics exist only with several GPU hosts; this run has one"
const MAY_BE_EMPTY: ReadonlyMap<string, string> = new Map([
  ["Host up", SEVERAL_HOSTS],
  ["VRAM per host", SEVERAL_HOSTS],
  ["Queue depth per host", SEVERAL_HOSTS],
])

interface Panel {
  readonly type: string
  readonly title: string
  readonly targets?: ReadonlyArray<{ readonly expr: string; readonly refId: string }>
  readonly panels?: ReadonlyArray<Panel>
}

/** Every panel target of the dashboard, variables substituted as Grafana would for "All". */
const dashboardQueries = (): Array<{ panel: string; refId: string; expr: string }> => {
  const dash = JSON.parse(readFileSync(join(GRAFANA, "dashboards/conductor.json"), "utf8")) as {
    panels: Panel[]
  }
  const all = dash.panels.flatMap((p) => (p.type === "row" ? [...(p.panels ?? [])] : [p]))
  return all.flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      panel: p.title,
      refId: t.refId,
      expr: t.expr
        .replaceAll("$instance", ".*")
        .replaceAll("$model", ".*")
        .replaceAll("$host", ".*")
        .replaceAll("$__rate_interval", "5m"),
    })),
  )
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer()
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })

const poll = async <T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await attempt().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

describe.skipIf(skipWithout("prometheus") || skipWithout("promtool"))(
  "grafana/ monitoring against a real Prometheus",
  () => {
    let conductor: Served
    let prometheus: ChildProcess
    let prom: string

    beforeAll(async () => {
      const config = mkdtempSync(join(tmpdir(), "conductor-obs-"))
      writeFileSync(
        join(config, "conductor.yaml"),
        // Learned routing on (in memory) so its panels have data: every answer below is rated.
        'health:\n  volumeThreshold: 3\n  errorThresholdPercentage: 30\n  probeAfter: 20s\nlearning:\n  mode: on\n  store: ":memory:"\n',
      )
      conductor = await serve([
        "--backend",
        "sim",
        "--sim-profile",
        join(ROOT, "test/fixtures/observability-faults.yaml"),
        "--time-scale",
        "50",
        "--config",
        config,
      ])
      // The shipped Prometheus config, pointed at this server and scraping every second.
      const shipped = parse(readFileSync(join(GRAFANA, "prometheus/prometheus.yml"), "utf8")) as {
        global: Record<string, string>
        rule_files: string[]
        scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>
      }
      shipped.global.scrape_interval = "1s"
      shipped.global.evaluation_interval = "1s"
      shipped.rule_files = shipped.rule_files.map((f) => join(GRAFANA, "prometheus", f))
      for (const job of shipped.scrape_configs) {
        for (const sc of job.static_configs) sc.targets = [new URL(conductor.url).host]
      }
      const dir = mkdtempSync(join(tmpdir(), "prometheus-"))
      writeFileSync(join(dir, "prometheus.yml"), stringify(shipped))
      const port = await freePort()
      prom = `http://127.0.0.1:${port}`
      prometheus = spawn(
        "prometheus",
        [
          `--config.file=${join(dir, "prometheus.yml")}`,
          `--storage.tsdb.path=${join(dir, "data")}`,
          `--web.listen-address=127.0.0.1:${port}`,
          "--log.level=warn",
        ],
        { stdio: "ignore" },
      )
      await poll("prometheus to scrape conductor", async () => {
        const r = (await (await fetch(`${prom}/api/v1/targets`)).json()) as {
          data: { activeTargets: Array<{ health: string }> }
        }
        return r.data.activeTargets.some((t) => t.health === "up") ? true : undefined
      })

      // A mixed load from six clients: every task type, faults on three models.
      const clients = await Promise.all(Array.from({ length: 6 }, () => connect(conductor.ws)))
      await Promise.all(
        clients.map(async (c, i) => {
          for (let j = 0; j < 14; j++) {
            const id = `obs-${i}-${j}`
            c.send({ type: "query", id, prompt: PROMPTS[(i + j) % PROMPTS.length] })
            const end = await c.waitFor(
              (m) => m.id === id && (m.type === "completed" || m.type === "failed" || m.type === "cancelled"),
              60_000,
            )
            if (end.type === "completed") {
              c.send({ type: "feedback", id, score: (i + j) % 3 === 0 ? 0.2 : 0.9 })
              await c.waitFor((m) => m.id === id && m.type === "feedback_recorded", 60_000)
            }
          }
          c.close()
        }),
      )
    }, 300_000)

    afterAll(async () => {
      prometheus?.kill("SIGTERM")
      await conductor?.stop()
    })

    it("the shipped config and rules pass promtool, and so does a scrape", async () => {
      expect(
        execFileSync("promtool", ["check", "config", join(GRAFANA, "prometheus/prometheus.yml")], {
          encoding: "utf8",
        }),
      ).toMatch(/SUCCESS/)
      expect(
        execFileSync("promtool", ["check", "rules", join(GRAFANA, "prometheus/alerts.yml")], {
          encoding: "utf8",
        }),
      ).toMatch(/SUCCESS: 7 rules found/)
      const scrape = await (await fetch(`${conductor.url}/metrics`)).text()
      expect(execFileSync("promtool", ["check", "metrics"], { input: scrape, encoding: "utf8" })).toBe("")
    })

    it("Prometheus loaded every alert rule and evaluates them without errors", async () => {
      const r = (await (await fetch(`${prom}/api/v1/rules`)).json()) as {
        data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> }
      }
      const rules = r.data.groups.flatMap((g) => g.rules)
      expect(rules.map((x) => x.name).sort()).toEqual([
        "ConductorBreakerOpen",
        "ConductorLatencyP99High",
        "ConductorNotReady",
        "ConductorQueueGrowing",
        "ConductorSwapThrash",
        "ConductorTenantHeldBack",
        "ConductorVramNearBudget",
      ])
      await poll("every rule evaluated", async () => (rules.length > 0 ? true : undefined))
      for (const rule of rules) expect(rule.lastError ?? "", rule.name).toBe("")
    })

    it("every dashboard panel query returns data", async () => {
      const queries = dashboardQueries()
      expect(queries.length).toBeGreaterThanOrEqual(30)
      const empty = new Map<string, string>()
      await poll(
        "every panel to have data",
        async () => {
          empty.clear()
          for (const q of queries) {
            const res = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(q.expr)}`)
            const body = (await res.json()) as {
              status: string
              error?: string
              data?: { result: Array<{ value: [number, string] }> }
            }
            expect(body.error, `${q.panel} ${q.refId}: ${q.expr}`).toBeUndefined()
            expect(body.status).toBe("success")
            const values = (body.data?.result ?? [])
              .map((r) => Number(r.value[1]))
              .filter((v) => Number.isFinite(v))
            if (values.length === 0 && !MAY_BE_EMPTY.has(q.panel)) empty.set(`${q.panel} ${q.refId}`, q.expr)
          }
          return empty.size === 0 ? true : undefined
        },
        90_000,
      ).catch((e: Error) => {
        throw new Error(
          `${e.message}; still empty:\n${[...empty].map(([k, v]) => `  ${k}: ${v}`).join("\n")}`,
        )
      })
    })
  },
)
