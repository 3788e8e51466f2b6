/**
 * The request machine's two actors, run on Conductor's Effect runtime (DESIGN decision 5): each
 * forks a fiber and interrupts it when XState stops the actor. `lease` waits in the scheduler's
 * queue and then holds the slot until stopped — interruption leaves the queue or returns the
 * lease. `generate` streams the answer — interruption aborts the request on the server.
 */
import { Effect, type ManagedRuntime, Stream } from "effect"
import { type EventObject, fromCallback } from "xstate"
import type { AttemptEvent, GenerateInput, LeaseInput } from "../../machines/request.machine.js"
import { Backend } from "../backends/port.js"
import { Scheduler } from "../gpu/scheduler.js"

export const attemptActors = <E>(runtime: ManagedRuntime.ManagedRuntime<Scheduler | Backend, E>) => ({
  lease: fromCallback<EventObject, LeaseInput>(({ input, sendBack }) => {
    const attempt = input.attempt
    const send = (e: AttemptEvent) => sendBack(e)
    const fiber = runtime.runFork(
      Effect.scoped(
        Effect.gen(function* () {
          const scheduler = yield* Scheduler
          const lease = yield* scheduler.lease(input.model, {
            requestId: input.id,
            onLoading: () => send({ type: "LOADING", attempt }),
          })
          send({ type: "LEASED", attempt, waitedMs: lease.waitedMs, loadMs: lease.loadMs })
          return yield* Effect.never
        }),
      ).pipe(Effect.catch((error) => Effect.sync(() => send({ type: "LEASE_FAILED", attempt, error })))),
    )
    return () => fiber.interruptUnsafe()
  }),

  generate: fromCallback<EventObject, GenerateInput>(({ input, sendBack }) => {
    const attempt = input.attempt
    const send = (e: AttemptEvent) => sendBack(e)
    const fiber = runtime.runFork(
      Effect.gen(function* () {
        const backend = yield* Backend
        yield* Stream.runForEach(backend.generate(input.model, input.request), (chunk) =>
          Effect.sync(() =>
            send(
              chunk.kind === "token"
                ? { type: "TOKEN", attempt, text: chunk.text }
                : { type: "DONE", attempt, chunk },
            ),
          ),
        )
      }).pipe(Effect.catch((error) => Effect.sync(() => send({ type: "GENERATE_FAILED", attempt, error })))),
    )
    return () => fiber.interruptUnsafe()
  }),
})
