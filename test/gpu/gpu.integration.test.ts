/**
 * Residency and scheduling as deployed: one host's residency table, VRAM budget and scheduler
 * (plain classes, built as `openHost` builds them) over the Ollama adapter (the official client,
 * real HTTP) against the simulated Ollama server, both on a clock fifty times faster than
 * real time. The simulator's own accounting (`/sim/state`) is the referee.
 */
import { Effect, Fiber, Layer, ManagedRuntime, Stream } from "effect"
import { Ollama } from "ollama"
import { afterEach, describe, expect, it } from "vitest"
import { ollamaBackendLayer } from "../../src/backends/ollama/adapter.js"
import { Backend } from "../../src/backends/port.js"
import {
  loadProfile,
  resolveProfilePath,
  SimEngine,
  type SimServer,
  type SimState,
  startSimServer,
} from "../../src/backends/sim/index.js"
import type { ConductorError } from "../../src/domain/errors.js"
import type { ConductorEvent } from "../../src/domain/events.js"
import { makeEventBus } from "../../src/events/bus.js"
import { VramBudget } from "../../src/gpu/budget.js"
import { budgetOf } from "../../src/gpu/hardware.js"
import { swapAwarePolicy } from "../../src/gpu/policies/swap-aware.js"
import type { SchedulingPolicy } from "../../src/gpu/policy.js"
import { ResidencyCore, residentSpecs } from "../../src/gpu/residency.js"
import { SchedulerCore } from "../../src/gpu/scheduler.js"
import { discover } from "../../src/registry/discover.js"
import { ModelRegistry } from "../../src/registry/registry.js"
import { runPromiseHere } from "../../src/runtime/run-promise.js"
import { ScaledClock } from "../../src/time/clock.js"
import { Time } from "../../src/time/effect-clock.js"
import { bundledConfig } from "../support/router-env.js"

