/**
 * The simulated GPU host: Ollama's API as methods (generate, chat, embed, embeddings, list, show,
 * ps, version) over the scheduler replica, with timed token streams, parallel slots, thinking,
 * tool calls, embedding vectors, seeded faults and run-time control (faults, crash, unreachable
 * windows). Requests are ollama-js's own types and responses Ollama's JSON shapes (`wire.ts`), so
 * the in-process adapter and the HTTP server (`http.ts`, a thin layer over this) share one
 * contract; tests and the load tester use it in-process.
 */
import { setMaxListeners } from "node:events"
import type {
  ChatRequest,
  EmbeddingsRequest,
  EmbeddingsResponse,
  EmbedRequest,
  GenerateRequest,
  VersionResponse,
} from "ollama"
import { ScaledClock, type TimeSource } from "../../time/clock.js"
import type {
  WireChatChunk,
  WireEmbed,
  WireGenerateChunk,
  WirePsEntry,
  WireShowBody,
  WireTagsEntry,
  WireToolCall,
} from "../ollama/wire.js"
import { type Plan, planAnswer } from "./answer-plan.js"
import { modelDigest } from "./digest.js"
import { normalised, rawEmbedding } from "./embeddings.js"
import {
  badRequest,
  modelRequired,
  notFound,
  notPulled,
  runnerCrashed,
  runtimeError,
  SimError,
  unreachable,
} from "./errors.js"
import { type FaultKind, type FaultState, Faults } from "./faults.js"
import { fullModelName } from "./model-name.js"
import { OllamaScheduler, type SchedulerEvent, type SchedulerSnapshot } from "./ollama-scheduler.js"
import { parallelOf, parameterCount, type SimModelSpec, type SimProfile } from "./profile.js"
import {
  type Conversation,
  isPlainObject,
  parseKeepAliveOrThrow,
  parseOptions,
  parseThink,
  readConversation,
  readEmbedInput,
} from "./requests.js"
import type { Runner } from "./runner.js"
import { hashString } from "./text/random.js"
import { offeredTools } from "./tool-calls.js"

/** Request bodies: ollama-js's types, every field optional (the engine checks them as Ollama does). */
export type SimGenerateRequest = Partial<Omit<GenerateRequest, "think">> & { think?: ThinkValue }
export type SimChatRequest = Partial<Omit<ChatRequest, "think">> & { think?: ThinkValue }
/** api.ThinkValue (ollama-js does not list "max" yet). */
export type ThinkValue = NonNullable<ChatRequest["think"]> | "max"
export type SimEmbedRequest = Partial<EmbedRequest>
export type SimEmbeddingsRequest = Partial<EmbeddingsRequest>

/** The legacy `/api/embeddings` answer. */
export type SimEmbeddingResponse = EmbeddingsResponse

/**
 * A response. `single`: one JSON object, sent as is (load, unload). `stream`: the first chunk is
 * ready (scheduling, prompt evaluation and the first token happened, or the answer is empty);
 * `rest` yields the others and may throw a SimError mid-stream. Call `cancel()` to abandon it.
 */
export type SimResponse<P extends WireChatChunk | WireGenerateChunk = WireChatChunk | WireGenerateChunk> =
  | { readonly kind: "single"; readonly body: P }
  | {
      readonly kind: "stream"
      readonly first: P
      readonly rest: AsyncIterator<P>
      readonly cancel: () => Promise<void>
    }

export type SimEvent =
  | SchedulerEvent
  | { readonly type: "request_started"; readonly model: string; readonly at: number }
  | {
      readonly type: "request_finished"
      readonly model: string
      readonly outcome: "completed" | "failed" | "cancelled"
      readonly tokens: number
      readonly at: number
    }
  | { readonly type: "unreachable"; readonly untilMs: number; readonly at: number }
  | { readonly type: "reachable"; readonly at: number }

export interface SimState extends SchedulerSnapshot {
  readonly profile: string
  readonly now: number
  readonly timeScale: number
  readonly unreachableUntil: number | undefined
  readonly faults: FaultState
  readonly requests: {
    readonly started: number
    readonly completed: number
    readonly failed: number
    readonly cancelled: number
    readonly tokens: number
  }
}

