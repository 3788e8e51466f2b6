/**
 * The life of one request, as an XState machine (DESIGN "the path of one request"):
 *
 *   selecting → attempt(queued → loading → waitingForFirstToken → streaming) → completed | fallback → selecting …
 *             | failed | cancelled
 *
 * (The answer is validated on the DONE transition itself, which goes to completed or fallback.)
 *
 * (Received and routed by Conductor before the actor starts.)
 *
 * `selecting` takes the next model of the decision's chain whose breakers admit it — the model's
 * and the request's tenant's own (skipped ones are listed as attempts); each attempt's outcome is
 * recorded with the ticket its admission gave, so health knows the tenant and the probes, and an
 * answer that failed only the requested format is recorded as the request's failure, not the model's. An attempt is one actor (`attempt`): it waits in the scheduler's queue
 * for a lease on its model, streams the answer while holding the slot, and holds it until stopped.
 * A failed load, an error, no first token in time, a stall, a cut stream or an answer that fails
 * validation ends the attempt and falls back; partial output is never reported as completed —
 * the client gets `restart` (or, with `fallbacks.mode: continue`, the next model carries on).
 * Side effects that must keep their order (events, health) run inside `assign` actions, which
 * XState applies as the transition is taken; plain actions are deferred past child actors' start.
 * Cancelling leaves whatever state it is in: actors stop, so the lease is returned (or the queue
 * left) and the generation is aborted on the server. Each request ends with exactly one of
 * `completed`, `failed`, `cancelled`. Deadlines run on Conductor's TimeSource: the request's total
 * and the attempt's first token are armed by their owners (Conductor as it starts the actor, the
 * attempt actor as it sends LEASED) and arrive as `TOTAL_ELAPSED` and `FIRST_TOKEN_ELAPSED`, so a
 * request that does not stream puts nothing in XState's scheduler; the stall timer is `after`, on
 * the actor's clock (the same TimeSource).
 */
import { assign, type CallbackActorLogic, type EventObject, setup } from "xstate"
import type { RoutingDecision } from "../src/domain/decision.js"
import { type ConductorError, conductorError, type ErrorReason } from "../src/domain/errors.js"
import type { Attempt, FinishReason, RequestEvent, Timings, ToolCall, Usage } from "../src/domain/events.js"
import type { Admission, AttemptOutcome, Ticket } from "../src/health/health.js"
import type { AttemptEvent, AttemptInput, DoneChunk } from "../src/requests/attempt.js"
import type { Deadlines } from "../src/requests/deadlines.js"
import { continuation, type PreparedRequest } from "../src/requests/request.js"
import { blameOf, type ResolvedRule, validateAnswer } from "../src/validate/validate.js"
import { carriesOver, exhaustedError, selectNext } from "./chain.js"
import { type RequestTimes, timingsOf } from "./timings.js"

/**
 * `TOTAL_ELAPSED`: the request's total deadline passed — armed by Conductor on its TimeSource as
 * the actor starts and disarmed when it ends (the moments XState's `after` on `active` armed and
 * cancelled it), so no request schedules in XState's scheduler unless it streams (`stall`).
 */
export type RequestMachineEvent =
  | AttemptEvent
  | { readonly type: "CANCEL" }
  | { readonly type: "TOTAL_ELAPSED" }

/** What a request needs from Conductor (health, events, rules); passed in with its input. */
export interface RequestServices {
  readonly now: () => number
  /** Publishes on the event bus (which stamps `at` with `now()` unless the event has it). */
  readonly publish: (event: RequestEvent & { readonly at?: number }) => void
  /** May an attempt on `model` start for `tenant` (its breakers)? */
  readonly admit: (model: string, tenant: string) => Admission
  /** How an admitted attempt ended, with the ticket `admit` gave. */
  readonly record: (ticket: Ticket, outcome: AttemptOutcome) => void
  readonly rule: (decision: RoutingDecision) => ResolvedRule
  readonly numCtxOf: (model: string) => number
  /** The model reasons when asked (`think` is sent only to those: others refuse it, as Ollama does). */
  readonly thinks: (model: string) => boolean
  readonly fallbackMode: "restart" | "continue"
  /** After its host failed, may request `id` try `model` again on another host? */
  readonly anotherHost?: (id: string, model: string) => boolean
}

