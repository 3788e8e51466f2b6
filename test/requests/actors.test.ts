/**
/**
 * The attempt actor (src/requests/actors.ts) against a stub host set: one host that grants at
 * once, whose backend's stream is given by the test. What reaches the parent machine, and in
 * what order; each test waits for the event that ends what it checks, never for a number of turns.
 */
import { Layer, ManagedRuntime, Stream } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { assign, createActor, setup, waitFor } from "xstate"
import type { BackendShape, GenerateChunk, GenerationSink } from "../../src/backends/port.js"
import { conductorError } from "../../src/domain/errors.js"
import type { HostSet } from "../../src/gpu/host-set.js"
import { attemptActors } from "../../src/requests/actors.js"
import type { AttemptEvent } from "../../src/requests/attempt.js"
import { ManualClock } from "../../src/time/clock.js"

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
let onRelease: (() => void) | undefined
let onStopped: (() => void) | undefined
const runtimeWith = (generate: BackendShape["generate"]) => {
  const backend = { generate } as unknown as BackendShape
  const hosts = {
    request: (_model: string, _options: unknown, granted: (held: unknown) => void) => {
      granted({
        lease: {
          model: "m",
          waitedMs: 0,
          loadMs: 0,
          release: () => {
            released++
            onRelease?.()
          },
        },
        host: {},
        backend,
      })
      return () => undefined
    },
    failed: (_host: unknown, error: unknown) => error,
  } as unknown as HostSet
  return { runtime: ManagedRuntime.make(Layer.empty), hosts, clock: watchedClock() }
}

/** A ManualClock that counts the timers armed and neither fired nor cancelled (`armed`). */
const watchedClock = () => {
  const clock = new ManualClock()
  const watched = Object.assign(clock, { armed: 0 })
  const schedule = clock.schedule.bind(clock)
  watched.schedule = (ms: number, fn: () => void) => {
    watched.armed++
    let live = true
    const end = () => {
      if (live) watched.armed--
      live = false
    }
    const cancel = schedule(ms, () => {
      end()
      fn()
    })
    return () => {
      end()
      cancel()
    }
  }
  return watched
}

/** A parent that invokes one attempt and records every event it sends back. */
const record = (runtime: ReturnType<typeof runtimeWith>, stopOn?: "DONE") => {
  const parent = setup({
    types: { context: {} as { events: AttemptEvent[] }, events: {} as AttemptEvent | { type: "STOP" } },
    actors: attemptActors(runtime.runtime, runtime.hosts, runtime.clock),
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
            firstTokenMs: 30_000,
            request: { prompt: "hi", numCtx: 2048 },
          },
        },
        on: stopOn === undefined ? { STOP: "stopped" } : { STOP: "stopped", [stopOn]: "stopped" },
      },
      // Final, as the request machine's end is: Conductor ends the request in its `complete` observer.
      stopped: { type: "final" },
    },
  })
  const actor = createActor(parent)
  actor.subscribe({ complete: () => onStopped?.() })
  actor.start()
  const events = () => actor.getSnapshot().context.events
  /** Resolves once the parent has received an event `pred` accepts. */
  const received = (pred: (e: AttemptEvent) => boolean) =>
    waitFor(actor, (s) => s.context.events.some(pred)).then(() => events())
  return { actor, events, received }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A stream the test feeds chunk by chunk; it ends after a `done` chunk. */
const fed = () => {
  const chunks: GenerateChunk[] = []
  let wake: (() => void) | undefined
  const push = (chunk: GenerateChunk) => {
    chunks.push(chunk)
    wake?.()
  }
  async function* pull(): AsyncGenerator<GenerateChunk> {
    for (;;) {
      while (chunks.length === 0) await new Promise<void>((resolve) => (wake = resolve))
      const chunk = chunks.shift() as GenerateChunk
      yield chunk
      if (chunk.kind === "done") return
    }
  }
  return { push, stream: Stream.fromAsyncIterable(pull(), (e) => conductorError("Crashed", String(e))) }
}

let runtime: ReturnType<typeof runtimeWith> | undefined
afterEach(async () => {
  await runtime?.runtime.dispose()
  runtime = undefined
  released = 0
  onRelease = undefined
  onStopped = undefined
})

