/**
 * The simulated GPU host: Ollama's API as methods (generate, chat, list, show, ps, version) over
 * the scheduler replica, with timed token streams, parallel slots, seeded faults and run-time
 * control (faults, crash, unreachable windows). The HTTP server (`http.ts`) is a thin layer over
 * this; tests and the load tester use it in-process. Responses carry Ollama's field names.
 */
import { ScaledClock, type TimeSource } from "../../time/clock.js"
import { badRequest, modelRequired, notFound, runnerCrashed, runtimeError, unreachable } from "./errors.js"
import { type FaultKind, type FaultState, Faults } from "./faults.js"
import { parseKeepAlive } from "./keep-alive.js"
import { parameterCount, type SimModelSpec, type SimProfile } from "./profile.js"
import { type Runner, Scheduler, type SchedulerEvent, type SchedulerSnapshot } from "./scheduler.js"
import { generateTokens, hashString } from "./text.js"

export type Json = Record<string, unknown>

export interface SimOptions {
  readonly num_ctx?: number
  readonly num_predict?: number
  readonly seed?: number
  readonly [key: string]: unknown
}

export interface SimGenerateRequest {
  readonly model?: string
  readonly prompt?: string
  readonly system?: string
  readonly suffix?: string
  readonly format?: "json" | "" | Json
  readonly options?: SimOptions
  readonly keep_alive?: number | string
  readonly stream?: boolean
  readonly raw?: boolean
  readonly images?: ReadonlyArray<string>
  readonly context?: ReadonlyArray<number>
  readonly [key: string]: unknown
}

export interface SimChatMessage {
  readonly role: string
  readonly content: string
  readonly [key: string]: unknown
}

export interface SimChatRequest {
  readonly model?: string
  readonly messages?: ReadonlyArray<SimChatMessage>
  readonly format?: "json" | "" | Json
  readonly options?: SimOptions
  readonly keep_alive?: number | string
  readonly stream?: boolean
  readonly tools?: ReadonlyArray<unknown>
  readonly [key: string]: unknown
}

/**
 * A response. `single`: one JSON object, sent as is (load, unload). `stream`: the first chunk is
 * ready (scheduling, prompt evaluation and the first token happened, or the answer is empty);
 * `rest` yields the others and may throw a SimError mid-stream. Call `cancel()` to abandon it.
 */
export type SimResponse =
  | { readonly kind: "single"; readonly body: Json }
  | {
      readonly kind: "stream"
      readonly first: Json
      readonly rest: AsyncIterator<Json>
      readonly cancel: () => Promise<void>
    }

export type SimEvent =
  | SchedulerEvent
  | { readonly type: "request_started"; readonly model: string; readonly at: number }
  | {
      readonly type: "request_finished"
      readonly model: string
      readonly outcome: "completed" | "failed" | "canceled"
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
    readonly canceled: number
    readonly tokens: number
  }
}

export interface EngineOptions {
  readonly clock?: TimeSource
  /** Overrides the profile's time scale (ignored when a clock is given). */
  readonly timeScale?: number
  /** Overrides the profile's seed. */
  readonly seed?: number
}

/** Tokens the chat template and system prompt add around the user's text. */
const TEMPLATE_TOKENS = 12
/** Per-stream slowdown for each other generation running on the GPU at the same time. */
const CONTENTION = 0.1

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

const digestOf = (name: string): string => {
  let out = ""
  for (let i = 0; out.length < 64; i++)
    out += (hashString(`${name}#${i}`) >>> 0).toString(16).padStart(8, "0")
  return out.slice(0, 64)
}

const isPlainObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

export class SimEngine {
  readonly clock: TimeSource
  readonly seed: number
  private readonly faults: Faults
  private readonly scheduler: Scheduler
  private readonly models: ReadonlyMap<string, SimModelSpec>
  private readonly listeners = new Set<(e: SimEvent) => void>()
  private unreachableUntil: number | undefined
  private counters = { started: 0, completed: 0, failed: 0, canceled: 0, tokens: 0 }
  /** Aborted on close: every generation and timer stops. */
  private readonly lifetime = new AbortController()
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
    this.scheduler = new Scheduler(profile, this.clock, this.faults, (e) => this.emit(e))
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

  version(): Json {
    this.guard()
    return { version: this.profile.version }
  }

  private details(m: SimModelSpec): Json {
    return {
      parent_model: "",
      format: "gguf",
      family: m.family,
      families: [m.family],
      parameter_size: m.parameterSize,
      quantization_level: m.quantisation,
    }
  }

  list(): Json {
    this.guard()
    const modified = iso(Date.UTC(2026, 0, 1))
    return {
      models: this.profile.models.map((m) => ({
        name: m.name,
        model: m.name,
        modified_at: modified,
        size: Math.round(m.sizeGb * 1e9),
        digest: digestOf(m.name),
        details: this.details(m),
      })),
    }
  }