export interface EngineOptions {
  readonly clock?: TimeSource
  /** Overrides the profile's time scale (ignored when a clock is given). */
  readonly timeScale?: number
  /** Overrides the profile's seed. */
  readonly seed?: number
  /** Overrides the profile's `loadCostScale` (every load time is multiplied by it). */
  readonly loadCostScale?: number
}

/** Tokens the chat template and system prompt add around the user's text. */
const TEMPLATE_TOKENS = 12
/** Tokens an image takes in a vision model's prompt. */
const IMAGE_TOKENS = 576
/** An embedding input's special tokens ([CLS] … [SEP]). */
const EMBED_SPECIAL_TOKENS = 2
/**
 * Per-stream slowdown for each other generation running on the GPU at the same time (the load
 * tester's ceiling counts it: two models serving at once each run this much slower).
 */
export const STREAM_SLOWDOWN = 0.1

// Every chunk of every stream carries `created_at`: the string is made once per millisecond.
let isoAt = Number.NaN
let isoText = ""
const iso = (epochMs: number): string => {
  const at = Math.floor(epochMs)
  if (at !== isoAt) {
    isoAt = at
    isoText = new Date(at).toISOString()
  }
  return isoText
}
const ns = (ms: number): number => Math.max(0, Math.round(ms * 1e6))

/** When every simulated model was "pulled" (list and show's `modified_at`). */
const MODIFIED_AT = Date.UTC(2026, 0, 1)

/** What a final chunk reports, in milliseconds of simulated time. */
interface Metrics {
  readonly totalMs: number
  readonly loadMs: number
  readonly promptTokens: number
  readonly promptMs: number
  readonly evalMs: number
  readonly evalCount: number
}

/** How one endpoint's chunks look (`/api/chat` or `/api/generate`). */
interface Shape<P> {
  token(text: string): P
  thinking(text: string): P
  calls(calls: ReadonlyArray<WireToolCall>): P
  /**
   * The last chunk; `content` is what a cut tool call leaves (Ollama's tool parser flushes it);
   * no metrics for load and unload answers (Go's omitempty leaves them out).
   */
  final(doneReason: string, content: string, metrics: Metrics | undefined): P
}

const wireMetrics = (m: Metrics) => ({
  total_duration: ns(m.totalMs),
  load_duration: ns(m.loadMs),
  prompt_eval_count: m.promptTokens,
  prompt_eval_duration: ns(m.promptMs),
  eval_count: m.evalCount,
  eval_duration: ns(m.evalMs),
})

export class SimEngine {
  readonly clock: TimeSource
  readonly seed: number
  private readonly faults: Faults
  private readonly scheduler: OllamaScheduler
  private readonly models: ReadonlyMap<string, SimModelSpec>
  private readonly listeners = new Set<(e: SimEvent) => void>()
  private unreachableUntil: number | undefined
  private counters = { started: 0, completed: 0, failed: 0, cancelled: 0, tokens: 0 }
  /** Aborted on close: every generation and timer stops. */
  /**
   * Aborts when the engine closes. Every request without a signal of its own waits on it (for its
   * runner, for a slot), so it legitimately has as many listeners as requests waiting.
   */
  private readonly lifetime = unboundedController()
  /**
   * Stop controllers of the generations in flight that were given a signal: `close` aborts them
   * with the lifetime (what `AbortSignal.any` did, without its weak-reference bookkeeping per
   * request). A generation removes its own when it ends.
   */
  private readonly linked = new Set<AbortController>()

  constructor(
    readonly profile: SimProfile,
    options: EngineOptions = {},
  ) {
    this.clock = options.clock ?? new ScaledClock(options.timeScale ?? profile.timeScale)
    this.seed = options.seed ?? profile.seed
    this.models = new Map(profile.models.map((m) => [m.name, m]))
    this.faults = new Faults(profile.faults, profile.models, this.seed)
    this.scheduler = new OllamaScheduler(
      profile,
      this.clock,
      this.faults,
      (e) => this.emit(e),
      options.loadCostScale ?? profile.loadCostScale,
    )
  }

  get timeScale(): number {
    return this.clock instanceof ScaledClock ? this.clock.scale : 1
  }

