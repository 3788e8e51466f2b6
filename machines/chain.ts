/**
 * The request's walk down its fallback chain, as pure functions the request machine calls: which
 * model of the chain is tried next (the first whose breakers admit it, the skipped ones listed as
 * attempts), whether a fallback carries the cut answer over, and the error a request fails with
 * once every model of the chain has failed or been skipped.
 */
import { type ConductorError, conductorError, type ErrorReason } from "../src/domain/errors.js"
import type { Attempt } from "../src/domain/events.js"
import type { Admission, Ticket } from "../src/health/health.js"

/** The next model to try, from index `from` of the chain, or none left. */
export type Selection =
  | {
      readonly found: true
      readonly model: string
      readonly ticket: Ticket
      /** Index of the model after the chosen one. */
      readonly next: number
      readonly skipped: ReadonlyArray<Attempt>
    }
  | { readonly found: false; readonly next: number; readonly skipped: ReadonlyArray<Attempt> }

/**
 * The first model of `chain` from `from` on that `admit` lets through; those refused are skipped
 * (CircuitOpen, saying whose breaker). `admit` takes the admission (a probe's slot) when it allows.
 */
export const selectNext = (
  chain: ReadonlyArray<string>,
  from: number,
  admit: (model: string) => Admission,
): Selection => {
  const skipped: Attempt[] = []
  for (let next = from; next < chain.length; next++) {
    const model = chain[next] as string
    const admission = admit(model)
    if (admission.allowed) return { found: true, model, ticket: admission.ticket, next: next + 1, skipped }
    skipped.push({
      model,
      outcome: "skipped",
      reason: "CircuitOpen",
      message: admission.scope === "tenant" ? "breaker open for this tenant" : "breaker open",
    })
  }
  return { found: false, next: Math.max(from, chain.length), skipped }
}

/** A fallback carries the cut answer over in `continue` mode; an answer that failed validation never is. */
export const carriesOver = (mode: "restart" | "continue", failure: ErrorReason | undefined): boolean =>
  mode === "continue" && failure !== "ValidationFailed"

/**
 * Every model failed or was skipped: the error takes the last failure's reason (CircuitOpen when
 * all were skipped) and lists each attempt.
 */
export const exhaustedError = (attempts: ReadonlyArray<Attempt>): ConductorError => {
  const last = [...attempts].reverse().find((a) => a.outcome === "failed")
  const reason: ErrorReason = last?.reason ?? "CircuitOpen"
  const tried = attempts.map(
    (a) => `${a.model}: ${a.outcome}${a.reason !== undefined ? ` (${a.reason})` : ""}`,
  )
  return conductorError(reason, `every model failed — ${tried.join("; ")}`, { details: { attempts } })
}
