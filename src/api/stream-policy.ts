/**
 * How a streamed answer stays honest under failover, for every streaming API (OpenAI's SSE,
 * Ollama's NDJSON); each supplies only its encoding. Streamed requests use `fallbackMode:
 * continue` (a model cut mid-answer is continued by the next one: the client sees one answer).
 * In `live` mode tokens go out as they come; in `buffered` mode (the default for a format or
 * tools, whose validation decides most) the answer is held until validated and sent at once.
 * Invariants: once any piece of an answer left, a discarded answer (a `restart`) or a failure
 * ends the stream with the encoding's error line, never with a completed end; before the head is
 * sent a failure is returned to the caller, who answers with a proper HTTP status. The head goes
 * with the first output, at the end, or after `headAfterMs`, whichever is first.
 */
import type { ConductorResult, RequestHandle } from "../conductor.js"
import type { ConductorError, ErrorReason } from "../domain/errors.js"
import { isConductorError } from "../domain/errors.js"
import type { ConductorEvent, ToolCall } from "../domain/events.js"
import { type ConductorSummary, conductorSummary, decisionOf } from "./conductor-summary.js"

/** How a streamed answer reaches the client. */
export type StreamMode = "live" | "buffered"

/** The mode a request gets: the one asked for, else held for a format or tools, else live. */
export const streamModeFor = (
  request: { readonly format?: unknown; readonly tools?: unknown },
  asked: StreamMode | undefined,
): StreamMode => asked ?? (request.format !== undefined || request.tools !== undefined ? "buffered" : "live")

/** What one line of an answer carries. */
export interface AnswerPiece {
  readonly content?: string
  readonly thinking?: string
  readonly toolCalls?: ReadonlyArray<ToolCall>
}

/** Why a stream ends in an error: the request failed or was cancelled, or a streamed answer was discarded. */
export interface StreamFailure {
  readonly kind: "failed" | "cancelled" | "restart"
  readonly message: string
  readonly reason?: ErrorReason
}

/** One wire format. Each function returns the text to send ("" for nothing). */
export interface StreamEncoding {
  /** Before the first piece (SSE: the role chunk). */
  readonly begin: (model: string) => string
  readonly piece: (model: string, piece: AnswerPiece) => string
  /** The end of a completed answer. */
  readonly end: (model: string, result: ConductorResult, summary: ConductorSummary) => string
  /** The end of an answer that cannot complete after its head was sent. */
  readonly error: (failure: StreamFailure) => string
  /** Sent every `keepAliveMs` while the stream is open. */
  readonly keepAlive: (model: string) => string
}

export interface StreamOptions {
  readonly mode: StreamMode
  readonly headAfterMs: number
  readonly keepAliveMs: number
  /** Called once when the stream ends, however it ends. */
  readonly onEnd: () => void
}

export type StreamStart =
  | {
      readonly ok: true
      readonly body: ReadableStream<Uint8Array>
      /** The model serving when the head went (the routed one before any output). */
      readonly model: string
    }
  /** Nothing was sent: `error` is the failure to answer with, undefined when the request was cancelled. */
  | { readonly ok: false; readonly error: ConductorError | undefined }

/** Drive a submitted request's events into a stream; resolves once the head can be sent. */
export const startStream = async (
  handle: RequestHandle,
  encoding: StreamEncoding,
  options: StreamOptions,
): Promise<StreamStart> => {
  const { mode } = options
  const encoder = new TextEncoder()
  let model = decisionOf(handle)?.model ?? "auto"
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let closed = false
  // Invariant: `written` is true once a piece (or the encoding's begin) left; after that a
  // discarded answer can only end the stream with an error.
  let written = false
  let text = ""
  let thinking = ""
  const events: ConductorEvent[] = []
  let keepalive: ReturnType<typeof setInterval> | undefined
  /** The head has been returned: from then on a failure travels in the stream. */
  let responded = false
  let headNow!: () => void
  const head = new Promise<void>((resolve) => {
    headNow = resolve
  })
  const headTimer = setTimeout(() => headNow(), options.headAfterMs)
  let failedEarly: ConductorError | undefined
  let ended = false

  const send = (data: string) => {
    if (closed || data === "") return
    controller.enqueue(encoder.encode(data))
  }
  const begin = () => {
    if (written) return
    written = true
    headNow()
    send(encoding.begin(model))
  }
  const finish = () => {
    if (closed) return
    closed = true
    clearTimeout(headTimer)
    if (keepalive !== undefined) clearInterval(keepalive)
    unobserve()
    end()
    try {
      controller.close()
    } catch {
      // The client went away first.
    }
  }
  const end = () => {
    if (ended) return
    ended = true
    options.onEnd()
  }
  const fail = (failure: StreamFailure) => {
    send(encoding.error(failure))
    finish()
  }

  const body = new ReadableStream<Uint8Array>({
    start(ctl) {
      controller = ctl
    },
    cancel() {
      handle.cancel()
      finish()
    },
  })

  const unobserve = handle.observe((e) => {
    events.push(e)
    switch (e.type) {
      case "started":
        model = e.model
        return
      case "token":
        if (mode === "buffered") {
          text += e.text
          return
        }
        begin()
        send(encoding.piece(model, { content: e.text }))
        return
      case "thinking":
        if (mode === "buffered") {
          thinking += e.text
          return
        }
        begin()
        send(encoding.piece(model, { thinking: e.text }))
        return
      case "restart":
        if (mode === "buffered" || !written) {
          text = ""
          thinking = ""
          return
        }
        // Streamed text cannot be taken back: this answer ends here, as an error.
        handle.cancel()
        fail({
          kind: "restart",
          message: `the answer from ${model} failed validation after it was streamed; ${e.model} would answer afresh, but streamed text cannot be taken back (send x-conductor-stream: buffered to have failover hidden)`,
        })
        return
      case "completed": {
        model = e.model
        headNow()
        begin()
        if (thinking !== "") send(encoding.piece(model, { thinking }))
        if (text !== "") send(encoding.piece(model, { content: text }))
        if (e.toolCalls !== undefined && e.toolCalls.length > 0)
          send(encoding.piece(model, { toolCalls: e.toolCalls }))
        void handle.result.then((r) => {
          send(encoding.end(model, r, conductorSummary(handle.id, decisionOf(handle), events, r)))
          finish()
        })
        return
      }
      case "failed":
      case "cancelled": {
        if (responded) {
          fail(
            e.type === "failed"
              ? { kind: "failed", message: e.message, reason: e.reason }
              : { kind: "cancelled", message: "the request was cancelled" },
          )
          return
        }
        // Nothing sent yet: the client gets a proper HTTP error instead of a stream.
        void handle.result.catch((err: unknown) => {
          failedEarly = isConductorError(err) && err.reason !== "Cancelled" ? err : undefined
          closed = true
          headNow()
        })
        return
      }
      default:
        return
    }
  })

  await head
  clearTimeout(headTimer)
  if (closed && !written) {
    unobserve()
    end()
    return { ok: false, error: failedEarly }
  }
  responded = true
  // A short answer may have ended already (its lines are queued in `body`).
  if (!closed) keepalive = setInterval(() => send(encoding.keepAlive(model)), options.keepAliveMs)
  return { ok: true, body, model }
}