  // ---------------------------------------------------------------- events and state

  subscribe(listener: (e: SimEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit(e: SimEvent): void {
    for (const l of this.listeners) l(e)
  }

  state(): SimState {
    return {
      profile: this.profile.name,
      now: this.clock.now(),
      timeScale: this.timeScale,
      unreachableUntil: this.isUnreachable() ? this.unreachableUntil : undefined,
      faults: this.faults.state(),
      requests: { ...this.counters },
      ...this.scheduler.snapshot(),
    }
  }

  /** Resolves once no runner of `name` holds memory (an unload has finished, or none was needed). */
  async memoryReleased(name: string): Promise<void> {
    for (
      let r = this.scheduler.runner(name);
      r !== undefined && r.state === "unloading";
      r = this.scheduler.runner(name)
    ) {
      await r.unloaded
    }
  }

  // ---------------------------------------------------------------- control

  setFaults(model: string | undefined, settings: Parameters<Faults["set"]>[1]): void {
    if (model !== undefined && !this.models.has(model)) throw notFound(model)
    this.faults.set(model, settings)
  }

  injectFault(
    model: string,
    kind: FaultKind,
    count = 1,
    options: { stallSec?: number; slowFactor?: number } = {},
  ) {
    if (!this.models.has(model)) throw notFound(model)
    this.faults.inject(model, kind, count, options)
  }

  clearFaults(): void {
    this.faults.clear()
  }

  /** Every runner dies: in-flight generations fail, memory is freed, the next request reloads. */
  crash(): void {
    this.scheduler.crash()
  }

  /** Multiply every later load time by `scale` (the load-cost sweep: 0.5, 1, 2). */
  setLoadCostScale(scale: number): void {
    this.scheduler.setLoadCostScale(scale)
  }

  /** Empty the host's page cache: every model's next load reads its file from disk (cold). */
  dropPageCache(): void {
    this.scheduler.pageCache.drop()
  }

  /** Refuse every request (connections, over HTTP) for `ms` simulated milliseconds. */
  unreachableFor(ms: number): void {
    this.unreachableUntil = this.clock.now() + ms
    this.emit({ type: "unreachable", untilMs: this.unreachableUntil, at: this.clock.now() })
    const until = this.unreachableUntil
    void this.clock.sleep(ms, this.lifetime.signal).then(
      () => {
        if (this.unreachableUntil === until) this.emit({ type: "reachable", at: this.clock.now() })
      },
      () => undefined,
    )
  }

  isUnreachable(): boolean {
    return this.unreachableUntil !== undefined && this.clock.now() < this.unreachableUntil
  }

  close(): void {
    this.lifetime.abort()
    for (const ctl of this.linked) ctl.abort(this.lifetime.signal.reason)
    this.linked.clear()
  }

  private guard(): void {
    if (this.isUnreachable()) throw unreachable()
  }

  // ---------------------------------------------------------------- catalogue

  version(): VersionResponse {
    this.guard()
    return { version: this.profile.version }
  }

  private details(m: SimModelSpec) {
    return {
      parent_model: "",
      format: "gguf",
      family: m.family,
      families: [m.family],
      parameter_size: m.parameterSize,
      quantization_level: m.quantisation,
    }
  }

  list(): { models: WireTagsEntry[] } {
    this.guard()
    const modified = iso(MODIFIED_AT)
    return {
      models: this.profile.models.map((m) => ({
        name: m.name,
        model: m.name,
        modified_at: modified,
        size: Math.round(m.sizeGb * 1e9),
        digest: modelDigest(m.name),
        details: this.details(m),
      })),
    }
  }

  show(name: unknown): WireShowBody {
    this.guard()
    if (typeof name !== "string" || name === "") throw badRequest("model is required")
    const m = this.lookup(name)
    const arch = m.family
    return {
      license: "",
      modelfile: `# Modelfile generated by "ollama show"\nFROM ${m.name}\nTEMPLATE {{ .Prompt }}\n`,
      parameters: "",
      template: "{{ .Prompt }}",
      details: this.details(m),
      model_info: {
        "general.architecture": arch,
        "general.parameter_count": parameterCount(m.parameterSize),
        "general.file_type": m.quantisation === "F16" ? 1 : 15,
        [`${arch}.context_length`]: m.contextLength,
        [`${arch}.block_count`]: m.layers,
        [`${arch}.attention.head_count`]: m.heads,
        [`${arch}.attention.head_count_kv`]: m.kvHeads,
        [`${arch}.embedding_length`]: m.embeddingLength,
        ...(m.capabilities.includes("embedding") ? { [`${arch}.pooling_type`]: 1 } : {}),
      },
      capabilities: [...m.capabilities],
      modified_at: iso(MODIFIED_AT),
    }
  }

  ps(): { models: WirePsEntry[] } {
    this.guard()
    const runners = this.scheduler.loadedRunners()
    const now = this.clock.now()
    const farFuture = this.clock.epochMs() + 292 * 365.25 * 24 * 3600 * 1000
    const models = runners.map((r) => {
      // Ollama shows the expiry set when the runner last went idle (kept while requests hold it),
      // or now + keep-alive before it first went idle (loadedModels).
      const at = r.lastExpiresAt ?? now + r.sessionMs
      const expires = Number.isFinite(at) ? this.clock.epochMs() + (at - now) : farFuture
      return {
        name: r.name,
        model: r.name,
        size: r.bytes,
        digest: modelDigest(r.name),
        details: this.details(r.model),
        expires_at: iso(expires),
        size_vram: r.gpuBytes,
        context_length: r.numCtx,
        _expires: expires,
      }
    })
    models.sort((a, b) => b._expires - a._expires)
    return { models: models.map(({ _expires, ...m }) => m) }
  }

  /** The model's profile entry, if it is installed (`name` or `name:latest`). */
  find(name: string): SimModelSpec | undefined {
    return this.models.get(name) ?? this.models.get(name.includes(":") ? name : `${name}:latest`)
  }

  private lookup(name: string, missing: (n: string) => SimError = notFound): SimModelSpec {
    const m = this.find(name)
    if (m === undefined) throw missing(name)
    return m
  }

  // ---------------------------------------------------------------- generation

  generate(req: SimGenerateRequest, signal?: AbortSignal): Promise<SimResponse<WireGenerateChunk>> {
    return this.run("generate", req, signal)
  }

  chat(req: SimChatRequest, signal?: AbortSignal): Promise<SimResponse<WireChatChunk>> {
    return this.run("chat", req, signal)
  }

  private run(kind: "chat", req: SimChatRequest, signal?: AbortSignal): Promise<SimResponse<WireChatChunk>>
  private run(
    kind: "generate",
    req: SimGenerateRequest,
    signal?: AbortSignal,
  ): Promise<SimResponse<WireGenerateChunk>>
  private async run(
    kind: "generate" | "chat",
    req: SimGenerateRequest | SimChatRequest,
    signal: AbortSignal | undefined,
  ): Promise<SimResponse> {
    this.guard()
    const t0 = this.clock.now()
    if (typeof req.model !== "string" || req.model === "") {
      throw kind === "chat" ? modelRequired() : notFound(typeof req.model === "string" ? req.model : "")
    }
    const model = this.lookup(req.model)
    const keepAliveMs = req.keep_alive === undefined ? undefined : parseKeepAliveOrThrow(req.keep_alive)
    const options = parseOptions(req.options)
    let think = parseThink(req.think)
    const tools = kind === "chat" ? offeredTools((req as SimChatRequest).tools) : []
    const chat: Conversation | undefined =
      kind === "chat" ? readConversation((req as SimChatRequest).messages) : undefined
    const text = chat !== undefined ? chat.text : this.promptOf(req as SimGenerateRequest)
    const name = req.model
    const shape: Shape<WireChatChunk | WireGenerateChunk> =
      kind === "chat" ? this.chatShape(name) : this.generateShape(name, text)

    if (text === "" && keepAliveMs === 0) {
      this.scheduler.expire(model.name)
      return { kind: "single", body: shape.final("unload", "", undefined) }
    }
    // The handlers' capability checks, in their order (server/routes.go): thinking first, then
    // what scheduleRunner checks before it schedules anything.
    const caps = model.capabilities
    if (caps.includes("thinking")) think ??= "medium"
    else if (think !== undefined && think !== false) throw badRequest(`"${name}" does not support thinking`)
    if (!caps.includes("completion")) {
      throw badRequest(`"${name}" does not support ${kind === "chat" ? "chat" : "generate"}`)
    }
    if (tools.length > 0 && !caps.includes("tools")) {
      throw badRequest(`${fullModelName(model.name)} does not support tools`)
    }
    const suffix = (req as SimGenerateRequest).suffix
    if (kind === "generate" && typeof suffix === "string" && suffix !== "" && !caps.includes("insert")) {
      throw badRequest(`${fullModelName(model.name)} does not support insert`)
    }

    const runner = await this.scheduler.acquire(model, options.num_ctx, keepAliveMs, signal)
    const loadedAt = this.clock.now()
    const numCtx = runner.numCtx
    if (text === "") {
      this.scheduler.release(runner)
      return { kind: "single", body: shape.final("load", "", undefined) }
    }
    const promptTokens =
      Math.ceil(text.length / 4) + TEMPLATE_TOKENS + IMAGE_TOKENS * this.imagesOf(req, chat)
    const room = Math.max(0, numCtx - promptTokens)
    const limit = options.num_predict !== undefined && options.num_predict >= 0 ? options.num_predict : room
    const format = req.format === "" || req.format === undefined ? undefined : req.format
    const plan = planAnswer({
      model,
      text,
      chat,
      tools,
      think,
      seed: options.seed ?? this.seed,
      limit,
      stop: options.stop,
      format: isPlainObject(format) || format === "json" ? format : undefined,
    })

    this.counters.started++
    this.emit({ type: "request_started", model: model.name, at: t0 })
    const it = this.stream(runner, model, plan, promptTokens, signal, shape, t0, loadedAt)
    const first = await it.next()
    if (first.done === true) throw new Error("simulator: empty generation stream")
    return {
      kind: "stream",
      first: first.value,
      rest: it,
      cancel: async () => void (await it.return?.(undefined)),
    }
  }

  private imagesOf(req: SimGenerateRequest | SimChatRequest, chat: Conversation | undefined): number {
    if (chat !== undefined) return chat.images
    const images = (req as SimGenerateRequest).images
    return Array.isArray(images) ? images.length : 0
  }

  private chatShape(name: string): Shape<WireChatChunk> {
    return {
      // Built field by field (not by spreading a base object): one object per token chunk.
      token: (content) => ({
        model: name,
        created_at: iso(this.clock.epochMs()),
        message: { role: "assistant", content },
        done: false,
      }),
      thinking: (thinking) => ({
        model: name,
        created_at: iso(this.clock.epochMs()),
        message: { role: "assistant", content: "", thinking },
        done: false,
      }),
      calls: (calls) => ({
        model: name,
        created_at: iso(this.clock.epochMs()),
        message: { role: "assistant", content: "", tool_calls: [...calls] },
        done: false,
      }),
      final: (doneReason, content, m) => ({
        model: name,
        created_at: iso(this.clock.epochMs()),
        message: { role: "assistant", content },
        done: true,
        done_reason: doneReason,
        ...(m !== undefined ? wireMetrics(m) : {}),
      }),
    }
  }

  private generateShape(name: string, text: string): Shape<WireGenerateChunk> {
    return {
      token: (response) => ({ model: name, created_at: iso(this.clock.epochMs()), response, done: false }),
      thinking: (thinking) => ({
        model: name,
        created_at: iso(this.clock.epochMs()),
        response: "",
        thinking,
        done: false,
      }),
      calls: () => ({ model: name, created_at: iso(this.clock.epochMs()), response: "", done: false }),
      final: (doneReason, content, m) => ({
        model: name,
        created_at: iso(this.clock.epochMs()),
        response: content,
        done: true,
        done_reason: doneReason,
        ...(m !== undefined
          ? { context: this.contextIds(text, m.promptTokens + m.evalCount), ...wireMetrics(m) }
          : {}),
      }),
    }
  }

  /**
   * A signal that aborts when the caller's does or the engine closes (what `AbortSignal.any` did,
   * without its weak-reference bookkeeping per request). Call `dispose` when the work ends.
   */
  private link(signal: AbortSignal | undefined): { stop: AbortSignal; dispose: () => void } {
    const life = this.lifetime.signal
    if (signal === undefined) return { stop: life, dispose: () => undefined }
    if (signal.aborted || life.aborted)
      return { stop: signal.aborted ? signal : life, dispose: () => undefined }
    const ctl = new AbortController()
    const forward = () => ctl.abort(signal.reason)
    signal.addEventListener("abort", forward, { once: true })
    this.linked.add(ctl)
    return {
      stop: ctl.signal,
      dispose: () => {
        signal.removeEventListener("abort", forward)
        this.linked.delete(ctl)
      },
    }
  }

  /** Timed generation on `runner`: waits for a slot, evaluates the prompt, streams the plan. */
  private async *stream<P>(
    runner: Runner,
    model: SimModelSpec,
    plan: Plan,
    promptTokens: number,
    signal: AbortSignal | undefined,
    shape: Shape<P>,
    t0: number,
    loadedAt: number,
  ): AsyncGenerator<P, void, undefined> {
    const { stop, dispose } = this.link(signal)
    let slot = false
    // Abandoned streams (the consumer calls return()) end as cancelled.
    let outcome: "completed" | "failed" | "cancelled" = "cancelled"
    let emitted = 0
    let finished = false
    // The request ends when its last chunk is ready, as Ollama's does when it writes it: a
    // consumer that stops reading at the done chunk must not keep the slot and the runner.
    const finish = () => {
      if (finished) return
      finished = true
      dispose()
      if (slot) this.freeSlot(runner)
      this.counters[outcome]++
      this.emit({
        type: "request_finished",
        model: model.name,
        outcome,
        tokens: emitted,
        at: this.clock.now(),
      })
      this.scheduler.release(runner)
    }
    try {
      await this.takeSlot(runner, stop)
      slot = true
      if (runner.dead) throw runnerCrashed()
      const fault = this.faults.forGeneration(model.name)
      const slow = fault.kind === "slow" ? fault.slowFactor : 1
      const promptStart = this.clock.now()
      const promptSec = (promptTokens / model.promptTokensPerSec) * runner.placement.slowdown
      await this.clock.sleep(promptSec * 1000 * slow, stop)
      if (runner.dead) throw runnerCrashed()
      if (fault.kind === "error") throw runtimeError()
      const evalStart = this.clock.now()
      const promptMs = evalStart - promptStart
      const thinking = plan.thinking
      const content =
        fault.kind === "degenerate" && plan.hidden.length === 0
          ? degenerateAnswer(plan.content, fault.atFraction)
          : plan.content
      const nThink = thinking.length
      const nVisible = nThink + content.length
      const n = nVisible + plan.hidden.length
      const cutAt = fault.kind === "cut" ? Math.max(1, Math.floor(n * fault.atFraction)) : -1
      const stallAt = fault.kind === "stall" ? Math.max(1, Math.floor(n * fault.atFraction)) : -1
      let due = evalStart
      for (let i = 0; i < n; i++) {
        due += this.tokenInterval(runner) * slow
        if (i === stallAt) due += fault.stallMs
        const wait = due - this.clock.now()
        if (wait > 0) await this.clock.sleep(wait, stop)
        if (runner.dead) throw runnerCrashed()
        if (i === cutAt) throw runtimeError()
        emitted++
        if (i < nThink) yield shape.thinking(thinking[i] as string)
        else if (i < nVisible) yield shape.token(content[i - nThink] as string)
      }
      this.counters.tokens += emitted
      if (plan.calls !== undefined) yield shape.calls(plan.calls)
      outcome = "completed"
      const final = shape.final(
        plan.cut ? "length" : "stop",
        plan.calls === undefined ? plan.hidden.join("") : "",
        {
          totalMs: this.clock.now() - t0,
          loadMs: loadedAt - t0,
          promptTokens,
          promptMs,
          evalMs: this.clock.now() - evalStart,
          evalCount: emitted,
        },
      )
      finish()
      yield final
    } catch (e) {
      outcome = stop.aborted ? "cancelled" : "failed"
      throw e
    } finally {
      finish()
    }
  }

  /**
   * Milliseconds per token now: the model's speed (slower for layers offloaded to the CPU), shared
   * with other generations on the GPU.
   */
  private tokenInterval(runner: Runner): number {
    let active = 0
    for (const r of this.scheduler.loadedRunners()) active += r.active
    const base = (1000 / runner.model.tokensPerSec) * runner.placement.slowdown
    return base * (1 + STREAM_SLOWDOWN * Math.max(0, active - 1))
  }

  private takeSlot(runner: Runner, signal: AbortSignal): Promise<void> {
    if (runner.active < parallelOf(runner.model) && runner.slotWaiters.length === 0) {
      runner.active++
      return Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        signal.removeEventListener("abort", onAbort)
        runner.active++
        resolve()
      }
      const onAbort = () => {
        const i = runner.slotWaiters.indexOf(wake)
        if (i >= 0) runner.slotWaiters.splice(i, 1)
        reject(signal.reason)
      }
      runner.slotWaiters.push(wake)
      signal.addEventListener("abort", onAbort, { once: true })
    })
  }