export interface RequestInput {
  readonly id: string
  readonly prepared: PreparedRequest
  readonly routed:
    | { readonly ok: true; readonly decision: RoutingDecision }
    | { readonly ok: false; readonly error: ConductorError }
  readonly deadlines: Deadlines
  readonly services: RequestServices
}

/** The outcome, once the machine is done. */
export type RequestOutput =
  | {
      readonly outcome: "completed"
      readonly model: string
      readonly decision: RoutingDecision
      readonly text: string
      readonly finishReason: FinishReason
      readonly toolCalls: ReadonlyArray<ToolCall>
      readonly thinking: string
      readonly usage: Usage
      readonly timings: Timings
      readonly attempts: ReadonlyArray<Attempt>
    }
  | { readonly outcome: "failed"; readonly error: ConductorError; readonly attempts: ReadonlyArray<Attempt> }
  | { readonly outcome: "cancelled"; readonly attempts: ReadonlyArray<Attempt> }

interface RequestContext {
  readonly input: RequestInput
  readonly decision: RoutingDecision | undefined
  /** The models to try, in order, and the index of the next one. */
  readonly chain: ReadonlyArray<string>
  readonly next: number
  readonly attempt: number
  readonly model: string | undefined
  /** The current attempt's admission (tenant, probes), handed back with its outcome. */
  readonly ticket: Ticket | undefined
  readonly inAttempt: boolean
  /**
   * When things happened and time spent waiting, in one field: a context of more than 18 keys
   * makes XState's `assign` (`Object.assign({}, context, update)`) build a dictionary-mode
   * object, several times slower on every event.
   */
  readonly times: RequestTimes
  /** Answer text of this attempt, and text carried over from cut attempts (`continue` mode). */
  readonly text: string
  readonly carried: string
  /** Characters of this attempt already sent to the client as tokens. */
  readonly streamed: number
  /** This attempt's reasoning and tool calls (one key: see `times`). */
  readonly extra: Extra
  readonly done: DoneChunk | undefined
  readonly failure: Failure | undefined
  readonly attempts: ReadonlyArray<Attempt>
  readonly error: ConductorError | undefined
  readonly ended: RequestOutput["outcome"] | undefined
}

/**
 * Why the attempt failed; `blame: "request"` when the request made it fail, `"host"` when its GPU
 * host stopped answering (neither is counted against the model).
 */
interface Failure {
  readonly reason: ErrorReason
  readonly message: string
  readonly blame?: "model" | "request" | "host"
}

interface Extra {
  readonly thinking: string
  readonly toolCalls: ReadonlyArray<ToolCall>
}

const NO_EXTRA: Extra = { thinking: "", toolCalls: [] }

const current = (context: RequestContext, event: RequestMachineEvent): boolean =>
  "attempt" in event && event.attempt === context.attempt

const failureOf = (error: ConductorError): Failure => ({
  reason: error.reason,
  message: error.message,
  ...(error.details?.hostFailure === true ? { blame: "host" as const } : {}),
})

/**
 * How a generation ends, in either state of generating: DONE ends the attempt in one step —
 * validated, then completed or fallback — and a failed stream falls back.
 */
const GENERATED = {
  DONE: [
    { guard: "passes", target: "#request.completed", actions: "answered" },
    { guard: "current", target: "#request.fallback", actions: "answered" },
  ],
  GENERATE_FAILED: { guard: "current", target: "#request.fallback", actions: "leaseFailed" },
} as const

