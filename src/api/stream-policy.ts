/**
 * How a streamed answer stays honest under failover, for every streaming API (OpenAI's SSE,
 * Ollama's NDJSON); each supplies only its encoding. In `live` mode tokens go out as they come,
 * and the request uses `fallbackMode: continue` (a model cut mid-answer is continued by the next
 * one: the client sees one answer); in `buffered` mode (the default for a format or tools, whose
 * validation decides most) the answer is held until validated and sent at once, and a cut answer
 * is answered afresh (`fallbackModeFor`).
 * Invariants: once any piece of an answer left, a discarded answer (a `restart`) or a failure
 * ends the stream with the encoding's error line, never with a completed end; before the head is
 * sent a failure is returned to the caller, who answers with a proper HTTP status; a stream that
 * was returned always ends (no failure racing the head can leave it open). The head goes with
 * the first output, at the end, or after `headAfterMs`, whichever is first.
 */
import type { ConductorResult, RequestHandle } from "../conductor.js"
import { type ConductorError, conductorError, type ErrorReason, isConductorError } from "../domain/errors.js"
import type { ConductorEvent, ToolCall } from "../domain/events.js"
import { type ConductorSummary, conductorSummary, decisionOf } from "./conductor-summary.js"

/** How a streamed answer reaches the client. */
export type StreamMode = "live" | "buffered"

/** The mode a request gets: the one asked for, else held for a format or tools, else live. */
export const streamModeFor = (
  request: { readonly format?: unknown; readonly tools?: unknown },
  asked: StreamMode | undefined,
): StreamMode => asked ?? (request.format !== undefined || request.tools !== undefined ? "buffered" : "live")

/**
 * The fallback mode a streamed request gets when it asks for none: `continue` when live
 * (streamed text cannot be taken back, so a cut answer is carried on), else the configured one —
 * nothing of a held answer was sent, and a fresh answer beats a spliced one (a JSON answer cut
 * and continued by another model is rarely valid JSON, which costs one more fallback).
 */
export const fallbackModeFor = (stream: boolean, mode: StreamMode): "continue" | undefined =>
  stream && mode === "live" ? "continue" : undefined

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

/**
 * Drive a submitted request's events into a stream; resolves once the head can be sent. One
 * phase at a time: `pending` (no head yet: a failure is returned, for an HTTP status), `open`
 * (the head is out: a failure is the encoding's error line), `closed` (ended; nothing more is
 * written, `onEnd` has run).
 */
export const startStream = (
  handle: RequestHandle,
  encoding: StreamEncoding,
  options: StreamOptions,
): Promise<StreamStart> =>
  new Promise<StreamStart>((resolve) => {
    const { mode } = options
    const encoder = new TextEncoder()
    const events: ConductorEvent[] = []
    let model = "auto"
    let phase = "pending" as "pending" | "open" | "closed"
    let begun = false
    /** A piece of the answer left: from then on a discarded answer can only end in an error. */
    let streamed = false
    let keepalive: ReturnType<typeof setInterval> | undefined
    let unobserve: (() => void) | undefined
    let controller!: ReadableStreamDefaultController<Uint8Array>
    const body = new ReadableStream<Uint8Array>({
      start(ctl) {
        controller = ctl
      },
      // The client went away: stop the work.
      cancel() {
        handle.cancel()
        close()
      },
    })

    const write = (text: string) => {
      if (phase !== "closed" && text !== "") controller.enqueue(encoder.encode(text))
    }
    const open = () => {
      if (phase !== "pending") return
      phase = "open"
      clearTimeout(headTimer)
      keepalive = setInterval(() => write(encoding.keepAlive(model)), options.keepAliveMs)
      resolve({ ok: true, body, model })
    }
    const close = () => {
      if (phase === "closed") return
      phase = "closed"
      clearTimeout(headTimer)
      if (keepalive !== undefined) clearInterval(keepalive)
      unobserve?.()
      options.onEnd()
      try {
        controller.close()
      } catch {
        // The client cancelled the body first.
      }
    }
    /** Output is about to go: the head first, then the encoding's opening once. */
    const begin = () => {
      open()
      if (begun) return
      begun = true
      write(encoding.begin(model))
    }
    const piece = (p: AnswerPiece) => {
      begin()
      streamed = true
      write(encoding.piece(model, p))
    }
    const fail = (failure: StreamFailure) => {
      write(encoding.error(failure))
      close()
    }
    const headTimer = setTimeout(open, options.headAfterMs)

    const onEvent = (e: ConductorEvent) => {
      if (phase === "closed") return
      events.push(e)
      switch (e.type) {
        case "routed":
          model = e.decision.model
          return
        case "started":
          model = e.model
          return
        case "token":
          if (mode === "live") piece({ content: e.text })
          return
        case "thinking":
          if (mode === "live") piece({ thinking: e.text })
          return
        case "restart":
          if (mode === "buffered" || !streamed) return
          // Streamed text cannot be taken back: this answer ends here, as an error.
          fail({
            kind: "restart",
            message: `the answer from ${model} failed validation after it was streamed; ${e.model} would answer afresh, but streamed text cannot be taken back (send x-conductor-stream: buffered to have failover hidden)`,
          })
          handle.cancel()
          return
        case "completed": {
          model = e.model
          begin()
          // Held answers go at once: the whole validated text (a continued one included).
          if (mode === "buffered") {
            if (e.thinking !== undefined && e.thinking !== "")
              write(encoding.piece(model, { thinking: e.thinking }))
            if (e.text !== "") write(encoding.piece(model, { content: e.text }))
          }
          if (e.toolCalls !== undefined && e.toolCalls.length > 0)
            write(encoding.piece(model, { toolCalls: e.toolCalls }))
          void handle.result.then((r) => {
            write(encoding.end(model, r, conductorSummary(handle.id, decisionOf(handle), events, r)))
            close()
          })
          return
        }
        case "failed":
          if (phase === "open") {
            fail({ kind: "failed", message: e.message, reason: e.reason })
            return
          }
          // Nothing sent yet: the caller answers with a proper HTTP error instead of a stream.
          close()
          void handle.result.catch((err: unknown) =>
            resolve({
              ok: false,
              error: isConductorError(err) ? err : conductorError(e.reason, e.message),
            }),
          )
          return
        case "cancelled":
          if (phase === "open") fail({ kind: "cancelled", message: "the request was cancelled" })
          else {
            close()
            resolve({ ok: false, error: undefined })
          }
          return
        default:
          return
      }
    }
    const stop = handle.observe(onEvent)
    // The request may have ended while its past events were replayed.
    if (phase === "closed") stop()
    else unobserve = stop
  })
