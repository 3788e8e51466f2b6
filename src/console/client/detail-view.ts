/**
 * One request's full routing explanation, from its `routed` event's decision: the choice (model,
 * tier, task, reason, complexity, confidence), the fallback chain and what became of each model
 * in it, the task's signals and scores, the complexity dimensions against their ranges, how the
 * tier moved, persona and overrides, every candidate and why it was excluded; then what
 * happened (fallbacks, attempts, validation, timings). Parts of the breakdown the console does
 * not know (it may grow) are shown as they are, generically. Redrawn only when the request
 * changed in a way shown here (not on every token).
 */
import { el } from "./dom.js"
import { ms } from "./format.js"
import { stateText, timeToFirstToken, tokensPerSecond } from "./requests-view.js"
import type { RequestView } from "./store.js"
import type { Breakdown } from "./wire.js"

/** The complexity dimensions and their ranges (src/routing/complexity.ts). */
const DIMENSIONS = [
  ["structural", 2],
  ["reasoning", 3],
  ["context", 2],
  ["domain", 2],
  ["output", 1],
] as const

type Node = HTMLElement | string | undefined | false

const dl = (pairs: ReadonlyArray<readonly [string, Node]>): HTMLElement =>
  el(
    "dl",
    {},
    ...pairs
      .filter(([, v]) => v !== undefined && v !== "")
      .flatMap(([k, v]) => [el("dt", { text: k }), el("dd", {}, v)]),
  )

const list = (items: ReadonlyArray<Node>, ordered = false): HTMLElement =>
  el(ordered ? "ol" : "ul", {}, ...items.map((i) => el("li", {}, i)))

const words = (xs: ReadonlyArray<string> | undefined): string | undefined =>
  xs === undefined || xs.length === 0 ? undefined : xs.join(", ")

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

/** Any JSON value, readably: scalars as text, lists as lists, objects as terms and values. */
export const generic = (v: unknown): HTMLElement | string => {
  if (v === null || v === undefined) return "—"
  if (typeof v !== "object") return String(v)
  if (Array.isArray(v)) {
    if (v.length === 0) return "none"
    if (v.every((x) => typeof x !== "object" || x === null)) return v.map(String).join(", ")
    return list(v.map(generic))
  }
  return dl(Object.entries(v).map(([k, x]) => [k, generic(x)] as const))
}

/** The fields of `o` not in `known`, generically (a breakdown part that grew). */
const rest = (o: object, known: ReadonlyArray<string>): HTMLElement | undefined => {
  const extra = Object.entries(o).filter(([k]) => !known.includes(k))
  return extra.length === 0 ? undefined : dl(extra.map(([k, x]) => [k, generic(x)] as const))
}

const section = (title: string, ...body: Node[]): HTMLElement =>
  el("section", {}, el("h3", { text: title }), ...body)

const KNOWN_PARTS = ["override", "persona", "task", "complexity", "tier", "candidates"]

/** The breakdown's sections: the known parts in their own views, then any others generically. */
export const breakdownView = (b: Breakdown): HTMLElement[] => {
  const out: HTMLElement[] = []
  if (b.task !== undefined) {
    const t = b.task
    out.push(
      section(
        "Task signals",
        dl([
          ["task", `${t.type} (confidence ${t.confidence.toFixed(2)})`],
          ["scores", words(t.scores.map((s) => `${s.task} ${s.score.toFixed(2)}`))],
          ["signals", words(t.signals) ?? "none"],
          ["needs", words(t.needs) ?? "none"],
          ["min. context", t.minContextWindow !== undefined ? `${t.minContextWindow} tokens` : undefined],
        ]),
        rest(t, ["type", "confidence", "scores", "signals", "needs", "minContextWindow"]),
      ),
    )
  }
  if (b.complexity !== undefined) {
    const c = b.complexity
    const dims = el("div", { class: "dims" })
    for (const [name, max] of DIMENSIONS) {
      const v = c[name]
      const id = `dim-${name}`
      dims.append(
        el("span", { text: name, attrs: { id } }),
        el("meter", { attrs: { min: "0", max: String(max), value: String(v), "aria-labelledby": id } }),
        el("span", { text: `${v.toFixed(1)}/${max}` }),
      )
    }
    out.push(
      section(
        `Complexity ${c.total.toFixed(1)} / 10`,
        dims,
        dl([["signals", words(c.signals) ?? "none"]]),
        rest(c, ["total", "signals", ...DIMENSIONS.map(([n]) => n)]),
      ),
    )
  }
  if (b.tier !== undefined) {
    const t = b.tier
    out.push(
      section(
        "Tier",
        dl([["base → target → served", `${t.base} → ${t.target} → ${t.served}`]]),
        t.steps.length > 0 && list(t.steps, true),
        rest(t, ["base", "target", "served", "steps"]),
      ),
    )
  }
  if (b.persona !== undefined || b.override !== undefined) {
    out.push(
      section(
        "Persona and overrides",
        dl([
          ["persona", b.persona !== undefined ? b.persona.name : undefined],
          ["applied", words(b.persona?.applied)],
          ["model override", b.override?.model],
          ["tier override", b.override?.tier],
        ]),
      ),
    )
  }
  if (b.candidates !== undefined) {
    const rows = b.candidates.map((c) =>
      el(
        "tr",
        {},
        el("td", { text: c.model }),
        el("td", { text: c.tier }),
        el("td", { text: c.eligible ? "✓ eligible" : "✕ excluded" }),
        el("td", { text: c.score !== undefined ? c.score.toFixed(2) : "—" }),
        el("td", { text: c.note }),
      ),
    )
    out.push(
      section(
        "Candidates",
        el(
          "table",
          {},
          el("caption", {
            class: "sr-only",
            text: "Every model considered, and why it was excluded or how it scored",
          }),
          el(
            "thead",
            {},
            el(
              "tr",
              {},
              ...["Model", "Tier", "Eligible", "Score", "Why"].map((h) =>
                el("th", { text: h, attrs: { scope: "col" } }),
              ),
            ),
          ),
          el("tbody", {}, ...rows),
        ),
      ),
    )
  }
  const more = Object.entries(b).filter(([k]) => !KNOWN_PARTS.includes(k))
  for (const [k, v] of more) out.push(section(k, isObject(v) || Array.isArray(v) ? generic(v) : String(v)))
  return out
}

