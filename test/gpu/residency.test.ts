import { describe, expect, it } from "vitest"
import { fromServerError } from "../../src/backends/errors.js"
import { isConductorError } from "../../src/domain/errors.js"
import { GB, gpuEnv, tinyCi, track } from "../support/gpu-env.js"

/** Load a model outside Conductor, as another Ollama client would. */
const loadOutside = async (env: Awaited<ReturnType<typeof gpuEnv>>, model: string) => {
  const done = env.engine.generate({ model, prompt: "", keep_alive: -1 })
  await env.clock.advance(5_000)
  await done
}

describe("gpu/residency (virtual time, in-process simulator)", () => {
  it("loads within the budget and corrects the estimate from size_vram", async () => {
    const env = await gpuEnv()
    const estimate = env.residency.get("qwen3:4b")?.bytes ?? 0
    const load = track(env.residency.load("qwen3:4b"))
    expect(env.residency.get("qwen3:4b")?.state).toBe("loading")
    await env.clock.advance(1_000)
    expect(load.settled && load.error === undefined).toBe(true)
    const m = env.residency.get("qwen3:4b")
    // The simulator's cold load: the 2.5 GB file at tiny-ci's 20 GB/s plus 0.2 s start-up.
    expect(m).toMatchObject({ state: "resident", bytes: 3 * GB, leases: 0, loadMs: 325 })
    expect(env.budget.used).toBe(3 * GB)
    expect(env.ofType("model_loading")[0]).toMatchObject({ model: "qwen3:4b", bytes: estimate })
    expect(env.ofType("model_loaded")[0]).toMatchObject({ model: "qwen3:4b", bytes: 3 * GB, loadMs: 325 })
    expect(env.ofType("vram").at(-1)).toMatchObject({ usedBytes: 3 * GB, budgetBytes: 16 * GB })
  })

  it("at the server's loaded-model limit, a load waits for the unload under way instead of letting the server pick a victim", async () => {
    // A GPU big enough that memory is never what a load waits for.
    const env = await gpuEnv({
      profile: { ...tinyCi(), gpus: [{ name: "Simulated 64 GB GPU", vramGb: 64 }] },
    })
    const simLog: string[] = []
    env.engine.subscribe((e) => {
      if (e.type === "unloaded" || e.type === "load_started") simLog.push(`${e.type} ${e.model}`)
    })
    for (const m of ["qwen3:4b", "mistral:7b", "qwen2-math:7b"]) {
      void env.residency.load(m)
      await env.clock.advance(3_000)
    }
    // Three loaded (tiny-ci's limit), one of them busy.
    const busy = await env.residency.lease("mistral:7b")
    expect(env.residency.evict("qwen3:4b", "make_room")).toBe(true)
    const load = track(env.residency.load("deepseek-coder:6.7b"))
    expect(env.residency.get("deepseek-coder:6.7b")?.waitingForMemory).toBe(true)
    await env.clock.advance(5_000)
    expect(load.settled && load.error === undefined).toBe(true)
    expect(simLog.indexOf("unloaded qwen3:4b")).toBeLessThan(
      simLog.indexOf("load_started deepseek-coder:6.7b"),
    )
    // The simulated Ollama never had to choose a victim of its own (it would take the busy one).
    expect(env.engine.state().evictions).toBe(0)
    expect(env.residency.get("mistral:7b")?.state).toBe("resident")
    busy?.release()
  })

  it("a load the server holds for a runner whose keep-alive our requests restored (ollama#17408) gets the unload it waits for", async () => {
    const env = await gpuEnv({
      profile: { ...tinyCi(), gpus: [{ name: "Simulated 64 GB GPU", vramGb: 64 }] },
    })
    const simLog: string[] = []
    env.engine.subscribe((e) => {
      if (e.type === "resurrected" || e.type === "unloaded" || e.type === "load_failed")
        simLog.push(`${e.type} ${e.model}`)
    })
    for (const m of ["qwen3:4b", "mistral:7b"]) {
      void env.residency.load(m)
      await env.clock.advance(3_000)
    }
    // mistral:7b stays busy, as Conductor's scheduler keeps it: two clients (one slot, one waiting
    // for it) send request after request (keep_alive -1, its num_ctx) on leases while it is resident.
    const numCtx = env.specs.find((s) => s.name === "mistral:7b")?.numCtx ?? 0
    const client = async () => {
      while (env.residency.get("mistral:7b")?.state === "resident") {
        const lease = env.residency.lease("mistral:7b")
        await env.engine
          .generate({
            model: "mistral:7b",
            prompt: "What is DNS?",
            keep_alive: -1,
            options: { num_ctx: numCtx },
          })
          .then(async (r) => {
            if (r.kind === "stream") while ((await r.rest.next()).done !== true);
          })
          .catch(() => undefined)
        lease?.release()
      }
    }
    const traffic = Promise.all([client(), client()])
    await env.clock.advance(1_000)
    // The load fails out of memory; Ollama's retry evicts every other model and waits for all
    // their unloads, but the busy one's keep-alive is restored by the next request (forever).
    env.engine.injectFault("deepseek-coder:6.7b", "load_oom")
    const load = track(env.residency.load("deepseek-coder:6.7b"))
    for (let t = 0; t < 50_000 && !load.settled; t += 1_000) await env.clock.advance(1_000)
    expect(simLog).toContain("resurrected mistral:7b")
    // Before the 60 s load timeout: Conductor drained mistral:7b, its unload moved the server on,
    // and the retry's own failure came back (not a Timeout counted against the model).
    expect(load.settled).toBe(true)
    expect(isConductorError(load.error) && load.error.reason).toBe("OutOfMemory")
    expect(env.ofType("model_draining")).toMatchObject([{ model: "mistral:7b" }])
    expect(simLog.indexOf("unloaded mistral:7b")).toBeLessThan(
      simLog.lastIndexOf("load_failed deepseek-coder:6.7b"),
    )
    expect(env.residency.get("qwen3:4b")?.state).toBe("unloaded")
    await traffic
  })

  it("never runs two loads on one host", async () => {
    const env = await gpuEnv()
    void env.residency.load("qwen3:4b")
    await expect(env.residency.load("mistral:7b")).rejects.toThrow(/one load per host/)
    await env.clock.advance(1_000)
  })

  it("a load that does not fit waits for its memory; the simulated GPU never over-commits", async () => {
    const env = await gpuEnv()
    void env.residency.load("qwen2.5:14b")
    await env.clock.advance(2_000)
    const second = track(env.residency.load("llama3.1:8b"))
    await env.clock.advance(5_000)
    expect(second.settled).toBe(false)
    expect(env.residency.get("llama3.1:8b")).toMatchObject({ state: "loading", waitingForMemory: true })
    expect(env.residency.evict("qwen2.5:14b", "make_room")).toBe(true)
    for (let t = 0; t < 3_000; t += 50) {
      await env.clock.advance(50)
      expect(env.simUsed()).toBeLessThanOrEqual(16 * GB)
    }
    expect(second.settled && second.error === undefined).toBe(true)
    expect(env.engine.state().overcommits).toBe(0)
    expect(env.engine.state().evictions).toBe(0)
  })

  it("evicts only idle models, drains busy ones and never evicts pinned ones", async () => {
    const env = await gpuEnv({ pinned: ["qwen3:4b"] })
    void env.residency.load("mistral:7b")
    await env.clock.advance(1_000)
    void env.residency.load("qwen3:4b")
    await env.clock.advance(1_000)
    const lease = env.residency.lease("mistral:7b")
    expect(lease).toBeDefined()
    expect(env.residency.evict("mistral:7b", "make_room")).toBe(false)
    expect(env.residency.evict("qwen3:4b", "make_room")).toBe(false)
    expect(env.residency.drain("mistral:7b")).toBe(true)
    expect(env.residency.get("mistral:7b")?.state).toBe("draining")
    lease?.release()
    lease?.release()
    expect(env.residency.get("mistral:7b")?.state).toBe("unloading")
    await env.clock.advance(1_500)
    expect(env.residency.get("mistral:7b")).toMatchObject({ state: "unloaded", leases: 0 })
    expect(env.budget.used).toBe(3 * GB)
    expect(env.ofType("model_evicted").map((e) => [e.model, e.reason])).toEqual([["mistral:7b", "make_room"]])
  })

  it("unloads a model idle for idleTimeout, keeps pinned ones, and a lease restarts the clock", async () => {
    const env = await gpuEnv({ pinned: ["qwen3:4b"], residency: { idleTimeoutMs: 60_000 } })
    void env.residency.load("mistral:7b")
    await env.clock.advance(1_000)
    void env.residency.load("qwen3:4b")
    await env.clock.advance(1_000)
    await env.clock.advance(30_000)
    env.residency.lease("mistral:7b")?.release()
    await env.clock.advance(59_000)
    expect(env.residency.get("mistral:7b")?.state).toBe("resident")
    await env.clock.advance(2_000)
    expect(env.residency.get("mistral:7b")?.state).toBe("unloaded")
    expect(env.ofType("model_evicted")).toMatchObject([{ model: "mistral:7b", reason: "idle" }])
    await env.clock.advance(3_600_000)
    expect(env.residency.get("qwen3:4b")?.state).toBe("resident")
  })

  it("reconciliation adopts a model loaded outside Conductor and counts its memory", async () => {
    const env = await gpuEnv()
    await loadOutside(env, "mistral:7b")
    const result = await env.residency.reconcile()
    expect(result).toEqual({ adopted: ["mistral:7b"], vanished: [], corrected: [] })
    // The other client sent no num_ctx: Ollama gave it the default for a 16 GB GPU, 4096 tokens
    // (the profile quotes 5 GB at 8192), and Conductor counts what /api/ps reports.
    const bytes = 5 * GB - 131072 * 4096
    expect(env.residency.get("mistral:7b")).toMatchObject({ state: "resident", external: true, bytes })
    expect(env.budget.used).toBe(bytes)
    expect(env.ofType("reconciled")).toHaveLength(1)
    expect(await env.residency.reconcile()).toEqual({ adopted: [], vanished: [], corrected: [] })
  })

  it("reconciliation releases a model someone else unloaded", async () => {
    const env = await gpuEnv()
    void env.residency.load("qwen3:4b")
    await env.clock.advance(1_000)
    void env.engine.generate({ model: "qwen3:4b", prompt: "", keep_alive: 0 })
    await env.clock.advance(1_000)
    expect(await env.residency.reconcile()).toEqual({ adopted: [], vanished: ["qwen3:4b"], corrected: [] })
    expect(env.residency.get("qwen3:4b")?.state).toBe("unloaded")
    expect(env.budget.used).toBe(0)
    expect(env.ofType("model_evicted")).toMatchObject([{ model: "qwen3:4b", reason: "reconciled" }])
  })

  it("a backend crash resets every model and voids leases taken before it", async () => {
    const env = await gpuEnv()
    void env.residency.load("qwen3:4b")
    await env.clock.advance(1_000)
    void env.residency.load("mistral:7b")
    await env.clock.advance(1_000)
    const stale = env.residency.lease("qwen3:4b")
    env.engine.crash()
    const result = await env.residency.reconcile()
    expect([...result.vanished].sort()).toEqual(["mistral:7b", "qwen3:4b"])
    expect(env.ofType("model_evicted").map((e) => e.reason)).toEqual(["crash", "crash"])
    expect(env.budget.used).toBe(0)
    void env.residency.load("qwen3:4b")
    await env.clock.advance(1_000)
    const fresh = env.residency.lease("qwen3:4b")
    stale?.release()
    expect(env.residency.get("qwen3:4b")?.leases).toBe(1)
    fresh?.release()
    expect(env.residency.get("qwen3:4b")?.leases).toBe(0)
  })

  it("a load that runs out of memory marks the model and raises its estimate", async () => {
    const env = await gpuEnv()
    const before = env.residency.get("mistral:7b")?.bytes ?? 0
    env.engine.injectFault("mistral:7b", "load_oom")
    const load = track(env.residency.load("mistral:7b"))
    await env.clock.advance(2_000)
    expect(isConductorError(load.error) && load.error.reason).toBe("OutOfMemory")
    const m = env.residency.get("mistral:7b")
    expect(m).toMatchObject({ state: "unloaded", loadFailures: 1, lastError: { reason: "OutOfMemory" } })
    expect(m?.bytes).toBeGreaterThan(before)
    expect(env.budget.used).toBe(0)
    expect(env.ofType("model_load_failed")).toMatchObject([{ model: "mistral:7b", reason: "OutOfMemory" }])
    // Ollama's own wording, when it gives the size, travels with the error and is believed.
    expect(
      fromServerError(500, "model requires more system memory (5.9 GiB) than is available (3.2 GiB)").details,
    ).toEqual({ requiredBytes: Math.round(5.9 * 1024 ** 3) })
  })

  it("refuses a model larger than the budget, and a load slower than loadTimeout fails with Timeout", async () => {
    const env = await gpuEnv({ residency: { loadTimeoutMs: 300 } })
    await expect(env.residency.load("qwen2.5-coder:32b")).rejects.toMatchObject({ reason: "OutOfMemory" })
    const slow = track(env.residency.load("qwen2.5:14b"))
    await env.clock.advance(400)
    expect(isConductorError(slow.error) && slow.error.reason).toBe("Timeout")
    expect(env.residency.get("qwen2.5:14b")?.state).toBe("unloaded")
    // Giving up closed the request, and Ollama aborts a load whose client went away ("client
    // connection closed before llama-server finished loading"): nothing is left to adopt.
    await env.clock.advance(1_000)
    expect((await env.residency.reconcile()).adopted).toEqual([])
    expect(env.engine.state().runners).toEqual([])
  })
})
