/**
 * The query box: a query (with an optional persona and tier) sent over the WebSocket; then, for
 * that request, the routing decision as soon as it is made, the answer streaming in (appended
 * once per frame, however many tokens came; a `restart` takes back what it discards), the model
 * answering, and the validation result. Cancel stops it on the GPU.
 */
import { byId, el, setText } from "./dom.js"
import { ms } from "./format.js"
import type { ConsoleStore, RequestView } from "./store.js"

export interface QueryDeps {
  readonly store: ConsoleStore
  /** Send a client message; false when not connected. */
  readonly send: (message: Record<string, unknown>) => boolean
}

const statusOf = (r: RequestView): string => {
  switch (r.state) {
    case "accepted":
      return "Routing…"
    case "routed":
      return `Routed to ${r.model}`
    case "queued":
      return `Waiting for ${r.model}: #${r.position ?? "?"} in its queue, est. ${ms(r.estimatedWaitMs)}`
    case "loading":
      return `Loading ${r.model}…`
    case "streaming":
      return `Streaming from ${r.model}…`
    case "validating":
      return `Validating the answer of ${r.model}…`
    case "completed":
      return `Done in ${ms(r.timings?.totalMs)} (${r.usage?.evalTokens ?? r.tokens} tokens)`
    case "failed":
      return `Failed — ${r.error?.reason}: ${r.error?.message}`
    case "cancelled":
      return "Cancelled"
    case "lost":
      return "The connection dropped; this query was cancelled"
  }
}

export class QueryView {
  private current: string | undefined
  private drawn = -1
  private decisionShown = false
  private shownText = 0
  private readonly answerText = document.createTextNode("")
  private n = 0
  private readonly form = byId<HTMLFormElement>("query-form")
  private readonly input = byId<HTMLTextAreaElement>("query-input")
  private readonly persona = byId<HTMLInputElement>("query-persona")
  private readonly tier = byId<HTMLSelectElement>("query-tier")
  private readonly cancel = byId<HTMLButtonElement>("query-cancel")
  private readonly out = byId("query-out")
  private readonly status = byId("query-status")
  private readonly decision = byId("query-decision")
  private readonly answer = byId("answer")
  private readonly model = byId("answer-model")
  private readonly validation = byId("query-validation")
  private readonly thinking = byId<HTMLDetailsElement>("query-thinking")

  constructor(private readonly d: QueryDeps) {
    this.answer.append(this.answerText)
    this.form.addEventListener("submit", (e) => {
      e.preventDefault()
      this.submit()
    })
    // Ctrl/Cmd+Enter sends from the text area.
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault()
        this.submit()
      }
    })
    this.cancel.addEventListener("click", () => {
      if (this.current !== undefined) this.d.send({ type: "cancel", id: this.current })
    })
  }

  /** Persona names for the persona box's suggestions. */
  setPersonas(names: ReadonlyArray<string>): void {
    byId("personas").replaceChildren(...names.map((n) => el("option", { attrs: { value: n } })))
  }

  private submit(): void {
    const prompt = this.input.value.trim()
    if (prompt === "") {
      this.out.hidden = false
      setText(this.status, "Type a query first.")
      this.input.focus()
      return
    }
    const id = `ui-${Date.now().toString(36)}-${++this.n}`
    // `client` names the console to everyone watching the requests.
    const message: Record<string, unknown> = { type: "query", id, prompt, client: "console" }
    const persona = this.persona.value.trim()
    if (persona !== "") message.persona = persona
    if (this.tier.value !== "") message.tier = this.tier.value
    this.d.store.expect(id)
    this.out.hidden = false
    if (!this.d.send(message)) {
      setText(this.status, "Not connected; try again in a moment.")
      return
    }
    this.current = id
    this.drawn = -1
    this.decisionShown = false
    this.shownText = 0
    this.answerText.data = ""
    setText(this.model, "—")
    setText(this.validation, "")
    this.thinking.hidden = true
    this.decision.replaceChildren()
    setText(this.status, "Sent…")
    this.cancel.hidden = false
  }

  draw(): void {
    if (this.current === undefined) return
    const r = this.d.store.requests.get(this.current)
    if (r === undefined || r.version === this.drawn) return
    this.drawn = r.version
    setText(this.status, statusOf(r))
    const d = r.decision
    if (d !== undefined && !this.decisionShown) {
      this.decisionShown = true
      const pairs: Array<[string, string]> = [
        ["model", d.model],
        ["tier", d.tier],
        ["task", `${d.taskType} (confidence ${d.confidence.toFixed(2)})`],
        ["reason", d.reason],
        ["complexity", d.complexity.toFixed(1)],
        ["fallbacks", d.fallbacks.length > 0 ? d.fallbacks.join(" → ") : "none"],
      ]
      this.decision.replaceChildren(
        ...pairs.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]),
      )
    }
    if (r.state === "streaming" || r.state === "validating" || r.state === "completed" || r.tokens > 0)
      setText(this.model, r.model ?? "—")
    // Append what came since the last frame; a restart took some back.
    if (r.text.length < this.shownText) {
      this.answerText.data = r.text
    } else if (r.text.length > this.shownText) {
      this.answerText.appendData(r.text.slice(this.shownText))
    }
    this.shownText = r.text.length
    // A thinking model's reasoning, folded away above its answer.
    this.thinking.hidden = r.thinking === ""
    if (r.thinking !== "") setText(this.thinking.querySelector("pre") as HTMLElement, r.thinking)
    if (r.validation !== undefined) {
      setText(
        this.validation,
        r.validation.ok
          ? "✓ Validation passed"
          : `✕ Validation failed: ${r.validation.failures.map((f) => `${f.validator} (${f.message})`).join("; ")}`,
      )
      this.validation.className = `validation ${r.validation.ok ? "ok" : "bad"}`
    }
    if (["completed", "failed", "cancelled", "lost"].includes(r.state)) this.cancel.hidden = true
  }
}
