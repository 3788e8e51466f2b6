/**
 * axe-core (from npm) run in a page of the console's browser tests: its violations of the WCAG
 * rules it checks (labels, roles, names, contrast, …), each with the elements at fault. Injected
 * through the DevTools protocol, which the page's Content-Security-Policy does not govern.
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import type { Page } from "playwright-core"

const source = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8")

export interface Violation {
  readonly id: string
  readonly impact: string
  readonly help: string
  readonly targets: ReadonlyArray<string>
}

export const axeViolations = async (page: Page): Promise<Violation[]> => {
  await page.evaluate(source)
  const result = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })))",
  )) as Violation[]
  return result
}