  show(name: unknown): Json {
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
        "general.file_type": 15,
        [`${arch}.context_length`]: m.contextLength,
        [`${arch}.block_count`]: m.layers,
        [`${arch}.attention.head_count`]: m.heads,
        [`${arch}.attention.head_count_kv`]: m.kvHeads,
        [`${arch}.embedding_length`]: m.embeddingLength,
      },
      capabilities: m.capabilities,
      modified_at: iso(Date.UTC(2026, 0, 1)),
    }
  }

  ps(): Json {
    this.guard()
    const runners = this.scheduler.loadedRunners()
    const farFuture = this.clock.epochMs() + 292 * 365.25 * 24 * 3600 * 1000
    const models = runners.map((r) => {
      const expires =
        r.refCount > 0 || r.state === "loading"
          ? farFuture
          : r.expiresAt !== undefined
            ? this.clock.epochMs() + (r.expiresAt - this.clock.now())
            : farFuture
      return {
        name: r.name,
        model: r.name,
        size: r.bytes,
        digest: digestOf(r.name),
        details: this.details(r.model),
        expires_at: iso(expires),
        size_vram: r.bytes,
        context_length: r.numCtx,
        _expires: expires,
      }
    })
    models.sort((a, b) => b._expires - a._expires)
    return { models: models.map(({ _expires, ...m }) => m) }
  }

  private lookup(name: string): SimModelSpec {
    const m = this.models.get(name) ?? this.models.get(name.includes(":") ? name : `${name}:latest`)
    if (m === undefined) throw notFound(name)
    return m
  }

  // ---------------------------------------------------------------- generation

  generate(req: SimGenerateRequest, signal?: AbortSignal): Promise<SimResponse> {
    return this.run("generate", req, signal)
  }

  chat(req: SimChatRequest, signal?: AbortSignal): Promise<SimResponse> {
    return this.run("chat", req, signal)
  }

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
    const keepAliveMs = req.keep_alive === undefined ? undefined : this.parseKeepAliveOrThrow(req.keep_alive)
    const options = this.parseOptions(req.options)
    const text =
      kind === "chat"
        ? this.flattenMessages((req as SimChatRequest).messages)
        : this.promptOf(req as SimGenerateRequest)
    const name = req.model
    const base = (): Json => ({ model: name, created_at: iso(this.clock.epochMs()) })
    const doneBody = (reason: "load" | "unload"): Json =>
      kind === "chat"
        ? { ...base(), message: { role: "assistant", content: "" }, done_reason: reason, done: true }
        : { ...base(), response: "", done: true, done_reason: reason }

    if (text === "" && keepAliveMs === 0) {
      this.scheduler.expire(model.name)
      return { kind: "single", body: doneBody("unload") }
    }
    const numCtx = options.num_ctx ?? model.numCtx
    const runner = await this.scheduler.acquire(model, numCtx, keepAliveMs, signal)
    const loadedAt = this.clock.now()
    if (text === "") {
      this.scheduler.release(runner)
      return { kind: "single", body: doneBody("load") }
    }
    const format = req.format === "" ? undefined : req.format
    const tokens = generateTokens({
      model: model.name,
      prompt: text,
      seed: options.seed ?? this.seed,
      format,
    })
    const promptTokens = Math.ceil(text.length / 4) + TEMPLATE_TOKENS
    const room = Math.max(0, numCtx - promptTokens)
    const limit = options.num_predict !== undefined && options.num_predict >= 0 ? options.num_predict : room
    const answer = tokens.slice(0, Math.min(limit, tokens.length))
    const doneReason = answer.length < tokens.length ? "length" : "stop"
    // Built field by field (not by spreading `base()`): one object per token chunk, same key order.
    const chunk = (content: string): Json =>
      kind === "chat"
        ? {
            model: name,
            created_at: iso(this.clock.epochMs()),
            message: { role: "assistant", content },
            done: false,
          }
        : { model: name, created_at: iso(this.clock.epochMs()), response: content, done: false }

    this.counters.started++
    this.emit({ type: "request_started", model: model.name, at: t0 })
    const it = this.stream(
      runner,
      model,
      answer,
      promptTokens,
      signal,
      (timings) => {
        const final = kind === "chat" ? { message: { role: "assistant", content: "" } } : { response: "" }
        return {
          ...base(),
          ...final,
          done: true,
          done_reason: doneReason,
          ...(kind === "generate"
            ? { context: this.contextIds(text, promptTokens + timings.evalCount) }
            : {}),
          total_duration: ns(this.clock.now() - t0),
          load_duration: ns(loadedAt - t0),
          prompt_eval_count: promptTokens,
          prompt_eval_duration: ns(timings.promptMs),
          eval_count: timings.evalCount,
          eval_duration: ns(timings.evalMs),
        }
      },
      chunk,
    )
    const first = await it.next()
    if (first.done === true) throw new Error("simulator: empty generation stream")
    return {
      kind: "stream",
      first: first.value,
      rest: it,
      cancel: async () => void (await it.return?.(undefined)),
    }
  }

  /** Timed generation on `runner`: waits for a slot, evaluates the prompt, streams tokens. */
  private async *stream(
    runner: Runner,
    model: SimModelSpec,
    answer: ReadonlyArray<string>,
    promptTokens: number,
    signal: AbortSignal | undefined,
    finalChunk: (t: { promptMs: number; evalMs: number; evalCount: number }) => Json,
    chunk: (content: string) => Json,
  ): AsyncGenerator<Json, void, undefined> {
    // Aborted when the caller's signal or the engine's lifetime is.
    const life = this.lifetime.signal
    let stop = life
    let ctl: AbortController | undefined
    const forward = () => ctl?.abort(signal?.reason)
    if (signal !== undefined) {
      if (signal.aborted || life.aborted) stop = signal.aborted ? signal : life
      else {
        ctl = new AbortController()
        stop = ctl.signal
        signal.addEventListener("abort", forward, { once: true })
        this.linked.add(ctl)
      }
    }
    let slot = false
    // Abandoned streams (the consumer calls return()) end as canceled.
    let outcome: "completed" | "failed" | "canceled" = "canceled"
    let emitted = 0
    try {
      await this.takeSlot(runner, stop)
      slot = true
      if (runner.dead) throw runnerCrashed()
      const fault = this.faults.forGeneration(model.name)
      const slow = fault.kind === "slow" ? fault.slowFactor : 1
      const promptStart = this.clock.now()
      await this.clock.sleep((promptTokens / model.promptTokensPerSec) * 1000 * slow, stop)
      if (runner.dead) throw runnerCrashed()
      if (fault.kind === "error") throw runtimeError()
      const evalStart = this.clock.now()
      const promptMs = evalStart - promptStart
      const tokens = fault.kind === "degenerate" ? degenerateAnswer(answer, fault.atFraction) : answer
      const n = tokens.length
      const cutAt = fault.kind === "cut" ? Math.max(1, Math.floor(n * fault.atFraction)) : -1
      const stallAt = fault.kind === "stall" ? Math.max(1, Math.floor(n * fault.atFraction)) : -1
      let due = evalStart
      for (let i = 0; i < n; i++) {
        due += this.tokenInterval(model) * slow
        if (i === stallAt) due += fault.stallMs
        const wait = due - this.clock.now()
        if (wait > 0) await this.clock.sleep(wait, stop)
        if (runner.dead) throw runnerCrashed()
        if (i === cutAt) throw runtimeError()
        emitted++
        yield chunk(tokens[i] as string)
      }
      this.counters.tokens += emitted
      outcome = "completed"
      yield finalChunk({ promptMs, evalMs: this.clock.now() - evalStart, evalCount: emitted })
    } catch (e) {
      outcome = stop.aborted ? "canceled" : "failed"
      throw e
    } finally {
      if (ctl !== undefined) {
        signal?.removeEventListener("abort", forward)
        this.linked.delete(ctl)
      }
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
  }

  /** Milliseconds per token now: the model's speed, shared with other generations on the GPU. */
  private tokenInterval(model: SimModelSpec): number {
    let active = 0
    for (const r of this.scheduler.loadedRunners()) active += r.active
    return (1000 / model.tokensPerSec) * (1 + CONTENTION * Math.max(0, active - 1))
  }

  private takeSlot(runner: Runner, signal: AbortSignal): Promise<void> {
    if (runner.active < runner.model.parallel && runner.slotWaiters.length === 0) {
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

  // ---------------------------------------------------------------- request parsing

  private parseKeepAliveOrThrow(v: unknown): number {
    try {
      return parseKeepAlive(v)
    } catch (e) {
      throw badRequest((e as Error).message)
    }
  }

  private parseOptions(raw: unknown): { num_ctx?: number; num_predict?: number; seed?: number } {
    if (raw === undefined || raw === null) return {}
    if (!isPlainObject(raw)) throw badRequest("json: cannot unmarshal options: expected an object")
    const out: { num_ctx?: number; num_predict?: number; seed?: number } = {}
    for (const key of ["num_ctx", "num_predict", "seed"] as const) {
      const v = raw[key]
      if (v === undefined) continue
      if (typeof v !== "number" || !Number.isInteger(v)) {
        throw badRequest(
          `json: cannot unmarshal ${typeof v === "string" ? "string" : typeof v} into Go struct field Options.${key} of type int`,
        )
      }
      out[key] = v
    }
    if (out.num_ctx !== undefined && out.num_ctx < 1) out.num_ctx = 4
    return out
  }

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

  private flattenMessages(messages: unknown): string {
    if (messages === undefined || messages === null) return ""
    if (!Array.isArray(messages)) throw badRequest("json: cannot unmarshal messages: expected an array")
    const lines: string[] = []
    for (const m of messages) {
      if (!isPlainObject(m) || typeof m.role !== "string")
        throw badRequest("invalid message: role is required")
      if (!["system", "user", "assistant", "tool"].includes(m.role))
        throw badRequest(`invalid role: ${m.role}`)
      lines.push(`${m.role}: ${typeof m.content === "string" ? m.content : ""}`)
    }
    return lines.join("\n")
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
