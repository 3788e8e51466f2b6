/**
 * The attempt actor (src/requests/actors.ts) against stub services: a scheduler that grants at
 * once and a backend whose stream is given by the test. What reaches the parent machine, and when.
 */
import { Effect, Layer, ManagedRuntime, Stream } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { assign, createActor, setup } from "xstate"
import type { AttemptEvent } from "../../machines/request.machine.js"
import { Backend, type BackendShape, type GenerateChunk } from "../../src/backends/port.js"
import { conductorError } from "../../src/domain/errors.js"
import { Scheduler, type SchedulerShape } from "../../src/gpu/scheduler.js"
import { attemptActors } from "../../src/requests/actors.js"

const done: GenerateChunk = {
  kind: "done",
  reason: "stop",
  promptTokens: 3,
  evalTokens: 4,
  loadMs: 0,
  promptEvalMs: 0,
  evalMs: 0,
  totalMs: 0,
}

let released = 0
const runtimeWith = (generate: BackendShape["generate"]) => {
  const scheduler = {
    lease: () =>
      Effect.acquireRelease(
        Effect.succeed({ model: "m", waitedMs: 0, loadMs: 0, release: () => undefined }),
        () => Effect.sync(() => released++),
      ),
  } as unknown as SchedulerShape
  return ManagedRuntime.make(
    Layer.mergeAll(
      Layer.succeed(Scheduler, scheduler),
      Layer.succeed(Backend, { generate } as unknown as BackendShape),
    ),
  )
}

/** A parent that invokes one attempt and records every event it sends back. */
const record = (runtime: ReturnType<typeof runtimeWith>) => {
  const parent = setup({
    types: { context: {} as { events: AttemptEvent[] }, events: {} as AttemptEvent | { type: "STOP" } },
    actors: attemptActors(runtime),
  }).createMachine({
    context: { events: [] },
    initial: "running",
    // Recorded in every state, so an event sent back after the attempt was stopped would show.
    on: {
      "*": {
        actions: assign({ events: ({ context, event }) => [...context.events, event as AttemptEvent] }),
      },
    },
    states: {
      running: {
        invoke: {
          src: "attempt",
          input: {
            id: "r1",
            model: "m",
            attempt: 1,
            tenant: "library",
            priority: "interactive",
            request: { prompt: "hi", numCtx: 2048 },
          },
        },
        on: { STOP: "stopped" },
      },
      stopped: {},
    },
  })
  const actor = createActor(parent).start()
  return { actor, events: () => actor.getSnapshot().context.events }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve))
const settle = async (n = 10) => {
  for (let i = 0; i < n; i++) await turn()
}

let runtime: ReturnType<typeof runtimeWith> | undefined
afterEach(async () => {
  await runtime?.dispose()
  runtime = undefined
  released = 0
})

describe("attempt actor", () => {
  it("sends tokens that arrive in one turn with the done part on DONE (one event)", async () => {
    const tokens = ["The ", "answer ", "is ", "42."]
    runtime = runtimeWith(() =>
      Stream.fromIterable<GenerateChunk>([...tokens.map((text) => ({ kind: "token" as const, text })), done]),
    )
    const { actor, events } = record(runtime)
    await settle()
    expect(events().map((e) => e.type)).toEqual(["LEASED", "DONE"])
    expect(events()[1]).toMatchObject({ type: "DONE", attempt: 1, text: "The answer is 42.", chunk: done })
    actor.stop()
  })

  it("sends tokens of different turns as separate events, in order", async () => {
    runtime = runtimeWith(() =>
      Stream.fromIterable(["a", "b", "c"]).pipe(
        Stream.mapEffect((text) =>
          Effect.promise(() => turn().then(turn)).pipe(Effect.as<GenerateChunk>({ kind: "token", text })),
        ),
        Stream.concat(Stream.make(done)),
      ),
    )
    const { actor, events } = record(runtime)
    await settle(20)
    const seen = events()
    // The last token comes in the done part's turn, so it rides on DONE.
    expect(seen.map((e) => e.type)).toEqual(["LEASED", "TOKEN", "TOKEN", "DONE"])
    expect(
      seen.flatMap((e) =>
        e.type === "TOKEN" || (e.type === "DONE" && e.text !== undefined) ? [e.text] : [],
      ),
    ).toEqual(["a", "b", "c"])
    actor.stop()
  })

  it("flushes the tokens it holds before reporting a failed stream", async () => {
    runtime = runtimeWith(() =>
      Stream.concat(
        Stream.fromIterable<GenerateChunk>([
          { kind: "token", text: "partial " },
          { kind: "token", text: "answer" },
        ]),
        Stream.fail(conductorError("Crashed", "runner died")),
      ),
    )
    const { actor, events } = record(runtime)
    await settle()
    expect(events().map((e) => e.type)).toEqual(["LEASED", "TOKEN", "GENERATE_FAILED"])
    expect(events()[1]).toMatchObject({ text: "partial answer" })
    actor.stop()
  })

  it("sends nothing once stopped (a pending flush is dropped) and returns the lease", async () => {
    runtime = runtimeWith(() =>
      Stream.concat(Stream.fromIterable<GenerateChunk>([{ kind: "token", text: "late" }]), Stream.never),
    )
    const { actor, events } = record(runtime)
    // Let the lease and the first token through, then stop before the flush's turn.
    for (let i = 0; i < 50 && events().length === 0; i++) await Promise.resolve()
    actor.send({ type: "STOP" })
    await settle()
    expect(events().map((e) => e.type)).toEqual(["LEASED"])
    expect(released).toBe(1)
    actor.stop()
  })
})