/** What became of each model of the chain: tried (and how it ended), or not reached. */
const chainView = (r: RequestView): HTMLElement | undefined => {
  const d = r.decision
  if (d === undefined) return undefined
  const chain = [d.model, ...d.fallbacks]
  const outcome = (m: string): string => {
    const a = r.attempts?.filter((x) => x.model === m)
    if (a !== undefined && a.length > 0)
      return a.map((x) => `${x.outcome}${x.reason !== undefined ? ` (${x.reason})` : ""}`).join(", ")
    if (r.model === m && !["completed", "failed", "cancelled"].includes(r.state)) return "current"
    return "not reached"
  }
  return list(
    chain.map((m, i) => `${m}${i === 0 ? " (chosen)" : ""} — ${outcome(m)}`),
    true,
  )
}

export class DetailView {
  private shown: { id: string; key: string } | undefined

  constructor(
    private readonly root: HTMLElement,
    private readonly heading: HTMLElement,
  ) {}

  /** Draw `r` when it (or what is shown of it) changed; `focus` moves the keyboard to the heading. */
  draw(r: RequestView | undefined, now: number, focus = false): void {
    if (r === undefined) return
    // Tokens and rates change per token; the rest only with the request's state.
    const key = `${r.state}|${r.model}|${r.fallbacks.length}|${r.validation?.ok}|${r.decision !== undefined}|${Math.floor(r.tokens / 20)}`
    if (this.shown?.id === r.id && this.shown.key === key && !focus) return
    this.shown = { id: r.id, key }
    const d = r.decision
    const rate = tokensPerSecond(r)
    this.heading.textContent = `Request ${r.id}`
    const parts: Node[] = [
      dl([
        ["state", `${stateText(r, now)}`],
        ["client", r.client ?? (r.mine ? "this tab" : undefined)],
        ["model", r.model],
        ["task · tier", r.task !== undefined ? `${r.task} · ${r.tier ?? "?"}` : undefined],
        ["reason", d?.reason],
        ["complexity", d !== undefined ? d.complexity.toFixed(1) : undefined],
        ["confidence", d !== undefined ? d.confidence.toFixed(2) : undefined],
        ["first token", ms(timeToFirstToken(r))],
        [
          "tokens",
          r.tokens > 0 ? `${r.tokens}${rate !== undefined ? ` (${rate.toFixed(0)} tok/s)` : ""}` : undefined,
        ],
        [
          "timings",
          r.timings !== undefined
            ? `queue ${ms(r.timings.queueMs)} · load ${ms(r.timings.loadMs)} · total ${ms(r.timings.totalMs)}`
            : undefined,
        ],
        ["warnings", words(d?.warnings)],
        ["labels", words(d?.labels)],
      ]),
      d === undefined
        ? el("p", { class: "muted", text: "Not routed yet (or routed before this page connected)." })
        : section("Fallback chain", chainView(r)),
      r.fallbacks.length > 0 &&
        section(
          "Fallbacks taken",
          list(
            r.fallbacks.map((f) => `${f.from} → ${f.to}: ${f.reason}`),
            true,
          ),
        ),
      ...(d !== undefined ? breakdownView(d.breakdown) : []),
      r.validation !== undefined &&
        section(
          "Validation",
          r.validation.ok
            ? "✓ passed"
            : list(r.validation.failures.map((f) => `✕ ${f.validator}: ${f.message}`)),
        ),
      r.error !== undefined && section("Error", `${r.error.reason}: ${r.error.message}`),
      r.attempts !== undefined &&
        r.attempts.length > 0 &&
        section(
          "Attempts",
          list(
            r.attempts.map(
              (a) =>
                `${a.model}: ${a.outcome}${a.reason !== undefined ? ` — ${a.reason}` : ""}${a.message !== undefined ? `: ${a.message}` : ""}`,
            ),
            true,
          ),
        ),
    ]
    this.root.replaceChildren(
      ...parts.filter((p): p is HTMLElement | string => p !== undefined && p !== false),
    )
    if (focus) {
      // The keyboard follows the choice; the page scrolls only if the heading is out of sight.
      this.heading.focus({ preventScroll: true })
      this.heading.scrollIntoView({ block: "nearest" })
    }
  }
}
