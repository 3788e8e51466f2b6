/**
 * The live request list: the newest `cap` requests (`data-testid="request-row"`, `data-id`,
 * `data-state`), each with its id, client, task and tier, model and routing reason, state
 * (queue position and estimated wait, loading, tokens per second while streaming, validation,
 * the end), time to first token and fallbacks. Rows are keyed by id, created once and updated in
 * place only when their request changed; choosing one (its id button, or a click anywhere on the
 * row) shows its routing explanation.
 */
import { el, setAttr, setText } from "./dom.js"
import { ms, REQUEST } from "./format.js"
import type { ConsoleStore, RequestView } from "./store.js"

interface Row {
  readonly tr: HTMLTableRowElement
  readonly cells: ReadonlyArray<HTMLTableCellElement>
  /** Second lines: the tier under the task, the routing reason under the model. */
  readonly tier: HTMLElement
  readonly reason: HTMLElement
  readonly task: HTMLElement
  readonly model: HTMLElement
  /** The request's version this row shows. */
  drawn: number
}

/** Tokens per second of the current attempt, on Conductor's clock. */
export const tokensPerSecond = (r: RequestView): number | undefined => {
  if (r.startedAt === undefined || r.lastTokenAt === undefined || r.attemptTokens < 2) return undefined
  const s = (r.lastTokenAt - r.startedAt) / 1000
  return s > 0 ? r.attemptTokens / s : undefined
}

export const timeToFirstToken = (r: RequestView): number | undefined =>
  r.timings?.firstTokenMs ??
  (r.firstTokenAt !== undefined && r.acceptedAt !== undefined ? r.firstTokenAt - r.acceptedAt : undefined)

export const stateText = (r: RequestView, now: number): string => {
  const s = REQUEST[r.state]
  switch (r.state) {
    case "queued": {
      const waited = r.queuedSince !== undefined ? ` · waited ${ms(now - r.queuedSince)}` : ""
      return `${s.icon} queued #${r.position ?? "?"} · est. ${ms(r.estimatedWaitMs)}${waited}`
    }
    case "streaming": {
      const rate = tokensPerSecond(r)
      return `${s.icon} streaming · ${r.attemptTokens} tok${rate !== undefined ? ` · ${rate.toFixed(0)} tok/s` : ""}`
    }
    case "validating":
      return `${s.icon} validating${r.validation !== undefined ? (r.validation.ok ? " · passed" : " · failed") : ""}`
    case "completed":
      return `${s.icon} done · ${ms(r.timings?.totalMs)}`
    case "failed":
      return `${s.icon} failed · ${r.error?.reason ?? "?"}`
    default:
      return `${s.icon} ${s.label}`
  }
}

export class RequestsView {
  private readonly rows = new Map<string, Row>()
  private selected: string | undefined

  constructor(
    private readonly tbody: HTMLTableSectionElement,
    private readonly count: HTMLElement,
    private readonly cap: number,
    private readonly select: (id: string) => void,
  ) {}

  /** Queued requests' waits grow with time. */
  ticking(store: ConsoleStore): boolean {
    for (const r of store.requests.values()) if (r.state === "queued") return true
    return false
  }

  setSelected(id: string | undefined): void {
    if (this.selected !== undefined) this.rows.get(this.selected)?.tr.setAttribute("aria-selected", "false")
    this.selected = id
    if (id !== undefined) this.rows.get(id)?.tr.setAttribute("aria-selected", "true")
  }

  /** `all`: redraw every visible row (time passed), else only the changed ones. */
  draw(store: ConsoleStore, now: number, all: boolean): void {
    const visible = store.visibleRequests(this.cap)
    const keep = new Set<string>()
    visible.forEach((r, i) => {
      keep.add(r.id)
      let row = this.rows.get(r.id)
      const fresh = row === undefined
      row ??= this.create(r)
      if (this.tbody.children[i] !== row.tr) this.tbody.insertBefore(row.tr, this.tbody.children[i] ?? null)
      if (fresh || all || row.drawn !== r.version || r.state === "queued") this.update(row, r, now)
    })
    for (const [id, row] of this.rows) {
      if (!keep.has(id)) {
        row.tr.remove()
        this.rows.delete(id)
      }
    }
    const total = store.requests.size
    setText(
      this.count,
      `· ${store.inFlightCount} in flight${total > visible.length ? ` · showing the newest ${visible.length} of ${total}` : ""}`,
    )
  }

  private create(r: RequestView): Row {
    const button = el("button", {
      class: "link",
      text: r.id,
      attrs: { type: "button", "aria-label": `Routing explanation of request ${r.id}` },
    })
    const cells = Array.from({ length: 7 }, () => el("td"))
    ;(cells[0] as HTMLTableCellElement).append(button)
    if (r.mine)
      (cells[0] as HTMLTableCellElement).append(el("span", { class: "badge mine", text: "this tab" }))
    const tr = el(
      "tr",
      {
        attrs: {
          "data-testid": "request-row",
          "data-id": r.id,
          "aria-selected": String(r.id === this.selected),
        },
        on: { click: () => this.select(r.id) },
      },
      ...cells,
    )
    const task = el("span")
    const tier = el("div", { class: "muted" })
    const model = el("span")
    const reason = el("div", { class: "muted" })
    ;(cells[2] as HTMLTableCellElement).append(task, tier)
    ;(cells[3] as HTMLTableCellElement).append(model, reason)
    const row: Row = { tr, cells, task, tier, model, reason, drawn: -1 }
    this.rows.set(r.id, row)
    return row
  }

  private update(row: Row, r: RequestView, now: number): void {
    const [, client, , , state, ttft, fallbacks] = row.cells as [
      HTMLTableCellElement,
      HTMLTableCellElement,
      HTMLTableCellElement,
      HTMLTableCellElement,
      HTMLTableCellElement,
      HTMLTableCellElement,
      HTMLTableCellElement,
    ]
    row.drawn = r.version
    setAttr(row.tr, "data-state", r.state)
    setText(client, r.client ?? (r.mine ? "console" : "—"))
    setText(row.task, r.task ?? "—")
    setText(row.tier, r.tier ?? "")
    setText(row.model, r.model ?? "—")
    setText(row.reason, r.reason ?? "")
    setText(state, stateText(r, now))
    setAttr(state, "class", `state s-${r.state}`)
    setText(ttft, ms(timeToFirstToken(r)))
    setText(
      fallbacks,
      r.fallbacks.length === 0 ? "—" : r.fallbacks.map((f) => `${f.from} → ${f.to} (${f.reason})`).join("; "),
    )
  }
}
