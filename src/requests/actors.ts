/**
 * The request machine's attempt actor, run on Conductor's Effect runtime (DESIGN decision 5): it
 * forks one fiber per attempt and interrupts it when XState stops the actor. The fiber waits for a
 * lease on the host placement chose (host-set.ts: that host's scheduler queue), streams the answer
 * from that host's backend while holding it, and then keeps holding it until stopped. A host's
 * error is told to the host set (its breaker; the retry avoids that host). Interruption leaves the
 * queue, aborts the generation on the server, and returns the lease, in that order of whatever
 * applies.
 */
import { Effect, type ManagedRuntime, Result, Stream } from "effect"
import { type EventObject, fromCallback } from "xstate"
import type { HostSet } from "../gpu/host-set.js"
import type { AttemptEvent, AttemptInput } from "./attempt.js"

export const attemptActors = <R, E>(runtime: ManagedRuntime.ManagedRuntime<R, E>, hosts: HostSet) => ({
  attempt: fromCallback<EventObject, AttemptInput>(({ input, sendBack }) => {
    const attempt = input.attempt
    // XState drops what a stopped actor sends back, so a flush still scheduled then is harmless.
    const send = (e: AttemptEvent) => sendBack(e)
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
    const fiber = runtime.runFork(
      Effect.scoped(
        Effect.gen(function* () {
          const leased = yield* Effect.result(
            hosts.lease(input.model, {
              requestId: input.id,
              tenant: input.tenant,
              priority: input.priority,
              onLoading: () => send({ type: "LOADING", attempt }),
            }),
          )
          if (Result.isFailure(leased)) {
            send({ type: "LEASE_FAILED", attempt, error: leased.failure })
            return
          }
          const { lease, host, backend } = leased.success
          send({ type: "LEASED", attempt, waitedMs: lease.waitedMs, loadMs: lease.loadMs })
          // One callback per batch the backend hands over (an HTTP read's parts), not per chunk.
          const streamed = yield* Effect.result(
            Stream.runForEachArray(backend.generate(input.model, input.request), (chunks) =>
              Effect.sync(() => {
                for (const chunk of chunks) {
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
            ),
          )
          if (Result.isFailure(streamed)) {
            flush()
            send({ type: "GENERATE_FAILED", attempt, error: hosts.failed(host, streamed.failure, input.id) })
          }
          // The lease is held until the machine is done with the attempt (and stops this actor).
          return yield* Effect.never
        }),
      ),
    )
    return () => fiber.interruptUnsafe()
  }),
})
