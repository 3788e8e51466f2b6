/**
 * The Ollama adapter's generation transport against a bare HTTP server that answers as the test
 * says: the request goes as one Content-Length body on a reused keep-alive connection, NDJSON
 * split anywhere (mid-line, mid-character) is parsed whole, an HTTP error carries the server's
 * text and status, a mid-stream error line and a stream without its done part fail as
 * ollama-js' did, and stopping the stream early closes the connection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Stream } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import {
  type GenerationTransport,
  generationTransport,
  pushGeneration,
  streamGeneration,
} from "../../../src/backends/ollama/generation-stream.js"
import { generationCall } from "../../../src/backends/ollama/wire.js"
import type { GenerateChunk } from "../../../src/backends/port.js"
import type { ConductorError } from "../../../src/domain/errors.js"

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void

let server: Server | undefined
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()))
  server = undefined
})

const serve = async (handler: Handler): Promise<string> => {
  server = createServer((req, res) => {
    let body = ""
    req.setEncoding("utf8")
    req.on("data", (s: string) => {
      body += s
    })
    req.on("end", () => handler(req, body, res))
  })
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const call = generationCall("m:1b", { messages: [{ role: "user", content: "hi" }], numCtx: 2048 })
const DONE = { model: "m:1b", done: true, done_reason: "stop", eval_count: 2, prompt_eval_count: 3 }
const part = (content: string) => ({ model: "m:1b", message: { role: "assistant", content }, done: false })
const ndjson = (...parts: object[]) => parts.map((p) => `${JSON.stringify(p)}\n`).join("")

const collect = (s: Stream.Stream<GenerateChunk, ConductorError>) =>
  Effect.runPromise(Stream.runCollect(s)).then((c) => [...c])
const failure = (s: Stream.Stream<GenerateChunk, ConductorError>) =>
  Effect.runPromise(Effect.flip(Stream.runDrain(s)))

/**
 * The same generation pushed (the port's `generateInto`): every batch, then the failure if any.
 * Settles at the done chunk or the failure, and then a turn later, so a call after the end shows.
 */
const pushed = (t: GenerationTransport) =>
  new Promise<{ chunks: GenerateChunk[]; error?: ConductorError; after: number }>((resolve) => {
    const chunks: GenerateChunk[] = []
    let error: ConductorError | undefined
    let ended = false
    let after = 0
    const end = () => {
      ended = true
      setTimeout(() => resolve({ chunks, ...(error !== undefined ? { error } : {}), after }), 20)
    }
    pushGeneration(t, "m:1b", call, {
      chunks: (batch) => {
        if (ended) after++
        expect(batch.length).toBeGreaterThan(0)
        chunks.push(...batch)
        if (batch.at(-1)?.kind === "done") end()
      },
      failed: (e) => {
        if (ended) after++
        error = e
        end()
      },
    })
  })

describe("Ollama generation stream", () => {
  it("sends one Content-Length body on a kept-alive connection and parses NDJSON split anywhere", async () => {
    const seen: Array<{ headers: IncomingMessage["headers"]; body: string; port: number | undefined }> = []
    const answer = ndjson(part("héllo"), part(" wörld"), DONE)
    const host = await serve((req, body, res) => {
      seen.push({ headers: req.headers, body, port: req.socket.remotePort })
      res.writeHead(200, { "content-type": "application/x-ndjson" })
      // Bytes cut mid-line and inside a two-byte character.
      const bytes = Buffer.from(answer)
      const cut = [0, 7, bytes.indexOf(Buffer.from("é")) + 1, 60, bytes.length]
      // The last piece ends the response (as a server's last write does), so the socket is free
      // for the next request by the time the stream has ended.
      const write = (i: number) => {
        const piece = bytes.subarray(cut[i], cut[i + 1])
        if (i + 2 >= cut.length) return void res.end(piece)
        res.write(piece)
        setImmediate(() => write(i + 1))
      }
      write(0)
    })
    const t = generationTransport(host)
    for (let i = 0; i < 2; i++) {
      const chunks = await collect(streamGeneration(t, "m:1b", call))
      expect(chunks.map((c) => (c.kind === "token" ? c.text : c.kind))).toEqual(["héllo", " wörld", "done"])
      expect(chunks.at(-1)).toMatchObject({ kind: "done", reason: "stop", evalTokens: 2, promptTokens: 3 })
    }
    expect(seen).toHaveLength(2)
    expect(seen[0]?.headers["content-length"]).toBe(String(Buffer.byteLength(seen[0]?.body ?? "")))
    expect(seen[0]?.headers["transfer-encoding"]).toBeUndefined()
    expect(JSON.parse(seen[0]?.body ?? "{}")).toMatchObject({ model: "m:1b", keep_alive: -1, stream: true })
    expect(seen[1]?.port).toBe(seen[0]?.port)
  })

  it("fails as the server says: an HTTP error, an error line, a stream without its done part", async () => {
    let mode = "404"
    const host = await serve((_req, _body, res) => {
      if (mode === "404") {
        res.writeHead(404, { "content-type": "application/json" })
        return void res.end(JSON.stringify({ error: 'model "m:1b" not found, try pulling it first' }))
      }
      if (mode === "503") return void res.writeHead(503).end()
      res.writeHead(200, { "content-type": "application/x-ndjson" })
      if (mode === "error")
        return void res.end(ndjson(part("a"), { error: "an error was encountered while running the model" }))
      res.end(ndjson(part("a"), part("b")))
    })
    const t = generationTransport(host)
    expect(await failure(streamGeneration(t, "m:1b", call))).toMatchObject({
      reason: "ModelNotFound",
      message: 'model "m:1b" not found, try pulling it first',
    })
    mode = "503"
    expect(await failure(streamGeneration(t, "m:1b", call))).toMatchObject({
      reason: "QueueFull",
      message: "Error 503: Service Unavailable",
    })
    mode = "error"
    expect(await failure(streamGeneration(t, "m:1b", call))).toMatchObject({ reason: "Crashed" })
    mode = "cut"
    expect(await failure(streamGeneration(t, "m:1b", call))).toMatchObject({
      reason: "Crashed",
      message: "stream ended without a done chunk",
    })
  })

  it("a refused connection is Unavailable; stopping early closes the connection", async () => {
    let closed = 0
    const host = await serve((req, _body, res) => {
      req.socket.on("close", () => closed++)
      res.writeHead(200, { "content-type": "application/x-ndjson" })
      res.write(ndjson(part("a"), part("b")))
    })
    const t = generationTransport(host)
    const first = await Effect.runPromise(Stream.runHead(streamGeneration(t, "m:1b", call)))
    expect(first).toMatchObject({ _tag: "Some", value: { kind: "token", text: "a" } })
    await new Promise<void>((r) => {
      const poll = () => (closed === 1 ? r() : setTimeout(poll, 5))
      poll()
    })
    expect(closed).toBe(1)
    const gone = generationTransport("http://127.0.0.1:9")
    expect(await failure(streamGeneration(gone, "m:1b", call))).toMatchObject({ reason: "Unavailable" })
  })
})

