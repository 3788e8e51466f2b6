/**
 * The request machine's attempt actor (DESIGN decision 5): it waits for a lease on the host
 * placement chose (host-set.ts `request`: that host's scheduler queue, by callbacks — no promise,
 * no AbortSignal), streams the answer from that host's backend while holding it — pushed by the
 * backend's `generateInto` where it has one (the Ollama adapter: no fiber, no queue), else its
 * `generate` stream run on Conductor's Effect runtime — and then keeps holding it until stopped. A
 * host's error is told to the host set (its breaker; the retry avoids that host). Stopping leaves
 * the queue, aborts the generation on the server, and returns the lease, in that order of
 * whatever applies. What the actor sends back while it handles the lease or the backend's chunks
 * is sent as the attempt fiber once sent it: the grant a microtask after it is given, and a stop
 * that comes while such an event is being handled (the machine ended the attempt on it) takes
 * effect once it has been handled — so the request's events keep their order (its `completed`
 * before the `queue` event its released slot publishes).
 */
import { Effect, type ManagedRuntime, Result, Stream } from "effect"
import { type EventObject, fromCallback } from "xstate"
import type { BackendShape, GenerateChunk, GenerateRequest, GenerationSink } from "../backends/port.js"
import { conductorError } from "../domain/errors.js"
import type { HostLease, HostSet } from "../gpu/host-set.js"
import type { TimeSource } from "../time/clock.js"
import type { AttemptEvent, AttemptInput } from "./attempt.js"

export const attemptActors = <R, E>(
  runtime: ManagedRuntime.ManagedRuntime<R, E>,
  hosts: HostSet,
  time: TimeSource,
) => {
  /** `generate` as a push, for a backend without `generateInto`: its stream on the runtime. */
  const runStream = (
    backend: BackendShape,
    model: string,
    request: GenerateRequest,
    sink: GenerationSink,
  ): (() => void) => {
    const fiber = runtime.runFork(
      Effect.flatMap(
        Effect.result(
          // One callback per batch the backend hands over (an HTTP read's parts), not per chunk.
          Stream.runForEachArray(backend.generate(model, request), (chunks) =>
            Effect.sync(() => sink.chunks(chunks)),
          ),
        ),
        (streamed) =>
          Effect.sync(() => (Result.isFailure(streamed) ? sink.failed(streamed.failure) : undefined)),
      ),
    )
    return () => fiber.interruptUnsafe()
  }

  return {
    attempt: fromCallback<EventObject, AttemptInput>(({ input, sendBack }) => {
      const attempt = input.attempt
      let stopped = false
      /** Handling a grant or a backend's chunks; a stop then waits until it is handled. */
      let handling = false
      let stopWhenHandled = false
      let leaveQueue: (() => void) | undefined
      let stopGeneration: (() => void) | undefined
      let held: HostLease | undefined
      /**
       * The first-token deadline (DESIGN "the path of one request"): armed as LEASED is sent, on
       * Conductor's TimeSource, not in XState's scheduler — the same timer the machine's `after`
       * armed on entering `waitingForFirstToken`, without a scheduler entry per request. Invariant:
       * set from LEASED until the first event that ends the wait is sent, it fires, or the attempt
       * stops — the moments the machine leaves `waitingForFirstToken` (it ignores the event
       * elsewhere, and a stale attempt's by its number).
       */
      let firstTokenWatch: (() => void) | undefined
      const unwatch = () => {
        firstTokenWatch?.()
        firstTokenWatch = undefined
      }
      // XState drops what a stopped actor sends back, so a flush still scheduled then is harmless.
      const send = (e: AttemptEvent) => {
        if (firstTokenWatch !== undefined && e.type !== "LEASED" && e.type !== "LOADING") unwatch()
        sendBack(e)
      }
      // Tokens that arrive within one turn of the event loop (a fast model, or several NDJSON lines
      // in one HTTP read) go to the machine as one TOKEN event: each event is a full XState
      // macrostep and a bus event, and the client coalesces them per turn anyway. Invariant:
      // `pending` is non-empty only while a flush is scheduled, and is flushed before
      // GENERATE_FAILED (or carried by DONE) so the machine sees every token before the end.
      let pending = ""
      const flush = () => {
        if (pending === "") return
        const text = pending
        pending = ""
        send({ type: "TOKEN", attempt, text })
      }
      const onToken = (text: string) => {
        if (pending === "") setImmediate(flush)
        pending += text
      }

      const teardown = () => {
        unwatch()
        leaveQueue?.()
        leaveQueue = undefined
        stopGeneration?.()
        stopGeneration = undefined
        held?.lease.release()
        held = undefined
      }
      /** Runs `f` as one step of the attempt: a stop it causes takes effect after it. */
      const handle = (f: () => void) => {
        if (stopped) return
        handling = true
        try {
          f()
        } finally {
          handling = false
          if (stopWhenHandled) teardown()
        }
      }

      const sink: GenerationSink = {
        chunks: (chunks: ReadonlyArray<GenerateChunk>) =>
          handle(() => {
            for (const chunk of chunks) {
              if (stopped) return
              if (chunk.kind === "token") onToken(chunk.text)
              else if (chunk.kind === "done") {
                // The last tokens ride on DONE: one macrostep, not two.
                const text = pending
                pending = ""
                send({ type: "DONE", attempt, chunk, ...(text !== "" ? { text } : {}) })
              } else {
                flush()
                if (chunk.kind === "thinking") send({ type: "THINKING", attempt, text: chunk.text })
                else send({ type: "TOOL_CALLS", attempt, calls: chunk.calls })
              }
            }
          }),
        failed: (error) =>
          handle(() => {
            stopGeneration = undefined
            flush()
            send({
              type: "GENERATE_FAILED",
              attempt,
              error: hosts.failed(held?.host as HostLease["host"], error, input.id),
            })
          }),
      }

      const generate = () => {
        const { backend } = held as HostLease
        if (backend.generateInto === undefined) {
          stopGeneration = runStream(backend, input.model, input.request, sink)
          return
        }
        try {
          stopGeneration = backend.generateInto(input.model, input.request, sink)
        } catch (e) {
          // A backend that throws instead of failing (a bug): the attempt fails, the process stays up.
          sink.failed(
            conductorError(
              "Crashed",
              `the generation did not start: ${e instanceof Error ? e.message : String(e)}`,
            ),
          )
        }
      }

      leaveQueue = hosts.request(
        input.model,
        {
          requestId: input.id,
          tenant: input.tenant,
          priority: input.priority,
          onLoading: () => send({ type: "LOADING", attempt }),
        },
        (lease) => {
          leaveQueue = undefined
          queueMicrotask(() => {
            if (stopped) {
              lease.lease.release()
              return
            }
            held = lease
            handle(() => {
              send({ type: "LEASED", attempt, waitedMs: lease.lease.waitedMs, loadMs: lease.lease.loadMs })
              // The attempt starts generating as soon as it has sent LEASED (unless that ended it).
              if (!stopped && !stopWhenHandled) {
                firstTokenWatch = time.schedule(input.firstTokenMs, () => {
                  firstTokenWatch = undefined
                  sendBack({ type: "FIRST_TOKEN_ELAPSED", attempt })
                })
                generate()
              }
            })
          })
        },
        (error) => {
          leaveQueue = undefined
          queueMicrotask(() => handle(() => send({ type: "LEASE_FAILED", attempt, error })))
        },
      )

      return () => {
        if (stopped) return
        stopped = true
        if (handling) stopWhenHandled = true
        else teardown()
      }
    }),
  }
}
