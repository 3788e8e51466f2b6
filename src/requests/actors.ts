/**
 * The request machine's attempt actor, run on Conductor's Effect runtime (DESIGN decision 5): it
 * forks one fiber per attempt and interrupts it when XState stops the actor. The fiber waits in
 * the scheduler's queue for a lease, streams the answer while holding it, and then keeps holding
 * it until stopped. Interruption leaves the queue, aborts the generation on the server, and
 * returns the lease, in that order of whatever applies.
 */
import { Effect, type ManagedRuntime, Result, Stream } from "effect"
import { type EventObject, fromCallback } from "xstate"
import type { AttemptEvent, AttemptInput } from "../../machines/request.machine.js"
import { Backend } from "../backends/port.js"
import { Scheduler } from "../gpu/scheduler.js"

export const attemptActors = <E>(runtime: ManagedRuntime.ManagedRuntime<Scheduler | Backend, E>) => ({
  attempt: fromCallback<EventObject, AttemptInput>(({ input, sendBack }) => {
    const attempt = input.attempt
    const send = (e: AttemptEvent) => sendBack(e)
    const fiber = runtime.runFork(
      Effect.scoped(
        Effect.gen(function* () {
          const scheduler = yield* Scheduler
          const backend = yield* Backend
          const leased = yield* Effect.result(
            scheduler.lease(input.model, {
              requestId: input.id,
              onLoading: () => send({ type: "LOADING", attempt }),
            }),
          )
          if (Result.isFailure(leased)) {
            send({ type: "LEASE_FAILED", attempt, error: leased.failure })
            return
          }
          const lease = leased.success
          send({ type: "LEASED", attempt, waitedMs: lease.waitedMs, loadMs: lease.loadMs })
          const streamed = yield* Effect.result(
            Stream.runForEach(backend.generate(input.model, input.request), (chunk) =>
              Effect.sync(() =>
                send(
                  chunk.kind === "token"
                    ? { type: "TOKEN", attempt, text: chunk.text }
                    : { type: "DONE", attempt, chunk },
                ),
              ),
            ),
          )
          if (Result.isFailure(streamed)) send({ type: "GENERATE_FAILED", attempt, error: streamed.failure })
          // The lease is held until the machine is done with the attempt (and stops this actor).
          return yield* Effect.never
        }),
      ),
    )
    return () => fiber.interruptUnsafe()
  }),
})