export const makeRequestMachine = (actors: {
  readonly attempt: CallbackActorLogic<EventObject, AttemptInput>
}) =>
  setup({
    types: {
      context: {} as RequestContext,
      events: {} as RequestMachineEvent,
      input: {} as RequestInput,
      output: {} as RequestOutput,
    },
    actors,
    delays: {
      /** What is left of the gap allowed since the last token (the timer is re-armed lazily). */
      stall: ({ context }) =>
        Math.max(
          0,
          (context.times.lastTokenAt ?? 0) + context.input.deadlines.stallMs - context.input.services.now(),
        ),
    },
    guards: {
      hasModel: ({ context }) => context.model !== undefined,
      current: ({ context, event }) => current(context, event),
      /** A current DONE whose answer passes validation (the same result `answered` publishes). */
      passes: ({ context, event }) =>
        event.type === "DONE" && current(context, event) && validationOf(context, event).ok,
      /** No token came since the stall timer was armed (for the whole gap left after the last one). */
      stallElapsed: ({ context }) => context.times.lastTokenAt === context.times.stallFrom,
    },
    actions: {
      /** The next model whose breaker admits it; skipped ones are recorded, fallbacks announced. */
      select: assign(({ context }) => {
        const s = context.input.services
        const tenant = context.input.prepared.tenant
        // Its host failed: the same model again, on another host, before the rest of the chain.
        const failed = context.model
        const sameModelElsewhere =
          failed !== undefined &&
          context.failure?.blame === "host" &&
          s.anotherHost?.(context.input.id, failed) === true
        const from = sameModelElsewhere ? context.next - 1 : context.next
        const selection = selectNext(context.chain, from, (model) => s.admit(model, tenant))
        const attempts = [...context.attempts, ...selection.skipped]
        if (!selection.found) return { attempts, next: selection.next, model: undefined }
        const { model } = selection
        const previous = context.model
        // An answer that failed validation is never built on; a cut one may be (`continue`).
        const mode = context.input.prepared.request.fallbackMode ?? s.fallbackMode
        const continuing = carriesOver(mode, context.failure?.reason)
        if (previous !== undefined && context.failure !== undefined) {
          s.publish({
            type: "fallback",
            id: context.input.id,
            from: previous,
            to: model,
            reason: context.failure.reason,
          })
          const shown = context.carried.length + context.streamed
          if (!continuing && shown > 0)
            s.publish({ type: "restart", id: context.input.id, model, discard: shown })
        }
        const carried = continuing ? context.carried + context.text : ""
        return {
          attempts,
          next: selection.next,
          model,
          ticket: selection.ticket,
          attempt: context.attempt + 1,
          inAttempt: true,
          times: {
            ...context.times,
            attemptStartedAt: s.now(),
            generationStartedAt: undefined,
            firstTokenAt: undefined,
            lastTokenAt: undefined,
            stallFrom: undefined,
          },
          text: "",
          carried,
          streamed: 0,
          extra: NO_EXTRA,
          done: undefined,
          failure: undefined,
        }
      }),
      /** The slot is held: the attempt starts generating (`started`). One assign for both. */
      leased: assign(({ context, event }) => {
        if (event.type !== "LEASED") return {}
        const s = context.input.services
        s.publish({
          type: "started",
          id: context.input.id,
          model: context.model as string,
          attempt: context.attempt,
        })
        return {
          times: {
            ...context.times,
            queueMs: context.times.queueMs + event.waitedMs - event.loadMs,
            loadMs: context.times.loadMs + event.loadMs,
            generationStartedAt: s.now(),
          },
        }
      }),
      token: assign(({ context, event }) => (event.type === "TOKEN" ? tokenUpdate(context, event.text) : {})),
      /** Reasoning counts as output for the deadlines (a thinking model's first tokens are its thoughts). */
      thought: assign(({ context, event }) => {
        if (event.type !== "THINKING") return {}
        const s = context.input.services
        const now = s.now()
        s.publish({ type: "thinking", id: context.input.id, text: event.text, at: now })
        return {
          extra: { ...context.extra, thinking: context.extra.thinking + event.text },
          times: { ...context.times, firstTokenAt: context.times.firstTokenAt ?? now, lastTokenAt: now },
        }
      }),
      called: assign(({ context, event }) => {
        if (event.type !== "TOOL_CALLS") return {}
        const s = context.input.services
        const now = s.now()
        s.publish({
          type: "tool_call",
          id: context.input.id,
          model: context.model as string,
          calls: event.calls,
          at: now,
        })
        return {
          extra: { ...context.extra, toolCalls: [...context.extra.toolCalls, ...event.calls] },
          times: { ...context.times, firstTokenAt: context.times.firstTokenAt ?? now, lastTokenAt: now },
        }
      }),
      armStall: assign(({ context }) => ({
        times: { ...context.times, stallFrom: context.times.lastTokenAt },
      })),
      /**
       * The done part came (with the last tokens, handled as a TOKEN first): the answer is
       * validated (`validated`) and, if it passed, the attempt succeeded — one assign for all of
       * it, and no `validating` state to pass through (the guard `passes` chose the target).
       */
      answered: assign(({ context, event }) => {
        if (event.type !== "DONE") return {}
        const s = context.input.services
        const update = event.text !== undefined && event.text !== "" ? tokenUpdate(context, event.text) : {}
        const result = validationOf(context, event)
        s.publish({
          type: "validated",
          id: context.input.id,
          model: context.model as string,
          ok: result.ok,
          failures: result.failures,
        })
        if (!result.ok) {
          return {
            ...update,
            done: event.chunk,
            failure: {
              reason: "ValidationFailed" as const,
              message: result.failures.map((f) => `${f.validator}: ${f.message}`).join("; "),
              blame: blameOf(result.failures),
            },
          }
        }
        const model = context.model as string
        s.record(context.ticket as Ticket, {
          kind: "success",
          latencyMs: s.now() - (context.times.generationStartedAt ?? s.now()),
        })
        return {
          ...update,
          done: event.chunk,
          failure: undefined,
          inAttempt: false,
          attempts: [...context.attempts, { model, outcome: "completed" as const }],
          ended: "completed" as const,
        }
      }),
      leaseFailed: assign(({ event }) =>
        event.type === "LEASE_FAILED" || event.type === "GENERATE_FAILED"
          ? { failure: failureOf(event.error) }
          : {},
      ),
      noFirstToken: assign(({ context }) => ({
        failure: {
          reason: "Timeout" as const,
          message: `no first token within ${context.input.deadlines.firstTokenMs} ms`,
        },
      })),
      stalled: assign(({ context }) => ({
        failure: {
          reason: "Timeout" as const,
          message: `no token for ${context.input.deadlines.stallMs} ms`,
        },
      })),
      /** The attempt failed: record it (and count it against the model). */
      attemptFailed: assign(({ context }) => {
        const failure = context.failure ?? { reason: "Crashed" as const, message: "attempt failed" }
        const model = context.model as string
        context.input.services.record(context.ticket as Ticket, { kind: "failure", ...failure })
        return {
          inAttempt: false,
          attempts: [
            ...context.attempts,
            { model, outcome: "failed" as const, reason: failure.reason, message: failure.message },
          ],
        }
      }),
      /** Cancelled or timed out mid-attempt: the attempt ends without counting for or against the model. */
      attemptAbandoned: assign(({ context }) => {
        if (!context.inAttempt || context.model === undefined) return {}
        context.input.services.record(context.ticket as Ticket, { kind: "cancelled" })
        return {
          inAttempt: false,
          attempts: [...context.attempts, { model: context.model, outcome: "cancelled" as const }],
        }
      }),
      timedOut: assign(({ context }) => ({
        error: conductorError("Timeout", `request took longer than ${context.input.deadlines.totalMs} ms`),
      })),
      exhausted: assign(({ context }) => {
        if (context.error !== undefined) return {}
        if (context.decision === undefined && !context.input.routed.ok)
          return { error: context.input.routed.error }
        return { error: exhaustedError(context.attempts) }
      }),
      publishCompleted: ({ context }) => {
        const decision = context.decision as RoutingDecision
        const s = context.input.services
        const done = context.done as DoneChunk
        s.publish({
          type: "completed",
          id: context.input.id,
          model: context.model as string,
          tier: decision.tier,
          taskType: decision.taskType,
          text: context.carried + context.text,
          reason: decision.reason,
          finishReason: finishReasonOf(context),
          ...(context.extra.toolCalls.length > 0 ? { toolCalls: context.extra.toolCalls } : {}),
          ...(context.extra.thinking !== "" ? { thinking: context.extra.thinking } : {}),
          usage: { promptTokens: done.promptTokens, evalTokens: done.evalTokens },
          timings: timingsNow(context),
          attempts: context.attempts,
          warnings: decision.warnings,
          labels: decision.labels,
        })
      },
      publishFailed: ({ context }) => {
        const error = context.error as ConductorError
        context.input.services.publish({
          type: "failed",
          id: context.input.id,
          reason: error.reason,
          message: error.message,
          attempts: context.attempts,
        })
      },
      publishCancelled: ({ context }) =>
        context.input.services.publish({
          type: "cancelled",
          id: context.input.id,
          attempts: context.attempts,
        }),
    },
  }).createMachine({
    id: "request",
    context: ({ input }) => ({
      input,
      decision: input.routed.ok ? input.routed.decision : undefined,
      chain: input.routed.ok ? [input.routed.decision.model, ...input.routed.decision.fallbacks] : [],
      next: 0,
      attempt: 0,
      model: undefined,
      ticket: undefined,
      inAttempt: false,
      times: {
        acceptedAt: input.services.now(),
        attemptStartedAt: 0,
        generationStartedAt: undefined,
        firstTokenAt: undefined,
        lastTokenAt: undefined,
        stallFrom: undefined,
        queueMs: 0,
        loadMs: 0,
      },
      text: "",
      carried: "",
      streamed: 0,
      extra: NO_EXTRA,
      done: undefined,
      failure: undefined,
      attempts: [],
      error: undefined,
      ended: undefined,
    }),
    // Accepted and routed by Conductor (events `accepted`, `routed`) before the actor starts; it
    // starts selecting at once (no eventless steps through `received` and `routing`: each costs a
    // microstep per request). A request that was not routed has an empty chain, so `selecting`
    // finds no model and it fails with the routing error (see `exhausted`).
    initial: "selecting",
    // `selecting`, `attempt` and `fallback` are the request's active states, at the top level
    // (not children of an `active` state): the total deadline and CANCEL can only arrive while
    // an attempt runs, since the other two pass straight on (eventless), so `attempt` handles them.
    states: {
      selecting: {
        entry: "select",
        always: [{ guard: "hasModel", target: "attempt" }, { target: "#request.failed" }],
      },
      attempt: {
        initial: "queued",
        invoke: {
          src: "attempt",
          input: ({ context }) => ({
            id: context.input.id,
            model: context.model as string,
            attempt: context.attempt,
            tenant: context.input.prepared.tenant,
            priority: context.input.prepared.priority,
            firstTokenMs: context.input.deadlines.firstTokenMs,
            request: attemptRequest(
              context.input.services,
              context.model as string,
              context.carried !== ""
                ? continuation(context.input.prepared.generate, context.carried)
                : context.input.prepared.generate,
            ),
          }),
        },
        // Events come only while an attempt runs: `selecting` and `fallback` pass straight on.
        on: {
          LEASE_FAILED: { guard: "current", target: "fallback", actions: "leaseFailed" },
          TOTAL_ELAPSED: { target: "failed", actions: ["attemptAbandoned", "timedOut"] },
          CANCEL: { target: "cancelled", actions: "attemptAbandoned" },
        },
        states: {
          queued: {
            on: {
              LOADING: { guard: "current", target: "loading" },
              LEASED: { guard: "current", target: "waitingForFirstToken", actions: "leased" },
            },
          },
          loading: {
            on: { LEASED: { guard: "current", target: "waitingForFirstToken", actions: "leased" } },
          },
          // Generating: the attempt actor starts as soon as it has sent LEASED (`leased`
          // publishes `started`), and arms the first-token deadline as it sends it. The two
          // states are siblings of `queued`, not children of a `generating` state: each level
          // of nesting is walked on every step XState takes (its state value, entry and exit
          // sets), and the end of a generation (`GENERATED`) is handled alike in both.
          waitingForFirstToken: {
            on: {
              ...GENERATED,
              FIRST_TOKEN_ELAPSED: {
                guard: "current",
                target: "#request.fallback",
                actions: "noFirstToken",
              },
              TOKEN: { guard: "current", target: "streaming", actions: "token" },
              THINKING: { guard: "current", target: "streaming", actions: "thought" },
              TOOL_CALLS: { guard: "current", target: "streaming", actions: "called" },
            },
          },
          // The stall timer is not re-armed on every token: when it fires, it ends the attempt
          // if no token came for `stallMs`, and otherwise waits out the rest of the gap.
          streaming: {
            entry: "armStall",
            after: {
              stall: [
                { guard: "stallElapsed", target: "#request.fallback", actions: "stalled" },
                { target: "streaming", reenter: true },
              ],
            },
            on: {
              ...GENERATED,
              TOKEN: { guard: "current", actions: "token" },
              THINKING: { guard: "current", actions: "thought" },
              TOOL_CALLS: { guard: "current", actions: "called" },
            },
          },
        },
      },
      fallback: {
        entry: "attemptFailed",
        always: "selecting",
      },
      completed: {
        type: "final",
        // `ended` was set by `answered`, the only way here.
        entry: "publishCompleted",
      },
      failed: {
        type: "final",
        entry: ["exhausted", assign({ ended: "failed" as const }), "publishFailed"],
      },
      cancelled: {
        type: "final",
        entry: [assign({ ended: "cancelled" as const }), "publishCancelled"],
      },
    },
    output: ({ context }): RequestOutput => {
      if (context.ended === "failed") {
        return { outcome: "failed", error: context.error as ConductorError, attempts: context.attempts }
      }
      if (context.ended === "completed") {
        const done = context.done as DoneChunk
        return {
          outcome: "completed",
          model: context.model as string,
          decision: context.decision as RoutingDecision,
          text: context.carried + context.text,
          finishReason: finishReasonOf(context),
          toolCalls: context.extra.toolCalls,
          thinking: context.extra.thinking,
          usage: { promptTokens: done.promptTokens, evalTokens: done.evalTokens },
          timings: timingsNow(context),
          attempts: context.attempts,
        }
      }
      return { outcome: "cancelled", attempts: context.attempts }
    },
  })