describe("Ollama generation pushed to a sink (generateInto)", () => {
  it("gives the stream's chunks and failures, and nothing after the done part or the failure", async () => {
    let mode = "ok"
    const host = await serve((_req, _body, res) => {
      if (mode === "404") {
        res.writeHead(404, { "content-type": "application/json" })
        return void res.end(JSON.stringify({ error: 'model "m:1b" not found, try pulling it first' }))
      }
      res.writeHead(200, { "content-type": "application/x-ndjson" })
      if (mode === "error")
        return void res.end(ndjson(part("a"), { error: "an error was encountered while running the model" }))
      if (mode === "cut") return void res.end(ndjson(part("a"), part("b")))
      // Split mid-line: two reads; a part after the done part is never handed over.
      const answer = ndjson(part("héllo"), part(" wörld"), DONE, part("late"))
      res.write(answer.slice(0, 10))
      setImmediate(() => res.end(answer.slice(10)))
    })
    const t = generationTransport(host)
    const ok = await pushed(t)
    expect(ok.chunks.map((c) => (c.kind === "token" ? c.text : c.kind))).toEqual(["héllo", " wörld", "done"])
    expect(ok.chunks).toEqual(await collect(streamGeneration(t, "m:1b", call)))
    expect(ok.error).toBeUndefined()
    expect(ok.after).toBe(0)
    for (const m of ["404", "error", "cut"]) {
      mode = m
      const got = await pushed(t)
      expect(got.error).toEqual(await failure(streamGeneration(t, "m:1b", call)))
      expect(got.after).toBe(0)
    }
    mode = "error"
    expect((await pushed(t)).chunks).toMatchObject([{ kind: "token", text: "a" }])
    const refused = await pushed(generationTransport("http://127.0.0.1:9"))
    expect(refused.error).toMatchObject({ reason: "Unavailable" })
  })

  it("stopping it before the done part closes the connection and hands over nothing more", async () => {
    let closed = 0
    let more: (() => void) | undefined
    const host = await serve((req, _body, res) => {
      req.socket.on("close", () => closed++)
      res.writeHead(200, { "content-type": "application/x-ndjson" })
      res.write(ndjson(part("a")))
      more = () => res.write(ndjson(part("b"), DONE))
    })
    const got: GenerateChunk[] = []
    let failed = 0
    const stop = await new Promise<() => void>((resolve) => {
      const s = pushGeneration(generationTransport(host), "m:1b", call, {
        chunks: (batch) => {
          got.push(...batch)
          resolve(s)
        },
        failed: () => failed++,
      })
    })
    stop()
    more?.()
    await new Promise<void>((r) => {
      const poll = () => (closed === 1 ? r() : setTimeout(poll, 5))
      poll()
    })
    expect(got).toMatchObject([{ kind: "token", text: "a" }])
    expect(failed).toBe(0)
  })
})