  private freeSlot(runner: Runner): void {
    runner.active = Math.max(0, runner.active - 1)
    const next = runner.slotWaiters.shift()
    if (next !== undefined) next()
  }

  // ---------------------------------------------------------------- embeddings

  /**
   * `/api/embed`: one unit vector per input (Ollama normalises, then cuts to `dimensions` and
   * normalises again). Empty input only loads the model — after scheduling, as EmbedHandler does.
   */
  async embed(req: SimEmbedRequest, signal?: AbortSignal): Promise<WireEmbed> {
    this.guard()
    const t0 = this.clock.now()
    const name = typeof req.model === "string" ? req.model : ""
    if (name === "") throw notFound("")
    const inputs = readEmbedInput(req.input)
    const dimensions = req.dimensions
    if (dimensions !== undefined && (typeof dimensions !== "number" || !Number.isInteger(dimensions))) {
      throw badRequest(
        `json: cannot unmarshal ${typeof dimensions} into Go struct field EmbedRequest.dimensions of type int`,
      )
    }
    const truncate = req.truncate !== false
    const model = this.lookup(name, notPulled)
    const { vectors, promptTokens, loadedAt } = await this.embedOn(model, req, inputs, truncate, signal)
    const embeddings = vectors.map((raw) => {
      const unit = normalised(raw)
      return dimensions !== undefined && dimensions > 0 && dimensions < unit.length
        ? normalised(unit.slice(0, dimensions))
        : unit
    })
    // An empty input's answer carries no metrics (EmbedHandler sends only model and embeddings).
    const empty = inputs.length === 0
    return {
      model: name,
      embeddings,
      total_duration: empty ? 0 : ns(this.clock.now() - t0),
      load_duration: empty ? 0 : ns(loadedAt - t0),
      prompt_eval_count: promptTokens,
    }
  }

