/**
 * Running Effects from imperative cores (residency, scheduler, XState actors) on the services they
 * were built with — so `Effect.sleep` uses Conductor's clock — and getting plain promises back
 * that reject with a ConductorError (or the signal's cancellation), never with a Cause.
 */
import { Cause, type Context, Effect, Exit } from "effect"
import { type ConductorError, conductorError, isConductorError } from "../domain/errors.js"

export type RunPromise = <A>(effect: Effect.Effect<A, ConductorError>, signal?: AbortSignal) => Promise<A>

export const makeRunPromise =
  <R>(context: Context.Context<R>): RunPromise =>
  async (effect, signal) => {
    const exit = await Effect.runPromiseExitWith(context)(
      effect,
      signal !== undefined ? { signal } : undefined,
    )
    if (Exit.isSuccess(exit)) return exit.value
    const failure = Cause.findErrorOption(exit.cause)
    if (failure._tag === "Some") throw failure.value
    if (Cause.hasInterruptsOnly(exit.cause)) throw conductorError("Cancelled", "cancelled")
    const defect = Cause.squash(exit.cause)
    throw isConductorError(defect)
      ? defect
      : conductorError(
          "Crashed",
          `internal error: ${defect instanceof Error ? defect.message : String(defect)}`,
          {
            cause: defect,
          },
        )
  }

/** A RunPromise on the current services (capture it from the runtime the backend runs on). */
export const runPromiseHere: Effect.Effect<RunPromise> = Effect.map(Effect.context<never>(), makeRunPromise)
