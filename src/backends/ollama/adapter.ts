/**
 * The Ollama adapter, on the official ollama-js client. Conductor owns residency (DESIGN
 * decision 1): every generate sends `keep_alive: -1` and the model's fixed `num_ctx`; loads and
 * unloads are explicit empty-prompt calls. Each generation gets its own client whose fetch
 * carries that request's AbortSignal, so cancelling one request stops exactly that generation on
 * the server (ollama-js' `client.abort()` would stop every stream of a shared client).
 */
import { Effect, Layer, Stream } from "effect"
import { Ollama } from "ollama"
import { conductorError } from "../../domain/errors.js"
import { fromThrown } from "../errors.js"
import {
  Backend,
  type BackendModel,
  type BackendModelDetails,
  type BackendShape,
  type GenerateChunk,
  type GenerateRequest,
  type RunningModel,
} from "../port.js"

export interface OllamaBackendOptions {
  /** Server address; default `OLLAMA_HOST` (ollama-js ignores it), else http://127.0.0.1:11434. */
  readonly host?: string | undefined
  /** How long a control call (list, show, ps, load, unload) may take before it fails. */
  readonly callTimeoutMs?: number
  /**
   * After a model leaves `/api/ps`, how long its GPU memory may take to be free again (drivers
   * report it late; Ollama itself waits up to 5 s, typically 0.5–1.5 s). Loads wait this long.
   */
  readonly unloadSettleMs?: number
}

