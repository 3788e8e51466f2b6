/**
 * One streamed generation (`/api/chat` or `/api/generate`) over `node:http`, for the Ollama
 * adapter's hot path: the request goes out in one write (headers and a Content-Length body
 * through a keep-alive agent; undici's fetch, under ollama-js, writes a body as chunked pieces
 * in separate syscalls), and the NDJSON answer is parsed from the response as it arrives and
 * handed to the stream one batch per read — no web streams, no async generators, no
 * AbortController. Failures map as ollama-js' did (an HTTP error's `error` text with its status,
 * a mid-stream `{"error"}` line, a connection failure, a stream without its done part), through
 * `fromServerError` / `fromThrown`. Interrupting the stream before the done part destroys the
 * request, so the server sees the client go and stops the generation (DESIGN decision 6); after
 * the done part the rest of the response is read to its end and the socket goes back to the pool.
 */
import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from "node:http"
import { Agent as HttpsAgent, request as httpsRequest } from "node:https"
import { Cause, Channel, Effect, Scope, Stream } from "effect"
import type { NonEmptyReadonlyArray } from "effect/Array"
import type { ConductorError } from "../../domain/errors.js"
import { fromServerError, fromThrown } from "../errors.js"
import type { GenerateChunk, GenerationSink } from "../port.js"
import { ChunkMapper, type OllamaCall, type WireChatChunk, type WireGenerateChunk } from "./wire.js"

/** Keep-alive connections to one host. `timeout` lets a server's `Keep-Alive: timeout=N` hint apply to idle sockets. */
export interface GenerationTransport {
  readonly url: URL
  readonly agent: HttpAgent
}

export const generationTransport = (host: string): GenerationTransport => {
  const url = new URL(host)
  const options = { keepAlive: true, timeout: 60_000, maxFreeSockets: 1024 }
  return { url, agent: url.protocol === "https:" ? new HttpsAgent(options) : new HttpAgent(options) }
}

type Batch = NonEmptyReadonlyArray<GenerateChunk>
type Resume = (effect: Effect.Effect<Batch, ConductorError | Cause.Done>) => void

/** A mid-stream part as sent; `error` replaces the answer when the server failed after its headers. */
type Part = (WireChatChunk | WireGenerateChunk) & { readonly error?: unknown }

/** The chunks of `call` on `model`, streamed from the server; interrupting it stops the generation. */
export const streamGeneration = (
  transport: GenerationTransport,
  model: string,
  call: OllamaCall,
): Stream.Stream<GenerateChunk, ConductorError> =>
  Stream.fromChannel(
    Channel.fromTransform((_, scope) =>
      Effect.suspend(() => {
        const g = new Generation(transport, model, call)
        return Effect.as(
          Scope.addFinalizer(
            scope,
            Effect.sync(() => g.stop()),
          ),
          g.pull,
        )
      }),
    ),
  )

/**
 * The same generation pushed to `sink` (the port's `generateInto`): each read's chunks as they are
 * parsed, then the failure if it fails; it stops itself after the done part or the failure, as
 * the stream's finalizer does. The returned function stops it early (destroying the request).
 */
export const pushGeneration = (
  transport: GenerationTransport,
  model: string,
  call: OllamaCall,
  sink: GenerationSink,
): (() => void) => {
  const g = new Generation(transport, model, call, sink)
  return () => g.stop()
}

/** One request and its answer, read into batches the stream pulls (or pushed to a sink). */
class Generation {
  private pending: GenerateChunk[] = []
  private failure: ConductorError | undefined
  /** The done part came (or the stream failed): nothing more to emit. */
  private ended = false
  private stopped = false
  /** The response was read to its end (its socket is back in the pool: never destroy it then). */
  private responseEnded = false
  private waiter: Resume | undefined
  private readonly req: ClientRequest
  private readonly mapper = new ChunkMapper()
  private buffer = ""

