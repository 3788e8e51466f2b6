/**
 * The models table: one row per registry model (`data-testid="model-row"`, `data-model`, and
 * `data-state` its residency state) with its state in words and an icon (loading shows progress
 * against the expected load time and the time elapsed), slots busy / total, queue depth and the
 * oldest wait, breaker and health, memory, and the Load / Unload / Pin buttons. Rows are keyed
 * by name and updated in place; buttons say which model they act on to a screen reader.
 */
import type { AdminAction } from "./api.js"
import { el, setAttr, setText } from "./dom.js"
import { BREAKER, gb, ms, pct, RESIDENCY } from "./format.js"
import type { ConsoleStore, ModelView } from "./store.js"

/** Available or not, without `disabled` (which would throw the keyboard focus out of a row). */
const enable = (b: HTMLButtonElement, on: boolean) => setAttr(b, "aria-disabled", String(!on))

interface Row {
  readonly tr: HTMLTableRowElement
  readonly name: HTMLElement
  readonly badges: HTMLElement
  readonly state: HTMLElement
  readonly progress: HTMLProgressElement
  readonly stateDetail: HTMLElement
  readonly slots: HTMLElement
  readonly queue: HTMLElement
  readonly breaker: HTMLElement
  readonly health: HTMLElement
  readonly memory: HTMLElement
  readonly load: HTMLButtonElement
  readonly unload: HTMLButtonElement
  readonly pin: HTMLButtonElement
}

export class ModelsView {
  private readonly rows = new Map<string, Row>()
  /** Models with an admin call in flight (their buttons wait). */
  readonly pending = new Set<string>()

  constructor(
    private readonly tbody: HTMLTableSectionElement,
    private readonly act: (model: string, action: AdminAction, pinned?: boolean) => void,
  ) {}

  /** Whether a redraw later would show something new (a load's progress, a wait growing). */
  ticking(store: ConsoleStore): boolean {
    for (const m of store.models.values()) if (m.state === "loading" || m.queueDepth > 0) return true
    return false
  }

  draw(store: ConsoleStore, now: number): void {
    // Models the backend has first, each group in registry order.
    const names = [...store.models.values()]
      .sort((a, b) => Number(b.available) - Number(a.available))
      .map((m) => m.name)
    for (const [name, row] of this.rows) {
      if (!store.models.has(name)) {
        row.tr.remove()
        this.rows.delete(name)
      }
    }
    names.forEach((name, i) => {
      const m = store.models.get(name) as ModelView
      const row = this.rows.get(name) ?? this.create(name)
      if (this.tbody.children[i] !== row.tr) this.tbody.insertBefore(row.tr, this.tbody.children[i] ?? null)
      this.update(row, m, store, now)
    })
  }

  private create(name: string): Row {
    const cell = () => el("td")
    const nameCell = el("span", { text: name, class: "mono" })
    const badges = el("span")
    const state = el("span", { class: "state" })
    const progress = el("progress", { attrs: { max: "1", "aria-label": `${name} load progress` } })
    progress.hidden = true
    const stateDetail = el("div", { class: "muted" })
    const button = (text: string, action: AdminAction) =>
      el("button", {
        text,
        attrs: { type: "button", "aria-label": `${text} ${name}`, "data-action": action },
        on: {
          click: (e) => {
            // Unavailable buttons stay focusable (aria-disabled), so the keyboard keeps its place.
            if ((e.currentTarget as HTMLElement).getAttribute("aria-disabled") === "true") return
            const m = this.lastPinned.get(name)
            this.act(name, action, action === "pin" ? !m : undefined)
          },
        },
      })
    const load = button("Load", "load")
    const unload = button("Unload", "unload")
    const pin = button("Pin", "pin")
    const row: Row = {
      tr: el("tr", { attrs: { "data-testid": "model-row", "data-model": name } }),
      name: nameCell,
      badges,
      state,
      progress,
      stateDetail,
      slots: el("td", { class: "num" }),
      queue: el("td", { class: "num" }),
      breaker: el("td"),
      health: el("td", { class: "num" }),
      memory: el("td", { class: "num" }),
      load,
      unload,
      pin,
    }
    const th = el("th", { attrs: { scope: "row" } }, nameCell, badges)
    const stateTd = cell()
    stateTd.append(state, " ", progress, stateDetail)
    row.tr.append(
      th,
      stateTd,
      row.slots,
      row.queue,
      row.breaker,
      row.health,
      row.memory,
      el("td", {}, el("div", { class: "actions" }, load, unload, pin)),
    )
    this.rows.set(name, row)
    return row
  }