  /**
   * The legacy `/api/embeddings`: one vector for `prompt`, as the runner returns it — raw for
   * nomic-bert models, normalised for the others (llm/llama_server.go legacyEmbeddingsWereRaw).
   */
  async embeddings(req: SimEmbeddingsRequest, signal?: AbortSignal): Promise<SimEmbeddingResponse> {
    this.guard()
    const name = typeof req.model === "string" ? req.model : ""
    if (name === "") throw modelRequired()
    if (req.prompt !== undefined && typeof req.prompt !== "string") {
      throw badRequest("json: cannot unmarshal prompt: expected a string")
    }
    const model = this.lookup(name, notPulled)
    const prompt = req.prompt ?? ""
    const { vectors } = await this.embedOn(model, req, prompt === "" ? [] : [prompt], true, signal, 500)
    const raw = vectors[0]
    if (raw === undefined) return { embedding: [] }
    return { embedding: model.family.startsWith("nomic-bert") ? raw : normalised(raw) }
  }

  /** Schedule `model`, then (when there are inputs) evaluate them one after another on its slot. */
  private async embedOn(
    model: SimModelSpec,
    req: SimEmbedRequest | SimEmbeddingsRequest,
    inputs: ReadonlyArray<string>,
    truncate: boolean,
    signal: AbortSignal | undefined,
    unsupportedStatus = 501,
  ): Promise<{ vectors: number[][]; promptTokens: number; loadedAt: number }> {
    const keepAliveMs = req.keep_alive === undefined ? undefined : parseKeepAliveOrThrow(req.keep_alive)
    const options = parseOptions(req.options)
    const runner = await this.scheduler.acquire(model, options.num_ctx, keepAliveMs, signal)
    const loadedAt = this.clock.now()
    if (inputs.length === 0) {
      this.scheduler.release(runner)
      return { vectors: [], promptTokens: 0, loadedAt }
    }
    const t0 = this.clock.now()
    this.counters.started++
    this.emit({ type: "request_started", model: model.name, at: t0 })
    const { stop, dispose } = this.link(signal)
    let slot = false
    let outcome: "completed" | "failed" | "cancelled" = "cancelled"
    try {
      if (!model.capabilities.includes("embedding")) {
        // A generative model's runner is started without --embedding: llama-server refuses.
        throw new SimError(
          unsupportedStatus,
          "This server does not support embeddings. Start it with `--embeddings`",
        )
      }
      const ctxLen = runner.numCtx
      const texts: string[] = []
      let promptTokens = 0
      for (const input of inputs) {
        const tokens = Math.ceil(input.length / 4) + EMBED_SPECIAL_TOKENS
        if (tokens <= ctxLen) {
          texts.push(input)
          promptTokens += tokens
        } else if (!truncate) {
          throw badRequest("the input length exceeds the context length")
        } else {
          texts.push(input.slice(0, Math.max(0, (ctxLen - EMBED_SPECIAL_TOKENS) * 4)))
          promptTokens += ctxLen
        }
      }
      await this.takeSlot(runner, stop)
      slot = true
      const fault = this.faults.forGeneration(model.name)
      const slow = fault.kind === "slow" ? fault.slowFactor : 1
      await this.clock.sleep((promptTokens / model.promptTokensPerSec) * 1000 * slow, stop)
      if (runner.dead) throw runnerCrashed()
      if (fault.kind === "error" || fault.kind === "cut") throw runtimeError()
      const vectors = texts.map((t) => rawEmbedding(model.name, t, model.embeddingLength))
      outcome = "completed"
      return { vectors, promptTokens, loadedAt }
    } catch (e) {
      outcome = stop.aborted ? "cancelled" : "failed"
      throw e
    } finally {
      dispose()
      if (slot) this.freeSlot(runner)
      this.counters[outcome]++
      this.emit({ type: "request_finished", model: model.name, outcome, tokens: 0, at: this.clock.now() })
      this.scheduler.release(runner)
    }
  }