describe("attempt actor", () => {
  it("sends tokens that arrive in one turn with the done part on DONE (one event)", async () => {
    const tokens = ["The ", "answer ", "is ", "42."]
    runtime = runtimeWith(() =>
      Stream.fromIterable<GenerateChunk>([...tokens.map((text) => ({ kind: "token" as const, text })), done]),
    )
    const { actor, received } = record(runtime)
    const seen = await received((e) => e.type === "DONE")
    // Tokens that come with the done part ride on DONE: one step for a short answer.
    expect(seen.map((e) => e.type)).toEqual(["LEASED", "DONE"])
    expect(seen[1]).toMatchObject({ type: "DONE", attempt: 1, text: "The answer is 42.", chunk: done })
    actor.stop()
  })

  it("sends a token that arrives after the last one was sent as its own event, in order", async () => {
    const feed = fed()
    runtime = runtimeWith(() => feed.stream)
    const { actor, events, received } = record(runtime)
    // Each token is fed only once the one before it has reached the parent.
    for (const [i, text] of ["a", "b", "c"].entries()) {
      feed.push({ kind: "token", text })
      await received((e) => e.type === "TOKEN" && e.text === text)
      expect(events().filter((e) => e.type === "TOKEN")).toHaveLength(i + 1)
    }
    feed.push(done)
    const seen = await received((e) => e.type === "DONE")
    expect(seen.map((e) => e.type)).toEqual(["LEASED", "TOKEN", "TOKEN", "TOKEN", "DONE"])
    expect(seen.flatMap((e) => (e.type === "TOKEN" ? [e.text] : []))).toEqual(["a", "b", "c"])
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
    const { actor, received } = record(runtime)
    const seen = await received((e) => e.type === "GENERATE_FAILED")
    expect(seen.map((e) => e.type)).toEqual(["LEASED", "TOKEN", "GENERATE_FAILED"])
    expect(seen[1]).toMatchObject({ text: "partial answer" })
    actor.stop()
  })

  it("sends nothing once stopped (a token coming in is dropped) and returns the lease", async () => {
    const feed = fed()
    runtime = runtimeWith(() => feed.stream)
    const { actor, events, received } = record(runtime)
    await received((e) => e.type === "LEASED")
    const returned = new Promise<void>((resolve) => (onRelease = resolve))
    // Stopped as the token comes in: held for a flush or not yet read, it must never reach the parent.
    feed.push({ kind: "token", text: "late" })
    const before = events().length
    actor.send({ type: "STOP" })
    await returned
    // Any flush scheduled before the lease was returned has had its turn by now.
    await turn()
    expect(events().slice(before)).toEqual([])
    expect(events().map((e) => e.type)).toEqual(["LEASED"])
    expect(released).toBe(1)
    actor.stop()
  })

  it("sends FIRST_TOKEN_ELAPSED when nothing came within firstTokenMs of LEASED, once", async () => {
    const feed = fed()
    runtime = runtimeWith(() => feed.stream)
    const clock = runtime.clock
    const { actor, events, received } = record(runtime)
    await received((e) => e.type === "LEASED")
    await clock.advance(29_999)
    expect(events().map((e) => e.type)).toEqual(["LEASED"])
    await clock.advance(1)
    expect(events().map((e) => e.type)).toEqual(["LEASED", "FIRST_TOKEN_ELAPSED"])
    expect(events()[1]).toEqual({ type: "FIRST_TOKEN_ELAPSED", attempt: 1 })
    await clock.advance(60_000)
    expect(events()).toHaveLength(2)
    actor.stop()
  })

  it("disarms the first-token deadline when the first token is sent, and when stopped", async () => {
    const feed = fed()
    runtime = runtimeWith(() => feed.stream)
    const clock = runtime.clock
    const first = record(runtime)
    await first.received((e) => e.type === "LEASED")
    expect(clock.armed).toBe(1)
    await clock.advance(10_000)
    feed.push({ kind: "token", text: "a" })
    await first.received((e) => e.type === "TOKEN")
    expect(clock.armed).toBe(0)
    await clock.advance(60_000)
    expect(first.events().map((e) => e.type)).toEqual(["LEASED", "TOKEN"])
    first.actor.stop()

    const other = runtimeWith(() => fed().stream)
    const second = record(other)
    await second.received((e) => e.type === "LEASED")
    expect(other.clock.armed).toBe(1)
    second.actor.send({ type: "STOP" })
    expect(other.clock.armed).toBe(0)
    await other.clock.advance(60_000)
    // Stopped (the parent took STOP to its final state): nothing more, no deadline.
    expect(second.events().map((e) => e.type)).toEqual(["LEASED"])
    second.actor.stop()
    await other.runtime.dispose()
  })

  describe("with a backend that pushes (generateInto)", () => {
    /** A backend whose generation the test drives through the sink; `generate` must not be used. */
    const pushing = () => {
      const calls: string[] = []
      let sink: GenerationSink | undefined
      const backend = {
        generate: () => {
          throw new Error("generate used although generateInto exists")
        },
        generateInto: (_name: string, _request: unknown, s: GenerationSink) => {
          sink = s
          return () => calls.push("stop generation")
        },
      }
      runtime = runtimeWith(backend.generate)
      const hosts = runtime.hosts as unknown as {
        request: (m: string, o: unknown, g: (held: { backend: unknown }) => void) => () => void
      }
      const request = hosts.request
      hosts.request = (m, o, g) => request(m, o, (held) => g({ ...held, backend }))
      onRelease = () => calls.push("release")
      return { calls, sink: () => sink as GenerationSink }
    }

    it("sends the pushed chunks as the stream's: tokens in one turn with the done part on DONE", async () => {
      const p = pushing()
      const { actor, received } = record(runtime as ReturnType<typeof runtimeWith>)
      await received((e) => e.type === "LEASED")
      p.sink().chunks([{ kind: "token", text: "The " }])
      p.sink().chunks([{ kind: "token", text: "answer." }, done])
      const seen = await received((e) => e.type === "DONE")
      expect(seen.map((e) => e.type)).toEqual(["LEASED", "DONE"])
      expect(seen[1]).toMatchObject({ text: "The answer.", chunk: done })
      actor.stop()
      expect(p.calls).toEqual(["stop generation", "release"])
    })

    it("flushes held tokens before GENERATE_FAILED", async () => {
      const p = pushing()
      const { actor, received } = record(runtime as ReturnType<typeof runtimeWith>)
      await received((e) => e.type === "LEASED")
      p.sink().chunks([{ kind: "token", text: "partial" }])
      p.sink().failed(conductorError("Crashed", "runner died"))
      const seen = await received((e) => e.type === "GENERATE_FAILED")
      expect(seen.map((e) => e.type)).toEqual(["LEASED", "TOKEN", "GENERATE_FAILED"])
      actor.stop()
      // A failed generation has stopped itself: only the lease is returned.
      expect(p.calls).toEqual(["release"])
    })

    it("a backend that throws instead of failing: GENERATE_FAILED (Crashed), the lease returned once stopped", async () => {
      const p = pushing()
      const hosts = (runtime as ReturnType<typeof runtimeWith>).hosts as unknown as {
        request: (m: string, o: unknown, g: (held: { backend: unknown }) => void) => () => void
      }
      const request = hosts.request
      hosts.request = (m, o, g) =>
        request(m, o, (held) =>
          g({
            ...held,
            backend: {
              generateInto: () => {
                throw new Error("bad options")
              },
            },
          }),
        )
      const { actor, received } = record(runtime as ReturnType<typeof runtimeWith>)
      const seen = await received((e) => e.type === "GENERATE_FAILED")
      expect(seen.at(-1)).toMatchObject({ error: { reason: "Crashed" } })
      actor.stop()
      expect(p.calls).toEqual(["release"])
    })

    it("stopped mid-generation: stops the generation, then returns the lease; later chunks are dropped", async () => {
      const p = pushing()
      const { actor, events, received } = record(runtime as ReturnType<typeof runtimeWith>)
      await received((e) => e.type === "LEASED")
      actor.send({ type: "STOP" })
      expect(p.calls).toEqual(["stop generation", "release"])
      p.sink().chunks([{ kind: "token", text: "late" }, done])
      await turn()
      expect(events().map((e) => e.type)).toEqual(["LEASED"])
      actor.stop()
    })

    it("a stop the DONE causes returns the lease only once the DONE has been handled", async () => {
      const p = pushing()
      const { actor, received } = record(runtime as ReturnType<typeof runtimeWith>, "DONE")
      await received((e) => e.type === "LEASED")
      // The parent's step on DONE ends the request (its observers run): the attempt's slot is
      // returned only after that, as the attempt fiber returned it.
      onStopped = () => p.calls.push("parent stopped")
      p.sink().chunks([{ kind: "token", text: "x" }, done])
      expect(actor.getSnapshot().value).toBe("stopped")
      expect(p.calls).toEqual(["parent stopped", "stop generation", "release"])
      actor.stop()
    })
  })
})
