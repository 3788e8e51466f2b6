/**
 * GPU memory: per host, a summary line (used, budget, capacity, free), a bar split into one
 * segment per model holding memory (loading and unloading ones hatched, and said so in the
 * legend), a dashed mark where the budget ends, and a legend naming each segment with its size
 * and state. Hosts are keyed by name, so a list of hosts drops in as it is.
 */
import { el, setText } from "./dom.js"
import { gb, RESIDENCY } from "./format.js"
import type { HostMemory } from "./store.js"

const PALETTE = ["--seg-a", "--seg-b", "--seg-c", "--seg-d", "--seg-e", "--seg-f"]

export class MemoryView {
  private readonly hosts = new Map<string, HTMLElement>()

  constructor(
    private readonly root: HTMLElement,
    /** A model's place in the registry (segments and colours follow it). */
    private readonly indexOf: (model: string) => number,
  ) {}

  draw(hosts: ReadonlyArray<HostMemory>): void {
    if (this.hosts.size === 0) this.root.replaceChildren()
    const names = new Set(hosts.map((h) => h.name))
    for (const [name, node] of this.hosts) {
      if (!names.has(name)) {
        node.remove()
        this.hosts.delete(name)
      }
    }
    for (const h of hosts) {
      let node = this.hosts.get(h.name)
      if (node === undefined) {
        node = el("div", { class: "host", attrs: { "data-testid": "vram-host", "data-host": h.name } })
        this.hosts.set(h.name, node)
        this.root.append(node)
      }
      this.drawHost(node, h)
    }
  }

  private drawHost(node: HTMLElement, h: HostMemory): void {
    const free = Math.max(0, h.budget - h.used)
    const summary = `${h.name}: ${gb(h.used)} used of ${gb(h.budget)} budget (${gb(h.capacity)} on the GPU) · ${gb(free)} free in the budget`
    const scale = Math.max(h.capacity, h.budget, h.used, 1)
    const held = h.models.reduce((s, m) => s + (m.state === "loading" ? 0 : m.bytes), 0)
    // Colours follow registry order among the models in memory, so neighbours always differ.
    const inMemory = [...h.models].sort((a, b) => this.indexOf(a.name) - this.indexOf(b.name))
    const segments = inMemory.map((m, i) => {
      const colour = `var(${PALETTE[i % PALETTE.length]})`
      const label = `${m.name} ${gb(m.bytes)}${m.state === "resident" ? "" : ` (${RESIDENCY[m.state].label})`}`
      const seg = el("div", {
        class: `seg${m.state === "resident" || m.state === "draining" ? "" : " loading"}`,
        text: m.name,
        attrs: { title: label },
        style: { width: `${(m.bytes / scale) * 100}%`, background: colour },
      })
      const item = el(
        "li",
        {},
        el("span", { class: "sw", attrs: { "aria-hidden": "true" }, style: { background: colour } }),
        label,
      )
      return { seg, item }
    })
    const other = h.used - held
    const bar = el(
      "div",
      {
        class: "bar",
        attrs: {
          role: "img",
          "aria-label": `${summary}. ${h.models.map((m) => `${m.name} ${gb(m.bytes)} ${RESIDENCY[m.state].label}`).join("; ") || "no model in memory"}`,
        },
      },
      ...segments.map((s) => s.seg),
      other > 0.05e9 &&
        el("div", {
          class: "seg",
          text: "other",
          attrs: { title: `other ${gb(other)}` },
          style: { width: `${(other / scale) * 100}%`, background: "var(--seg-other)" },
        }),
      el("div", {
        class: "budget-mark",
        attrs: { title: "budget" },
        style: { left: `${(h.budget / scale) * 100}%` },
      }),
    )
    const legend = el(
      "ul",
      { class: "legend" },
      ...segments.map((s) => s.item),
      segments.length === 0 && el("li", { class: "muted", text: "no model in memory" }),
      el("li", { class: "muted", text: "┆ budget" }),
    )
    const p = node.querySelector("p") ?? el("p", { class: "host-summary" })
    setText(p, summary)
    node.replaceChildren(p, bar, legend)
  }
}
