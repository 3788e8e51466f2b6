/**
 * The Ollama adapter: control calls and embeddings on the official ollama-js client, streamed
 * generations on `node:http` (`generation-stream.ts`: one write per request, keep-alive
 * connections); the JSON both ways is mapped in `wire.ts`. Conductor owns residency (DESIGN
 * decision 1): every generate sends `keep_alive: -1` and the model's fixed `num_ctx`; loads and
 * unloads are explicit empty calls. Cancelling one request stops exactly that generation on the
 * server: its HTTP request is destroyed. (ollama-js' `client.abort()` would stop every stream of
 * a shared client, so each control call gets a client whose fetch carries its own signal.)
 */
import { Effect, Layer, type Stream } from "effect"
import { Ollama } from "ollama"
import { conductorError } from "../../domain/errors.js"
import type { ModelKind } from "../../domain/model-profile.js"
import { fromThrown } from "../errors.js"
import {
  Backend,
  type BackendShape,
  type EmbedRequest,
  type GenerateChunk,
  type GenerateRequest,
  type GenerationSink,
} from "../port.js"
import { generationTransport, pushGeneration, streamGeneration } from "./generation-stream.js"
import {
  detailsOf,
  embedCall,
  embedResultOf,
  generationCall,
  loadCall,
  modelsOf,
  runningOf,
  unloadCall,
  type WireEmbed,
  type WireList,
  type WirePs,
  type WireShow,
} from "./wire.js"

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
    Effect.map((r) => modelsOf(r as unknown as WireList)),
  )

  const describeModel = (name: string) =>
    call(name, (c) => c.show({ model: name })).pipe(
      Effect.flatMap((r) =>
        // /api/show does not give the file size; /api/tags does.
        listModels.pipe(
          Effect.map((models) => models.find((m) => m.name === name)?.sizeBytes ?? 0),
          Effect.orElseSucceed(() => 0),
          Effect.map((size) => detailsOf(name, r as unknown as WireShow, size)),
        ),
      ),
    )

  const runningModels = call(undefined, (c) => c.ps()).pipe(
    Effect.map((r) => runningOf(r as unknown as WirePs)),
  )

  const load = (name: string, numCtx: number, kind: ModelKind) =>
    call(name, async (c): Promise<void> => {
      const l = loadCall(name, numCtx, kind)
      if (l.path === "embed") await c.embed(l.body)
      else await c.generate(l.body)
    })

  const POLL_MS = 100
  const unload = (name: string) =>
    Effect.gen(function* () {
      yield* call(name, (c) => c.generate(unloadCall(name)))
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

  // Generations, the hot path, go over node:http with keep-alive (`generation-stream.ts`);
  // control calls and embeddings stay on ollama-js.
  const transport = generationTransport(host)
  const generate = (
    name: string,
    req: GenerateRequest,
  ): Stream.Stream<GenerateChunk, ReturnType<typeof fromThrown>> =>
    streamGeneration(transport, name, generationCall(name, req))
  const generateInto = (name: string, req: GenerateRequest, sink: GenerationSink) =>
    pushGeneration(transport, name, generationCall(name, req), sink)

  const embed = (name: string, req: EmbedRequest) =>
    Effect.tryPromise({
      try: (signal) => clientFor(host, signal).embed(embedCall(name, req)),
      catch: (e) => fromThrown(e, name),
    }).pipe(Effect.map((r) => embedResultOf(r as unknown as WireEmbed)))

  return {
    description: `ollama ${host}`,
    ping,
    listModels,
    describeModel,
    runningModels,
    load,
    unload,
    generate,
    generateInto,
    embed,
  }
}

export const ollamaBackendLayer = (options: OllamaBackendOptions = {}) =>
  Layer.succeed(Backend, makeOllamaBackend(options))
