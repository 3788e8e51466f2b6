/**
 * The console's entry point (`/ui/assets/<version>/main.js`): builds the store, the views and
 * the live connection, and draws what changed once per animation frame — the request list at
 * most every 100 ms, whatever the token rate. Admin buttons call the admin API and say what
 * happened; a ticker redraws elapsed times while a load or a queue is in progress.
 */
import { type AdminAction, admin } from "./api.js"
import { Connection } from "./connection.js"
import { DetailView } from "./detail-view.js"
import { byId, setText } from "./dom.js"
import { Frame } from "./frame.js"
import { LogView } from "./log-view.js"
import { MemoryView } from "./memory-view.js"
import { ModelsView } from "./models-view.js"
import { QueryView } from "./query-view.js"
import { RequestsView } from "./requests-view.js"
import { ConsoleStore, type Section } from "./store.js"

/** Rows drawn in the request list (the store keeps more). */
const REQUEST_ROWS = 100
const LOG_ROWS = 40
const TICK_MS = 500

const store = new ConsoleStore({ requests: 500, log: LOG_ROWS })
const drawn: Record<Section, number> = { meta: -1, hosts: -1, models: -1, requests: -1, log: -1 }
const moved = (s: Section) => store.versions[s] !== drawn[s]
const mark = (s: Section) => {
  drawn[s] = store.versions[s]
}

let selected: string | undefined
let focusDetail = false
let ticked = false

const adminStatus = byId("admin-status")
const act = async (model: string, action: AdminAction, pinned?: boolean) => {
  models.pending.add(model)
  setText(adminStatus, `${action} ${model}…`)
  adminStatus.className = "admin-status"
  frame.request()
  const answer = await admin(model, action, pinned)
  models.pending.delete(model)
  frame.request()
  if (answer.ok) {
    const v = answer.value
    const what =
      action === "load"
        ? `${model} is resident (loaded in ${Math.round(Number(v.loadMs ?? 0))} ms)`
        : action === "unload"
          ? `${model}: ${String(v.state).replace("_", " ")}`
          : `${model} ${v.pinned === true ? "pinned" : "unpinned"}`
    setText(adminStatus, `✓ ${what}`)
  } else {
    setText(adminStatus, `✕ ${action} ${model}: ${answer.message}`)
    adminStatus.className = "admin-status bad"
  }
  // The events said what changed; a fresh snapshot settles anything they could not (slots, queue).
  await connection.refreshSnapshot()
  frame.request()
}

const memory = new MemoryView(byId("hosts"), (m) => [...store.models.keys()].indexOf(m))
const models = new ModelsView(
  byId<HTMLTableElement>("models").tBodies[0] as HTMLTableSectionElement,
  (m, a, p) => {
    void act(m, a, p)
  },
)
const requests = new RequestsView(
  byId<HTMLTableElement>("requests").tBodies[0] as HTMLTableSectionElement,
  byId("requests-count"),
  REQUEST_ROWS,
  (id) => {
    selected = id
    focusDetail = true
    requests.setSelected(id)
    frame.request()
  },
)
const detail = new DetailView(byId("detail-body"), byId("detail-h"))
const log = new LogView(byId<HTMLOListElement>("events"))
const connLabel = byId("connection")

const frame = new Frame([
  {
    name: "meta",
    due: () => moved("meta"),
    draw: () => {
      mark("meta")
      setText(byId("backend"), store.backend)
      setText(byId("policy"), store.policy !== "" ? `· policy ${store.policy}` : "")
      query.setPersonas(store.personas)
    },
  },
  {
    name: "hosts",
    due: () => moved("hosts"),
    draw: () => {
      mark("hosts")
      memory.draw(store.hosts())
    },
  },
  {
    name: "models",
    due: () => moved("models") || ticked,
    draw: (now) => {
      mark("models")
      models.draw(store, now)
    },
  },
  { name: "query", due: () => moved("requests"), draw: () => query.draw() },
  {
    name: "detail",
    due: () => selected !== undefined && (moved("requests") || focusDetail),
    draw: (now) => {
      detail.draw(selected !== undefined ? store.requests.get(selected) : undefined, now, focusDetail)
      focusDetail = false
    },
  },
  {
    name: "requests",
    minIntervalMs: 100,
    due: () => moved("requests") || ticked,
    draw: (now) => {
      mark("requests")
      requests.draw(store, now, ticked)
    },
  },
  {
    name: "log",
    due: () => moved("log"),
    draw: () => {
      mark("log")
      log.draw(store.log, LOG_ROWS)
    },
  },
  {
    name: "tick",
    due: () => ticked,
    draw: () => {
      ticked = false
    },
  },
])

const connection = new Connection({
  store,
  changed: () => frame.request(),
  tokenRequired:
    document.querySelector('meta[name="conductor-token"]')?.getAttribute("content") === "required",
  onState: (state, text) => {
    connLabel.textContent = `${state === "up" ? "●" : state === "down" ? "✕" : "○"} ${text}`
    connLabel.className = `conn ${state}`
  },
})
const query = new QueryView({ store, send: (m) => connection.send(m) })

// Time-based text (a load's progress, queue waits) moves on while something is in progress.
setInterval(() => {
  if (models.ticking(store) || requests.ticking(store)) {
    ticked = true
    frame.request()
  }
}, TICK_MS)

void connection.start()