  private readonly lastPinned = new Map<string, boolean>()

  private update(row: Row, m: ModelView, store: ConsoleStore, now: number): void {
    this.lastPinned.set(m.name, m.pinned)
    setAttr(row.tr, "data-state", m.state)
    const r = RESIDENCY[m.state]
    const busy = m.state === "resident" ? (m.busy > 0 ? " · busy" : " · idle") : ""
    setText(row.state, `${r.icon} ${r.label}${busy}`)
    setAttr(row.state, "class", `state s-${m.state}${m.busy > 0 && m.state === "resident" ? " s-busy" : ""}`)

    const tooBig = store.vram.budget > 0 && m.bytes > store.vram.budget
    let detail = ""
    if (m.state === "loading" && m.loadingSince !== undefined) {
      const elapsed = now - m.loadingSince
      const frac = m.expectedLoadMs > 0 ? Math.min(0.99, elapsed / m.expectedLoadMs) : 0
      row.progress.hidden = false
      row.progress.value = frac
      setAttr(row.progress, "aria-valuetext", `${pct(frac)}, ${ms(elapsed)} elapsed`)
      detail = `${pct(frac)} · ${ms(elapsed)} of ~${ms(m.expectedLoadMs)}`
    } else {
      row.progress.hidden = true
      if ((m.state === "draining" || m.state === "unloading") && m.why !== undefined) detail = m.why
      else if (m.lastError !== undefined) detail = `last load failed: ${m.lastError}`
      else if (!m.available) detail = "not on the backend"
      else if (m.state === "unloaded" && tooBig) detail = "larger than the VRAM budget"
      else if (m.external) detail = "loaded by another client"
    }
    setText(row.stateDetail, detail)

    const badged = row.badges.childElementCount > 0
    if (m.pinned && !badged) row.badges.replaceChildren(el("span", { class: "badge", text: "pinned" }))
    else if (!m.pinned && badged) row.badges.replaceChildren()

    setText(row.slots, `${m.busy} / ${m.slots}`)
    const wait = store.oldestWaitMs(m, now)
    setText(
      row.queue,
      m.queueDepth === 0
        ? "0"
        : `${m.queueDepth} waiting${wait !== undefined ? ` · oldest ${ms(wait)}` : ""}`,
    )
    const b = BREAKER[m.breaker]
    setText(row.breaker, `${b.icon} ${b.label}`)
    setAttr(row.breaker, "class", `b-${m.breaker}`)
    const h = m.health
    setText(
      row.health,
      h === undefined
        ? "no attempts yet"
        : `${pct(h.successRate)} ok · ${ms(h.latencyMs)}${h.consecutiveFailures > 0 ? ` · ${h.consecutiveFailures} failing in a row` : ""}`,
    )
    setText(row.memory, m.state === "unloaded" ? `~${gb(m.bytes)}` : gb(m.bytes))

    const pending = this.pending.has(m.name)
    enable(row.load, !pending && m.available && m.state === "unloaded" && !tooBig)
    enable(row.unload, !pending && !m.pinned && (m.state === "resident" || m.state === "draining"))
    setAttr(row.unload, "title", m.pinned ? "pinned: unpin it first" : "")
    enable(row.pin, !pending && m.available)
    // A toggle: its name stays, aria-pressed (and the "pinned" badge) says whether it is on.
    setAttr(row.pin, "aria-pressed", String(m.pinned))
  }
}