  // ---------------------------------------------------------------- request parsing

  private promptOf(req: SimGenerateRequest): string {
    if (req.prompt !== undefined && typeof req.prompt !== "string") {
      throw badRequest("json: cannot unmarshal prompt: expected a string")
    }
    const prompt = req.prompt ?? ""
    if (prompt === "") return ""
    return typeof req.system === "string" && req.system !== ""
      ? `system: ${req.system}\nuser: ${prompt}`
      : prompt
  }

  /** Token ids of the conversation so far (Ollama's `context`), deterministic and opaque. */
  private contextIds(text: string, count: number): number[] {
    const h = hashString(text)
    return Array.from({ length: Math.min(count, 4096) }, (_, i) => ((h + i * 2654435761) >>> 0) % 128_000)
  }
}

/** The phrase a degenerate model repeats, and how many times before it stops. */
const LOOP = [" and", " so", " on,"]
const LOOP_REPEATS = 24

/** A model stuck in a loop: the start of its answer, then one phrase over and over. */
const degenerateAnswer = (answer: ReadonlyArray<string>, atFraction: number): ReadonlyArray<string> => {
  const keep = answer.slice(0, Math.max(1, Math.floor(answer.length * atFraction)))
  return [...keep, ...Array.from({ length: LOOP_REPEATS }, () => LOOP).flat()]
}

/** An AbortController whose signal may have any number of listeners (no leak warning past 10). */
const unboundedController = (): AbortController => {
  const ctl = new AbortController()
  setMaxListeners(0, ctl.signal)
  return ctl
}
