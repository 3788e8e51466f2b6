/**
 * Recent system events (loads, evictions, drains, pins, breaker changes, the backend going up
 * or down), newest first, with their time; entries past the store's limit drop off the end.
 */
import { el } from "./dom.js"
import type { LogEntry } from "./store.js"

const ICON: Readonly<Record<LogEntry["level"], string>> = { info: "ℹ", warn: "⚠", error: "✕" }

export class LogView {
  private last = 0

  constructor(private readonly root: HTMLOListElement) {}

  draw(entries: ReadonlyArray<LogEntry>, limit: number): void {
    const fresh = entries.filter((e) => e.seq > this.last)
    for (const e of fresh) {
      const time = new Date(e.time)
      this.root.prepend(
        el(
          "li",
          { class: e.level },
          el("time", { text: time.toLocaleTimeString(), attrs: { datetime: time.toISOString() } }),
          el("span", { text: `${ICON[e.level]} `, attrs: { "aria-hidden": "true" } }),
          el("span", { class: "sr-only", text: `${e.level}: ` }),
          e.text,
        ),
      )
      this.last = e.seq
    }
    while (this.root.childElementCount > limit) this.root.lastElementChild?.remove()
  }
}
