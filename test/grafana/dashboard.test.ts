import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"

interface Panel {
  type: string
  title: string
  id: number
  datasource?: { type: string; uid: string }
  gridPos: { x: number; y: number; w: number; h: number }
  targets?: Array<{ expr: string; datasource: { uid: string } }>
}

const dash = JSON.parse(
  readFileSync(new URL("../../grafana/dashboards/conductor.json", import.meta.url), "utf8"),
) as {
  uid: string
  schemaVersion: number
  templating: { list: Array<{ name: string; type: string }> }
  panels: Panel[]
}

describe("grafana/dashboards/conductor.json", () => {
  it("has the seven sections, variables for datasource, instance, model and host, and unique panel ids", () => {
    expect(dash.schemaVersion).toBeGreaterThanOrEqual(38)
    expect(dash.templating.list.map((v) => [v.name, v.type])).toEqual([
      ["datasource", "datasource"],
      ["instance", "query"],
      ["model", "query"],
      ["host", "query"],
    ])
    expect(dash.panels.filter((p) => p.type === "row").map((p) => p.title)).toEqual([
      "Overview",
      "Models",
      "GPU memory",
      "Health",
      "Routing",
      "Server",
      "Hosts",
    ])
    const ids = dash.panels.map((p) => p.id)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it("every panel queries the datasource variable and is scoped to the selected instances", () => {
    for (const p of dash.panels.filter((x) => x.type !== "row")) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template
      expect(p.datasource?.uid, p.title).toBe("${datasource}")
      for (const t of p.targets ?? []) {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax
        expect(t.datasource.uid, p.title).toBe("${datasource}")
        expect(t.expr, p.title).toContain('instance=~"$instance"')
      }
    }
  })

  it("panels do not overlap on the grid", () => {
    const cells = new Set<string>()
    for (const p of dash.panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          const key = `${x},${y}`
          expect(cells.has(key), `${p.title} overlaps at ${key}`).toBe(false)
          cells.add(key)
        }
      }
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24)
    }
  })
})
