/**
 * The in-process adapter: the Backend port over a SimEngine, without HTTP. Same calls, same
 * keep_alive and num_ctx discipline as the Ollama adapter, same error mapping (the engine throws
 * SimErrors carrying Ollama's status codes and texts).
 */
import { Effect, Stream } from "effect"
import type { ModelKind } from "../../domain/model-profile.js"
import { fromThrown } from "../errors.js"
import {
  ChunkMapper,
  detailsOf,
  embedCall,
  embedResultOf,
  generationCall,
  loadCall,
  modelsOf,
  runningOf,
  unloadCall,
} from "../ollama/wire.js"
import type { BackendShape, EmbedRequest, GenerateChunk, GenerateRequest } from "../port.js"
import type { SimEngine, SimResponse } from "./engine.js"

const attempt = <A>(model: string | undefined, run: () => A | Promise<A>) =>
  Effect.tryPromise({ try: async () => run(), catch: (e) => fromThrown(e, model) })

/** Drain a load/unload response (a single object) or a stream the caller does not need. */
const settle = async (r: SimResponse): Promise<void> => {
  if (r.kind === "stream") await r.cancel()
}

export const makeSimBackend = (engine: SimEngine): BackendShape => {
  const listModels = attempt(undefined, () => modelsOf(engine.list()))

  const describeModel = (name: string) =>
    Effect.gen(function* () {
      const r = yield* attempt(name, () => engine.show(name))
      const models = yield* listModels
      return detailsOf(name, r, models.find((m) => m.name === name)?.sizeBytes ?? 0)
    })

  const runningModels = attempt(undefined, () => runningOf(engine.ps()))

  // The same calls the Ollama adapter makes: an empty generate, or an empty embed for embedding
  // models (a generate on those is Ollama's 400 "does not support generate").
  const load = (name: string, numCtx: number, kind: ModelKind) =>
    Effect.tryPromise({
      try: async (signal) => {
        const call = loadCall(name, numCtx, kind)
        if (call.path === "embed") await engine.embed(call.body, signal)
        else await settle(await engine.generate(call.body, signal))
      },
      catch: (e) => fromThrown(e, name),
    })

  // Resolves when the simulated runner has given its memory back, as the port promises.
  const unload = (name: string) =>
    attempt(name, async () => {
      await settle(await engine.generate(unloadCall(name)))
      await engine.memoryReleased(name)
    })

  const generate = (name: string, req: GenerateRequest) =>
    Stream.unwrap(
      Effect.gen(function* () {
        const ctl = new AbortController()
        let response: SimResponse | undefined
        // Set once the engine has sent its done chunk: it then waits on nothing an abort would
        // stop, so the finalizer skips the abort (which builds a DOMException with a stack) and
        // only lets the engine's stream finish.
        let finished = false
        yield* Effect.addFinalizer(() =>
          Effect.promise(async () => {
            if (!finished) ctl.abort()
            if (response?.kind === "stream") await response.cancel()
          }),
        )
        const call = generationCall(name, req)
        async function* chunks(): AsyncGenerator<GenerateChunk> {
          const r: SimResponse =
            call.path === "chat"
              ? await engine.chat(call.body, ctl.signal)
              : await engine.generate(call.body, ctl.signal)
          response = r
          if (r.kind === "single") throw new Error("stream ended without a done chunk")
          const mapper = new ChunkMapper()
          let part = r.first
          while (part !== undefined) {
            const mapped = mapper.map(part)
            if (mapped.at(-1)?.kind === "done") {
              finished = true
              yield* mapped
              return
            }
            yield* mapped
            const next = await r.rest.next()
            if (next.done === true) break
            part = next.value
          }
          throw new Error("stream ended without a done chunk")
        }
        return Stream.fromAsyncIterable(chunks(), (e) => fromThrown(e, name, ctl.signal.aborted))
      }),
    )

  const embed = (name: string, req: EmbedRequest) =>
    Effect.tryPromise({
      try: async (signal) => embedResultOf(await engine.embed(embedCall(name, req), signal)),
      catch: (e) => fromThrown(e, name, false),
    })

  return {
    description: `simulator ${engine.profile.name}`,
    ping: attempt(undefined, () => engine.version().version),
    listModels,
    describeModel,
    runningModels,
    load,
    unload,
    generate,
    embed,
  }
}
