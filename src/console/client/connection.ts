/**
 * The console's live feed: one WebSocket to `/ws`, subscribed to every topic, and the
 * `/v1/status` snapshot fetched once it is subscribed (at load and after each reconnect; never
 * polled). System events that arrive while the snapshot is on its way are applied again on top of
 * it, so the model table is neither behind the stream nor rolled back by it (every system event
 * states an absolute value). A dropped connection is retried with backoff; a refused one asks
 * for the token when the server wants one.
 */
import { fetchStatus, webSocketUrl } from "./api.js"
import type { ConsoleStore } from "./store.js"
import { askToken, forgetToken, storedToken } from "./token.js"
import type { ServerMessage } from "./wire.js"

const TOPICS = ["models", "vram", "breakers", "health", "queues", "requests"]
const BACKOFF_MS = [500, 1000, 2000, 5000, 10_000]

export type LinkState = "connecting" | "up" | "down"

export interface ConnectionDeps {
  readonly store: ConsoleStore
  /** Something changed: redraw. */
  readonly changed: () => void
  readonly onState: (state: LinkState, detail: string) => void
  /** Whether the page says the server needs a token (so it is asked for before connecting). */
  readonly tokenRequired: boolean
}

export class Connection {
  private socket: WebSocket | undefined
  private failures = 0
  /** System events received while a snapshot is on its way. */
  private replay: ServerMessage[] | undefined

  constructor(private readonly d: ConnectionDeps) {}

  async start(): Promise<void> {
    if (this.d.tokenRequired && storedToken() === undefined)
      await askToken("This server needs its access token.")
    this.connect()
  }

  /** Send a client message; false when not connected. */
  send(message: Record<string, unknown>): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false
    this.socket.send(JSON.stringify(message))
    return true
  }

  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN
  }

  /** Fetch the snapshot afresh (after a reconciliation, or an admin action's answer). */
  async refreshSnapshot(): Promise<void> {
    const pending: ServerMessage[] = []
    this.replay = pending
    const status = await fetchStatus()
    if (this.replay === pending) this.replay = undefined
    if (!status.ok) {
      if (status.status === 401) await this.reauthenticate()
      return
    }
    const now = performance.now()
    this.d.store.applySnapshot(status.value, now)
    for (const m of pending) this.d.store.apply(m, now)
    this.d.changed()
  }

  private connect(): void {
    this.d.onState("connecting", "connecting…")
    let opened = false
    const ws = new WebSocket(webSocketUrl())
    this.socket = ws
    ws.onopen = () => {
      opened = true
      this.failures = 0
      ws.send(JSON.stringify({ type: "subscribe", topics: TOPICS }))
    }
    ws.onmessage = (ev) => {
      let m: ServerMessage
      try {
        m = JSON.parse(String(ev.data)) as ServerMessage
      } catch {
        return
      }
      if (m.type === "subscribed") {
        this.d.onState("up", "connected")
        void this.refreshSnapshot()
        return
      }
      const now = performance.now()
      this.d.store.apply(m, now)
      if (this.replay !== undefined && !("id" in m)) this.replay.push(m)
      if (this.d.store.needsSnapshot && this.replay === undefined) {
        this.d.store.needsSnapshot = false
        void this.refreshSnapshot()
      }
      this.d.changed()
    }
    ws.onclose = () => {
      if (this.socket !== ws) return
      this.socket = undefined
      if (opened) {
        this.d.store.markLost()
        this.d.changed()
      }
      void this.retry(opened)
    }
  }

  private async retry(wasOpen: boolean): Promise<void> {
    if (!wasOpen) {
      // Refused before the upgrade: find out why (the browser does not say).
      const status = await fetchStatus()
      if (!status.ok && status.status === 401) {
        await this.reauthenticate()
        return
      }
    }
    const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)] ?? 10_000
    this.failures++
    this.d.onState("down", `disconnected; retrying in ${Math.round(delay / 100) / 10} s`)
    setTimeout(() => this.connect(), delay)
  }

  private async reauthenticate(): Promise<void> {
    const had = storedToken() !== undefined
    forgetToken()
    this.socket?.close()
    this.socket = undefined
    this.d.onState("down", "waiting for the access token")
    await askToken(
      had ? "The server rejected that token. Enter it again." : "This server needs its access token.",
    )
    this.connect()
  }
}