const SCALE = 50
const GB = 1e9
const profile = loadProfile(resolveProfilePath("workstation-24gb"))
const CAPACITY = 24 * GB
// All of the GPU: the simulator is exact, so Conductor may plan right up to the edge.
const BUDGET = budgetOf(CAPACITY, { utilisation: 1, reserveGb: 0 })

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const start = async (options: { reconcileIntervalMs?: number; policy?: SchedulingPolicy } = {}) => {
  const engine = new SimEngine(profile, { timeScale: SCALE, seed: 3 })
  const server: SimServer = await startSimServer(engine, { port: 0 })
  const events: ConductorEvent[] = []
  const clock = new ScaledClock(SCALE)
  const bus = makeEventBus(() => clock.now())
  bus.subscribe((e) => events.push(e))
  const base = Layer.mergeAll(
    Time.layer(clock),
    ollamaBackendLayer({ host: server.url, unloadSettleMs: 1_000, callTimeoutMs: 30_000 }),
  )
  // Estimates from /api/show, as `conductor serve` makes them.
  const registry = new ModelRegistry(bundledConfig().models)
  const runtime = ManagedRuntime.make(base)
  const discovery = await runtime.runPromise(
    Effect.gen(function* () {
      return yield* discover(yield* Backend, registry)
    }),
  )
  const backend = await runtime.runPromise(
    Effect.gen(function* () {
      return yield* Backend
    }),
  )
  const residency = new ResidencyCore({
    backend,
    run: await runtime.runPromise(runPromiseHere),
    time: clock,
    budget: new VramBudget(BUDGET),
    publish: bus.publish,
    options: {
      physicalBytes: CAPACITY,
      idleTimeoutMs: 300_000,
      loadTimeoutMs: 120_000,
      reconcileIntervalMs: options.reconcileIntervalMs ?? 15_000,
    },
  })
  residency.register(
    residentSpecs(
      discovery.registry.all.filter((p) => discovery.details.has(p.name)),
      discovery.details,
    ),
  )
  await residency.reconcile()
  residency.start()
  const scheduler = new SchedulerCore({
    residency,
    policy: options.policy ?? swapAwarePolicy({ minResidencyMs: 2_000, maxWaitMs: 20_000 }),
    time: clock,
    publish: bus.publish,
    options: { maxQueued: 100, maxLoaded: 3 },
  })
  // Referee: the simulated server's own accounting, sampled continuously.
  const samples: SimState[] = []
  const sampler = setInterval(() => samples.push(engine.state()), 2)
  cleanups.push(async () => {
    clearInterval(sampler)
    scheduler.close()
    await residency.stop(false)
    await runtime.dispose()
    await server.close()
    engine.close()
  })
  const ollama = new Ollama({ host: server.url })
  const simState = async (): Promise<SimState> =>
    (await fetch(`${server.url}/sim/state`)).json() as Promise<SimState>
  const waitFor = async (what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs
    while (!(await predicate())) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(engine.state())}`)
      await new Promise((r) => setTimeout(r, 5))
    }
  }
  /** A slot on `model`, given back when the scope closes. */
  const lease = (model: string) =>
    Effect.acquireRelease(
      Effect.tryPromise({ try: () => scheduler.acquire(model), catch: (e) => e as ConductorError }),
      (held) => Effect.sync(() => held.release()),
    )
  /** One request: lease its model, stream an answer to the end, give the lease back. */
  const ask = (model: string, numPredict = 12) =>
    Effect.scoped(
      Effect.gen(function* () {
        yield* lease(model)
        const numCtx = discovery.registry.get(model)?.numCtx ?? 8192
        const chunks = yield* Stream.runCollect(
          backend.generate(model, { prompt: `Tell me about ${model}`, numCtx, numPredict }),
        )
        return chunks.filter((c) => c.kind === "token").length
      }),
    )
  return {
    engine,
    server,
    runtime,
    residency,
    backend,
    lease,
    events,
    samples,
    ollama,
    simState,
    waitFor,
    ask,
  }
}

describe("one host's residency and scheduler over the Ollama adapter and the HTTP simulator", () => {
  it.each([["swap-aware", () => swapAwarePolicy({ minResidencyMs: 2_000, maxWaitMs: 20_000 })]])(
    "%s: three models contending for 24 GB never over-commit; the server never evicts on its own",
    async (_, policy) => {
      const env = await start({ policy: policy() })
      // 22 + 10.2 + 7.1 GB: the 32b model shares the GPU with nothing.
      const models = ["qwen2.5-coder:32b", "qwen2.5:14b", "llama3.1:8b"]
      // Together they need more than the budget: they must take turns.
      expect(models.map((m) => env.residency.get(m)?.bytes ?? 0).reduce((a, b) => a + b)).toBeGreaterThan(
        BUDGET,
      )
      const order = Array.from({ length: 24 }, (_, i) => models[(i * 7) % 3] as string)
      const answers = await env.runtime.runPromise(
        Effect.forEach(order, (m) => env.ask(m), { concurrency: 6 }),
      )
      expect(answers.every((n) => n > 0)).toBe(true)
      const final = await env.simState()
      expect(final.overcommits).toBe(0)
      expect(final.evictions).toBe(0)
      expect(Math.max(...env.samples.map((s) => s.vram.usedBytes))).toBeLessThanOrEqual(CAPACITY)
      expect(env.samples.length).toBeGreaterThan(10)
      // Conductor's budget agreed with the server: never more than the budget in use.
      const used = env.events.flatMap((e) => (e.type === "vram" ? [e.usedBytes] : []))
      expect(Math.max(...used)).toBeLessThanOrEqual(BUDGET)
      expect(env.events.some((e) => e.type === "model_evicted" && e.reason === "make_room")).toBe(true)
      // Each model was loaded, they took turns, and every load but those still resident was undone.
      expect(final.loads).toBeGreaterThanOrEqual(models.length)
      expect(final.unloads).toBeGreaterThanOrEqual(1)
      expect(final.loads - final.unloads).toBe(
        models.filter((m) => env.residency.get(m)?.state === "resident").length,
      )
    },
  )

  it("a model loaded outside Conductor is reconciled: adopted, counted, and evicted when room is needed", async () => {
    const env = await start({ reconcileIntervalMs: 1_000 })
    // With Conductor's context (without one, Ollama would give it 32768 on this GPU: 15 GB).
    await env.ollama.generate({
      model: "qwen2.5:14b",
      prompt: "",
      keep_alive: -1,
      options: { num_ctx: 8192 },
    })
    await env.waitFor("adoption", () => env.residency.get("qwen2.5:14b")?.state === "resident")
    expect(env.residency.get("qwen2.5:14b")).toMatchObject({ external: true, bytes: 10.2 * GB })
    expect(env.residency.budget.used).toBe(10.2 * GB)
    expect(env.events.find((e) => e.type === "reconciled")).toMatchObject({ adopted: ["qwen2.5:14b"] })
    // llama3.1:8b and mistral:7b together need the adopted model's room.
    await env.runtime.runPromise(
      Effect.all([env.ask("llama3.1:8b"), env.ask("mistral:7b")], { concurrency: 2 }),
    )
    expect(env.residency.get("qwen2.5:14b")?.state).toBe("unloaded")
    expect((await env.simState()).overcommits).toBe(0)
  })

  it("a load that runs out of memory marks the model and corrects its estimate", async () => {
    const env = await start()
    const before = env.residency.get("mistral:7b")?.bytes ?? 0
    const injected = await fetch(`${env.server.url}/sim/faults`, {
      method: "POST",
      body: JSON.stringify({ model: "mistral:7b", inject: { kind: "load_oom" } }),
    })
    expect(injected.status).toBe(200)
    const exit = await env.runtime.runPromiseExit(env.ask("mistral:7b"))
    expect(exit._tag).toBe("Failure")
    const failure = env.events.find((e) => e.type === "model_load_failed")
    expect(failure).toMatchObject({ model: "mistral:7b", reason: "OutOfMemory" })
    const m = env.residency.get("mistral:7b")
    expect(m).toMatchObject({ state: "unloaded", loadFailures: 1, lastError: { reason: "OutOfMemory" } })
    expect(m?.bytes).toBeGreaterThan(before)
    expect(env.residency.budget.used).toBe(0)
    // The next attempt loads it, and the estimate is corrected again from size_vram.
    expect(await env.runtime.runPromise(env.ask("mistral:7b"))).toBeGreaterThan(0)
    expect(env.residency.get("mistral:7b")?.bytes).toBe(5 * GB)
  })

  it("a backend crash resets residency", async () => {
    const env = await start({ reconcileIntervalMs: 1_000 })
    await env.runtime.runPromise(
      Effect.all([env.ask("llama3.1:8b"), env.ask("mistral:7b")], { concurrency: 2 }),
    )
    expect(env.residency.budget.used).toBe(12.1 * GB)
    await fetch(`${env.server.url}/sim/crash`, { method: "POST", body: "{}" })
    await env.waitFor("reset", () => env.residency.budget.used === 0)
    expect(env.residency.get("llama3.1:8b")?.state).toBe("unloaded")
    expect(env.residency.get("mistral:7b")?.state).toBe("unloaded")
    const crashed = env.events.filter((e) => e.type === "model_evicted" && e.reason === "crash")
    expect(crashed.map((e) => (e.type === "model_evicted" ? e.model : "")).sort()).toEqual([
      "llama3.1:8b",
      "mistral:7b",
    ])
    // And it recovers: the next request loads again.
    expect(await env.runtime.runPromise(env.ask("mistral:7b"))).toBeGreaterThan(0)
  })

  it("a cancelled request stops generating on the simulator and gives its lease back", async () => {
    const env = await start()
    // Slow enough that it cannot finish on its own while the test watches.
    env.engine.injectFault("mistral:7b", "slow", 1, { slowFactor: 1_000 })
    const first = { seen: false }
    const fiber = env.runtime.runFork(
      Effect.scoped(
        Effect.gen(function* () {
          yield* env.lease("mistral:7b")
          yield* Stream.runForEach(
            env.backend.generate("mistral:7b", {
              prompt: "Write a very long story",
              numCtx: 8192,
              numPredict: 100_000,
            }),
            () =>
              Effect.sync(() => {
                first.seen = true
              }),
          )
        }),
      ),
    )
    await env.waitFor("the first token", () => first.seen)
    expect((await env.simState()).runners[0]?.active).toBe(1)
    await env.runtime.runPromise(Fiber.interrupt(fiber))
    await env.waitFor("the simulator to stop", async () => {
      const s = await env.simState()
      return s.runners[0]?.active === 0 && s.requests.cancelled === 1
    })
    expect(env.residency.get("mistral:7b")?.leases).toBe(0)
    const failed = await env.runtime.runPromiseExit(Fiber.join(fiber))
    expect(failed._tag).toBe("Failure")
  })
})