/** The context after a token: the text, what was streamed, and its times (`token` published). */
const tokenUpdate = (context: RequestContext, text: string) => {
  // Stamped here, on the bus's clock, so the bus need not copy the event to add `at`.
  const now = context.input.services.now()
  context.input.services.publish({ type: "token", id: context.input.id, text, at: now })
  return {
    text: context.text + text,
    streamed: context.streamed + text.length,
    times: { ...context.times, firstTokenAt: context.times.firstTokenAt ?? now, lastTokenAt: now },
  }
}

type DoneEvent = Extract<RequestMachineEvent, { type: "DONE" }>

/** Each DONE's validation, computed once for the guard that picks the target and the action. */
const validations = new WeakMap<DoneEvent, ReturnType<typeof validateAnswer>>()

/** The answer a DONE completes (this attempt's text, the tokens it carries, text carried over), validated. */
const validationOf = (context: RequestContext, event: DoneEvent): ReturnType<typeof validateAnswer> => {
  const cached = validations.get(event)
  if (cached !== undefined) return cached
  const decision = context.decision as RoutingDecision
  const result = validateAnswer(
    {
      text: context.carried + context.text + (event.text ?? ""),
      doneReason: event.chunk.reason,
      taskType: decision.taskType,
      format: context.input.prepared.format,
      lengthCapped: context.input.prepared.lengthCapped,
      codeAsked: context.input.prepared.codeAsked,
      toolCalls: context.extra.toolCalls,
      tools: context.input.prepared.tools,
    },
    context.input.services.rule(decision),
  )
  validations.set(event, result)
  return result
}

/** What an attempt sends `model`: the model's fixed num_ctx; `think` only if the model thinks. */
const attemptRequest = (
  services: RequestServices,
  model: string,
  generate: RequestInput["prepared"]["generate"],
) => {
  const { think, ...rest } = generate
  return {
    ...rest,
    ...(think !== undefined && services.thinks(model) ? { think } : {}),
    numCtx: services.numCtxOf(model),
  }
}

const finishReasonOf = (context: RequestContext): FinishReason =>
  context.extra.toolCalls.length > 0 ? "tool_calls" : (context.done?.reason ?? "stop")

const timingsNow = (context: RequestContext) =>
  timingsOf(context.times, context.done, context.input.services.now())

export type RequestMachine = ReturnType<typeof makeRequestMachine>
