/**
 * The WebSocket endpoint of `conductor serve` over real sockets: request ids belong to their
 * connection, binary frames and text that is not UTF-8 are refused, and one client (remote
 * address) may hold at most `server.maxConnectionsPerClient` connections.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import WebSocket from "ws"
import { type Client, connect, type Served, serve } from "../support/serve.js"

const LONG = "Summarise the history of the printing press in detail."
const terminal = (id: string) => (m: Record<string, unknown>) =>
  m.id === id && (m.type === "completed" || m.type === "failed" || m.type === "cancelled")

describe("conductor serve: the WebSocket endpoint", () => {
  let server: Served
  const clients: Client[] = []
  const client = async () => {
    const c = await connect(server.ws)
    clients.push(c)
    await c.waitFor((m) => m.type === "hello")
    return c
  }

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "conductor-ws-"))
    writeFileSync(join(dir, "conductor.yaml"), "server:\n  maxConnectionsPerClient: 4\n")
    server = await serve([
      "--backend",
      "sim",
      "--sim-profile",
      "tiny-ci",
      "--time-scale",
      "20",
      "--config",
      dir,
    ])
  })
  afterAll(async () => {
    for (const c of clients) c.close()
    await server.stop()
  })

  it("scopes request ids to their connection: another client can neither probe nor block them", async () => {
    const a = await client()
    const b = await client()
    a.send({ type: "query", id: "secret-job-42", prompt: LONG })
    await a.waitFor((m) => m.type === "accepted")
    b.send({ type: "query", id: "secret-job-42", prompt: "What is the capital of France?" })
    expect((await b.waitFor(terminal("secret-job-42"))).type).toBe("completed")
    expect(b.messages.filter((m) => m.type === "error")).toEqual([])
    b.send({ type: "cancel", id: "secret-job-42" })
    expect(await b.waitFor((m) => m.type === "error")).toMatchObject({ code: "unknown_request" })
    expect((await a.waitFor(terminal("secret-job-42"))).type).toBe("completed")
    // /v1/status counts them under the server's ids, not the clients'.
    const status = (await (await fetch(`${server.url}/v1/status`)).json()) as {
      requests: { inFlight: number }
    }
    expect(status.requests.inFlight).toBe(0)
    a.close()
    b.close()
  })

  it("refuses binary frames with binary_frame, and closes on text that is not UTF-8 (1007)", async () => {
    const c = await client()
    c.socket.send(Buffer.from(JSON.stringify({ type: "query", prompt: "hi" })), { binary: true })
    expect(await c.waitFor((m) => m.type === "error")).toMatchObject({ code: "binary_frame" })
    c.send({ type: "query", id: "still-here", prompt: "What is the capital of France?" })
    expect((await c.waitFor(terminal("still-here"))).type).toBe("completed")
    c.socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false })
    expect((await c.closed).code).toBe(1007)
  })

  /** Until the server counts `n` open connections (closes reach it a little after the client). */
  const connections = async (n: number) => {
    for (;;) {
      const s = (await (await fetch(`${server.url}/v1/status`)).json()) as { connections: number }
      if (s.connections === n) return
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  it("refuses a client's connections past server.maxConnectionsPerClient with 429 before the upgrade", async () => {
    await connections(0)
    const open = await Promise.all([client(), client(), client(), client()])
    const refused = await connect(server.ws).then(
      () => undefined,
      (e: { status?: number }) => e.status,
    )
    expect(refused).toBe(429)
    const body = await new Promise<string>((resolve) => {
      const ws = new WebSocket(server.ws)
      ws.on("unexpected-response", (_req, res) => {
        let text = ""
        res.setEncoding("utf8").on("data", (d: string) => {
          text += d
        })
        res.on("end", () => resolve(text))
      })
      ws.on("error", () => undefined)
    })
    expect(JSON.parse(body)).toMatchObject({ code: "too_many_connections" })
    // A closed connection frees its place.
    open[0]?.close()
    await connections(3)
    const again = await client()
    expect(again.socket.readyState).toBe(WebSocket.OPEN)
  })
})
