/**
 * What the compatible APIs add to an answer so a client can see Conductor's work: the routing
 * decision (why this model, the fallback chain), the fallbacks taken, and once it ended the
 * model that answered, the attempts, the labels (what to check before relying on the answer),
 * warnings and timings. Extra keys that OpenAI and Ollama clients ignore. Also the decision as
 * response headers, and the wiring that cancels a request when its client goes away.
 */
import type { HttpBindings } from "@hono/node-server"
import type { Context } from "hono"
import type { ConductorResult, RequestHandle } from "../conductor.js"
import type { RoutingDecision } from "../domain/decision.js"
import type { ConductorEvent } from "../domain/events.js"

export const conductorSummary = (
  id: string,
  decision: RoutingDecision | undefined,
  events: ReadonlyArray<ConductorEvent>,
  result?: ConductorResult,
) => ({
  requestId: id,
  ...(decision !== undefined
    ? {
        routed: {
          model: decision.model,
          tier: decision.tier,
          taskType: decision.taskType,
          complexity: decision.complexity,
          confidence: decision.confidence,
          reason: decision.reason,
          ...(decision.breakdown.persona !== undefined ? { persona: decision.breakdown.persona.name } : {}),
          chain: [decision.model, ...decision.fallbacks],
        },
      }
    : {}),
  fallbacks: events.flatMap((e) =>
    e.type === "fallback" ? [{ from: e.from, to: e.to, reason: e.reason }] : [],
  ),
  ...(result !== undefined
    ? {
        model: result.model,
        attempts: result.attempts,
        labels: result.labels,
        warnings: result.warnings,
        timings: result.timings,
      }
    : {}),
})

export type ConductorSummary = ReturnType<typeof conductorSummary>

/** The request's routing decision, once routed (synchronously, from the events so far). */
export const decisionOf = (handle: RequestHandle): RoutingDecision | undefined => {
  let d: RoutingDecision | undefined
  handle.observe((e) => {
    if (e.type === "routed") d = e.decision
  })()
  return d
}

/** Every event of the request so far. */
export const eventsOf = (handle: RequestHandle): ConductorEvent[] => {
  const events: ConductorEvent[] = []
  handle.observe((e) => events.push(e))()
  return events
}

/** The decision headers: `x-conductor-request-id`, `-model` (the model that answered, or was routed to), `-tier`, `-reason`. */
export const decisionHeaders = (
  id: string,
  model: string | undefined,
  decision: Pick<RoutingDecision, "tier" | "reason"> | undefined,
): Record<string, string> => ({
  "x-conductor-request-id": id,
  ...(model !== undefined ? { "x-conductor-model": model } : {}),
  ...(decision !== undefined
    ? { "x-conductor-tier": decision.tier, "x-conductor-reason": decision.reason }
    : {}),
})

/** Cancel the request when the client disconnects or aborts; returns the function that stops watching. */
export const cancelOnAbort = (handle: RequestHandle, signal: AbortSignal): (() => void) => {
  const onAbort = () => handle.cancel()
  if (signal.aborted) handle.cancel()
  else signal.addEventListener("abort", onAbort, { once: true })
  return () => signal.removeEventListener("abort", onAbort)
}

/** How a handler watches its client: stop watching, and whether the client went. */
export interface ClientWatch {
  readonly unwatch: () => void
  readonly gone: () => boolean
}

/**
 * Cancel the request when the client goes before its answer has been sent. Served by
 * `@hono/node-server`, that is the moment it aborts the request's signal — the response closes
 * unfinished, or the request errored — watched on the response itself: reading `signal` there
 * builds an AbortController per request and an EventTarget listener (a measurable share of a
 * short request's CPU). Elsewhere (`app.request` in tests) the signal is watched.
 */
export const watchClient = (c: Context, handle: RequestHandle): ClientWatch => {
  const env = c.env as Partial<HttpBindings> | undefined
  const incoming = env?.incoming
  const outgoing = env?.outgoing
  if (incoming === undefined || outgoing === undefined) {
    const signal = c.req.raw.signal
    return { unwatch: cancelOnAbort(handle, signal), gone: () => signal.aborted }
  }
  let gone = false
  const onClose = () => {
    if (incoming.errored === null && outgoing.writableFinished) return
    gone = true
    handle.cancel()
  }
  if (outgoing.destroyed) onClose()
  else outgoing.once("close", onClose)
  return { unwatch: () => outgoing.removeListener("close", onClose), gone: () => gone }
}