/** OLLAMA_HOST as Ollama reads it: `host`, `host:port` or a URL. */
export const resolveOllamaHost = (host?: string, env: NodeJS.ProcessEnv = process.env): string => {
  const raw = (host ?? env.OLLAMA_HOST ?? "").trim()
  if (raw === "") return "http://127.0.0.1:11434"
  const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`
  const url = new URL(withScheme)
  if (url.port === "") url.port = url.protocol === "https:" ? "443" : "11434"
  if (url.hostname === "0.0.0.0") url.hostname = "127.0.0.1"
  return url.origin
}

const NS_PER_MS = 1e6
const ms = (ns: unknown): number => (typeof ns === "number" ? ns / NS_PER_MS : 0)

const modelInfoNumber = (info: Record<string, unknown>, arch: string, key: string): number => {
  const v = info[`${arch}.${key}`]
  return typeof v === "number" ? v : 0
}

/** A client whose fetch aborts with `signal` (and, for control calls, after a timeout). */
const clientFor = (host: string, signal?: AbortSignal): Ollama =>
  new Ollama({
    host,
    fetch: (input, init) => fetch(input, { ...init, ...(signal !== undefined ? { signal } : {}) }),
  })

export const makeOllamaBackend = (options: OllamaBackendOptions = {}): BackendShape => {
  const host = resolveOllamaHost(options.host)
  const timeout = options.callTimeoutMs ?? 30_000
  const settleMs = options.unloadSettleMs ?? 1000

  /** A control call with a timeout, cancelled on interruption. */
  const call = <A>(
    model: string | undefined,
    run: (client: Ollama) => Promise<A>,
  ): Effect.Effect<A, ReturnType<typeof fromThrown>> =>
    Effect.tryPromise({
      try: (signal) => run(clientFor(host, AbortSignal.any([signal, AbortSignal.timeout(timeout)]))),
      catch: (e) => fromThrown(e, model),
    })

  const ping = call(undefined, (c) => c.version()).pipe(Effect.map((v) => v.version))

  const listModels = call(undefined, (c) => c.list()).pipe(
    Effect.map(
      (r): ReadonlyArray<BackendModel> =>
        r.models.map((m) => ({
          name: m.name,
          sizeBytes: m.size,
          family: m.details?.family ?? "",
          parameterSize: m.details?.parameter_size ?? "",
          quantisation: m.details?.quantization_level ?? "",
        })),
    ),
  )

  const describeModel = (name: string) =>
    call(name, (c) => c.show({ model: name })).pipe(
      Effect.map((r): BackendModelDetails => {
        // Typed as a Map by ollama-js, but JSON gives a plain object.
        const info = (r.model_info ?? {}) as unknown as Record<string, unknown>
        const arch =
          typeof info["general.architecture"] === "string" ? (info["general.architecture"] as string) : ""
        return {
          name,
          sizeBytes: 0,
          family: r.details?.family ?? arch,
          parameterSize: r.details?.parameter_size ?? "",
          quantisation: r.details?.quantization_level ?? "",
          parameterCount:
            typeof info["general.parameter_count"] === "number"
              ? (info["general.parameter_count"] as number)
              : 0,
          contextLength: modelInfoNumber(info, arch, "context_length"),
          layers: modelInfoNumber(info, arch, "block_count"),
          heads: modelInfoNumber(info, arch, "attention.head_count"),
          kvHeads: modelInfoNumber(info, arch, "attention.head_count_kv"),
          embeddingLength: modelInfoNumber(info, arch, "embedding_length"),
          capabilities: Array.isArray(r.capabilities) ? r.capabilities : ["completion"],
        }
      }),
      // /api/show does not give the file size; /api/tags does.
      Effect.flatMap((d) =>
        listModels.pipe(
          Effect.map((models) => ({ ...d, sizeBytes: models.find((m) => m.name === name)?.sizeBytes ?? 0 })),
          Effect.orElseSucceed(() => d),
        ),
      ),
    )

  const runningModels = call(undefined, (c) => c.ps()).pipe(
    Effect.map(
      (r): ReadonlyArray<RunningModel> =>
        r.models.map((m) => ({
          name: m.name,
          sizeBytes: m.size,
          vramBytes: m.size_vram,
          contextLength: (m as { context_length?: number }).context_length ?? 0,
        })),
    ),
  )

  const load = (name: string, numCtx: number) =>
    call(name, (c) =>
      c.generate({ model: name, prompt: "", keep_alive: -1, options: { num_ctx: numCtx }, stream: false }),
    ).pipe(Effect.asVoid)

  const POLL_MS = 100
  const unload = (name: string) =>
    Effect.gen(function* () {
      yield* call(name, (c) => c.generate({ model: name, prompt: "", keep_alive: 0, stream: false }))
      // Ollama drops the model from /api/ps when its runner stops; the memory follows a moment later.
      for (let waited = 0; ; waited += POLL_MS) {
        const running = yield* runningModels
        if (!running.some((m) => m.name === name || m.name === `${name}:latest`)) break
        if (waited >= timeout) {
          return yield* Effect.fail(
            conductorError("Timeout", `${name} was still loaded ${timeout} ms after unloading it`, {
              model: name,
            }),
          )
        }
        yield* Effect.sleep(POLL_MS)
      }
      if (settleMs > 0) yield* Effect.sleep(settleMs)
    })

  const generate = (
    name: string,
    req: GenerateRequest,
  ): Stream.Stream<GenerateChunk, ReturnType<typeof fromThrown>> =>
    Stream.unwrap(
      Effect.gen(function* () {
        const ctl = new AbortController()
        yield* Effect.addFinalizer(() => Effect.sync(() => ctl.abort()))
        const client = clientFor(host, ctl.signal)
        const options = {
          num_ctx: req.numCtx,
          ...(req.numPredict !== undefined ? { num_predict: req.numPredict } : {}),
          ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
          ...(req.seed !== undefined ? { seed: req.seed } : {}),
        }
        const common = {
          model: name,
          keep_alive: -1,
          options,
          stream: true as const,
          ...(req.format !== undefined ? { format: req.format as string | object } : {}),
        }
        async function* chunks(): AsyncGenerator<GenerateChunk> {
          const parts =
            req.messages !== undefined
              ? await client.chat({
                  ...common,
                  messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
                })
              : await client.generate({
                  ...common,
                  prompt: req.prompt ?? "",
                  ...(req.system !== undefined ? { system: req.system } : {}),
                })
          for await (const part of parts) {
            const text = ("message" in part ? part.message.content : part.response) ?? ""
            if (part.done) {
              if (text !== "") yield { kind: "token", text }
              yield {
                kind: "done",
                reason: part.done_reason === "length" ? "length" : "stop",
                promptTokens: part.prompt_eval_count ?? 0,
                evalTokens: part.eval_count ?? 0,
                loadMs: ms(part.load_duration),
                promptEvalMs: ms(part.prompt_eval_duration),
                evalMs: ms(part.eval_duration),
                totalMs: ms(part.total_duration),
              }
              return
            }
            if (text !== "") yield { kind: "token", text }
          }
        }
        return Stream.fromAsyncIterable(chunks(), (e) => fromThrown(e, name, ctl.signal.aborted))
      }),
    )

  return {
    description: `ollama ${host}`,
    ping,
    listModels,
    describeModel,
    runningModels,
    load,
    unload,
    generate,
  }
}

export const ollamaBackendLayer = (options: OllamaBackendOptions = {}) =>
  Layer.succeed(Backend, makeOllamaBackend(options))