  constructor(
    transport: GenerationTransport,
    private readonly model: string,
    call: OllamaCall,
    private readonly sink?: GenerationSink,
  ) {
    const body = JSON.stringify(call.body)
    const u = transport.url
    const send = u.protocol === "https:" ? httpsRequest : httpRequest
    this.req = send({
      protocol: u.protocol,
      hostname: u.hostname,
      port: u.port,
      path: `/api/${call.path}`,
      method: "POST",
      agent: transport.agent,
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "Content-Length": Buffer.byteLength(body),
      },
    })
    this.req.on("response", (res) => this.onResponse(res))
    this.req.on("error", (e) => this.fail(fromThrown(e, this.model, this.stopped)))
    this.req.end(body)
  }

  /** The next batch: at once if one is ready, else when the next read brings one. */
  readonly pull: Effect.Effect<Batch, ConductorError | Cause.Done> = Effect.suspend(() => {
    const ready = this.take()
    if (ready !== undefined) return ready
    return Effect.callback<Batch, ConductorError | Cause.Done>((resume) => {
      this.waiter = resume
    })
  })

  /** Interrupted, or done: a generation without its done part is destroyed (the server stops it). */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.waiter = undefined
    const answered = this.ended && this.failure === undefined
    if (!answered && !this.responseEnded) this.req.destroy()
  }

  private take(): Effect.Effect<Batch, ConductorError | Cause.Done> | undefined {
    if (this.pending.length > 0) {
      const batch = this.pending as unknown as Batch
      this.pending = []
      return Effect.succeed(batch)
    }
    if (this.failure !== undefined) return Effect.fail(this.failure)
    if (this.ended) return Cause.done()
    return undefined
  }

  private wake(): void {
    if (this.sink !== undefined) {
      this.push(this.sink)
      return
    }
    const w = this.waiter
    if (w === undefined) return
    const ready = this.take()
    if (ready === undefined) return
    this.waiter = undefined
    w(ready)
  }

  /** Push mode: what a pull would take now, in the stream's order (chunks, then the end). */
  private push(sink: GenerationSink): void {
    if (this.stopped) return
    if (this.pending.length > 0) {
      const batch = this.pending
      this.pending = []
      sink.chunks(batch)
      if (this.stopped) return
    }
    if (this.failure !== undefined) {
      this.stop()
      sink.failed(this.failure)
    } else if (this.ended) this.stop()
  }

  private fail(error: ConductorError): void {
    if (this.ended || this.stopped) return
    this.ended = true
    this.failure = error
    this.wake()
  }

  private onResponse(res: IncomingMessage): void {
    res.setEncoding("utf8")
    const status = res.statusCode ?? 0
    if (status < 200 || status >= 300) {
      let text = ""
      res.on("data", (s: string) => {
        text += s
      })
      res.on("end", () => {
        this.responseEnded = true
        this.fail(fromServerError(status, errorText(res, status, text), this.model))
      })
      this.onCut(res)
      return
    }
    res.on("data", (s: string) => this.onData(s))
    res.on("end", () => {
      this.responseEnded = true
      if (this.ended) return
      const rest = this.buffer
      this.buffer = ""
      for (const line of rest.split("\n")) if (line !== "") this.onLine(line)
      this.fail(fromThrown(new Error("stream ended without a done chunk"), this.model))
    })
    this.onCut(res)
  }

  /** The connection went before the response ended (the server died, or we stopped it). */
  private onCut(res: IncomingMessage): void {
    res.on("error", (e) => this.fail(fromThrown(e, this.model, this.stopped)))
    res.on("close", () => {
      if (!this.responseEnded) {
        this.fail(
          fromThrown(Object.assign(new Error("aborted"), { code: "ECONNRESET" }), this.model, this.stopped),
        )
      }
    })
  }

  private onData(s: string): void {
    if (this.ended) return
    let text = this.buffer + s
    let nl = text.indexOf("\n")
    while (nl !== -1) {
      const line = text.slice(0, nl)
      text = text.slice(nl + 1)
      if (line !== "") this.onLine(line)
      if (this.ended) break
      nl = text.indexOf("\n")
    }
    this.buffer = this.ended ? "" : text
    this.wake()
  }

  private onLine(line: string): void {
    if (this.ended) return
    let part: Part
    try {
      part = JSON.parse(line) as Part
    } catch {
      return // ollama-js skips a line that is not JSON; so does this
    }
    if (part.error !== undefined) {
      this.fail(fromThrown(new Error(String(part.error)), this.model))
      return
    }
    const mapped = this.mapper.map(part)
    for (const c of mapped) this.pending.push(c)
    if (part.done) this.ended = true
  }
}

/** The error text as ollama-js took it: the JSON body's `error`, else the body, else the status line. */
const errorText = (res: IncomingMessage, status: number, text: string): string => {
  const fallback = `Error ${status}: ${res.statusMessage ?? ""}`
  if ((res.headers["content-type"] ?? "").includes("application/json")) {
    try {
      const parsed = JSON.parse(text) as { error?: unknown }
      return typeof parsed.error === "string" && parsed.error !== "" ? parsed.error : fallback
    } catch {
      return fallback
    }
  }
  return text !== "" ? text : fallback
}
