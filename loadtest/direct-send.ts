/**
 * One request of the `ollama` baseline: a load-tester client straight to a simulated Ollama's
 * `/api/generate` (streamed), no Conductor in between, recorded as Conductor's own events so the
 * same recorder scores it; `followEngine` turns the simulated server's own events (loads,
 * unloads) into the recorder's and keeps each model's load intervals. Queue wait is what the request spent neither loading nor computing: in
 * the scheduler's queue for its runner, then for a slot on the runner.
 */
import { fromThrown } from "../src/backends/errors.js"
import type { SimEngine } from "../src/backends/sim/engine.js"
import type { ConductorRequest } from "../src/conductor.js"
import type { TimeSource } from "../src/time/clock.js"
import type { Recorder } from "./recorder.js"

export interface DirectSend {
  readonly engine: SimEngine
  readonly clock: TimeSource
  readonly recorder: Recorder
  /** How long of `from`..`to` this request's model was loading (its runner's load). */
  readonly loadingWithin: (model: string, from: number, to: number) => number
}

export const sendDirect = async (
  d: DirectSend,
  id: string,
  model: string | undefined,
  request: ConductorRequest,
): Promise<void> => {
  const { engine, clock, recorder } = d
  const sentAt = clock.now()
  recorder.event({ type: "accepted", id })
  if (model === undefined) {
    recorder.event({
      type: "failed",
      id,
      reason: "NoModelAvailable",
      message: "no model for it",
      attempts: [],
    })
    return
  }
  recorder.event({ type: "started", id, model, attempt: 1 })
  let firstTokenAt: number | undefined
  try {
    const response = await engine.generate({
      model,
      prompt: request.prompt ?? "",
      stream: true,
      ...(request.options?.numPredict !== undefined
        ? { options: { num_predict: request.options.numPredict } }
        : {}),
    })
    if (response.kind === "single") throw new Error("stream ended without a done chunk")
    let part = response.first
    for (;;) {
      if (firstTokenAt === undefined && (part.response !== "" || (part.thinking ?? "") !== "")) {
        firstTokenAt = clock.now()
      }
      if (part.done) {
        // Let the stream finish: the runner is released when it ends.
        await response.cancel()
        break
      }
      const next = await response.rest.next()
      if (next.done === true) throw new Error("stream ended without a done chunk")
      part = next.value
    }
    const done = part as typeof part & {
      load_duration?: number
      prompt_eval_count?: number
      prompt_eval_duration?: number
      eval_count?: number
      eval_duration?: number
    }
    const now = clock.now()
    const gotRunnerAt = sentAt + (done.load_duration ?? 0) / 1e6
    const loadMs = d.loadingWithin(model, sentAt, gotRunnerAt)
    // The time it held a slot computing; the rest, beside its own load, it waited.
    const promptEvalMs = (done.prompt_eval_duration ?? 0) / 1e6
    const evalMs = (done.eval_duration ?? 0) / 1e6
    recorder.event({
      type: "completed",
      id,
      model,
      tier: "fast",
      taskType: "general_qa",
      text: "",
      reason: "explicit_override",
      finishReason: done.done_reason === "length" ? "length" : "stop",
      usage: { promptTokens: done.prompt_eval_count ?? 0, evalTokens: done.eval_count ?? 0 },
      timings: {
        queueMs: Math.max(0, now - sentAt - loadMs - promptEvalMs - evalMs),
        loadMs,
        firstTokenMs: firstTokenAt === undefined ? undefined : firstTokenAt - sentAt,
        totalMs: now - sentAt,
        backendMs: promptEvalMs + evalMs,
        promptEvalMs,
        evalMs,
      },
      attempts: [{ model, outcome: "completed" }],
      warnings: [],
      labels: [],
    })
  } catch (e) {
    const error = fromThrown(e, model)
    recorder.event({
      type: "failed",
      id,
      reason: error.reason,
      message: error.message,
      attempts: [{ model, outcome: "failed", reason: error.reason, message: error.message }],
    })
  }
}

/**
 * Follow one simulated server: its loads and unloads become the recorder's events (`vram` as
 * `onMemory` reports it), and its load intervals answer `loadingWithin`. Returns the send context
 * for that server and the unsubscribe.
 */
export const followEngine = (
  engine: SimEngine,
  clock: TimeSource,
  recorder: Recorder,
  onMemory: () => void,
): { readonly direct: DirectSend; readonly unsubscribe: () => void } => {
  /** Each model's loads, as [start, end) on the clock. */
  const loads = new Map<string, Array<{ start: number; end: number }>>()
  const loadingSince = new Map<string, number>()
  const unsubscribe = engine.subscribe((e) => {
    switch (e.type) {
      case "load_started":
        loadingSince.set(e.model, e.at)
        return onMemory()
      case "loaded": {
        const start = loadingSince.get(e.model) ?? e.at - e.loadMs
        loadingSince.delete(e.model)
        const list = loads.get(e.model) ?? []
        list.push({ start, end: e.at })
        loads.set(e.model, list)
        recorder.event({ type: "model_loaded", model: e.model, bytes: e.bytes, loadMs: e.loadMs })
        return onMemory()
      }
      case "load_failed":
        loadingSince.delete(e.model)
        return onMemory()
      case "unload_started":
        recorder.event({
          type: "model_evicted",
          model: e.model,
          reason: e.reason === "expired" ? "idle" : "make_room",
          bytes: 0,
        })
        return
      case "unloaded":
      case "crashed":
        return onMemory()
      default:
        return
    }
  })
  /** How much of [from, to) the model spent loading. */
  const loadingWithin = (model: string, from: number, to: number): number => {
    let ms = 0
    for (const l of loads.get(model) ?? []) ms += Math.max(0, Math.min(to, l.end) - Math.max(from, l.start))
    return ms
  }
  return { direct: { engine, clock, recorder, loadingWithin }, unsubscribe }
}
