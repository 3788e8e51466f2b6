/**
 * The in-process adapter: the Backend port over a SimEngine, without HTTP. Same calls, same
 * keep_alive and num_ctx discipline as the Ollama adapter, same error mapping (the engine throws
 * SimErrors carrying Ollama's status codes and texts).
 */
import { Effect, Layer, Stream } from "effect"
import { conductorError } from "../../domain/errors.js"
import type { ModelKind } from "../../domain/model-profile.js"
import { fromThrown } from "../errors.js"
import { ChunkMapper, generationCall, type WireChatPart, type WireGeneratePart } from "../ollama/wire.js"
import {
  Backend,
  type BackendModel,
  type BackendModelDetails,
  type BackendShape,
  type EmbedRequest,
  type GenerateChunk,
  type GenerateRequest,
  type RunningModel,
} from "../port.js"
import type { Json, SimChatRequest, SimEngine, SimGenerateRequest, SimResponse } from "./engine.js"

const attempt = <A>(model: string | undefined, run: () => A | Promise<A>) =>
  Effect.tryPromise({ try: async () => run(), catch: (e) => fromThrown(e, model) })

/** Drain a load/unload response (a single object) or a stream the caller does not need. */
const settle = async (r: SimResponse): Promise<void> => {
  if (r.kind === "stream") await r.cancel()
}

export const makeSimBackend = (engine: SimEngine): BackendShape => {
  const listModels = attempt(undefined, () => engine.list()).pipe(
    Effect.map(
      (r): ReadonlyArray<BackendModel> =>
        (r.models as Array<Json>).map((m) => {
          const d = m.details as Json
          return {
            name: m.name as string,
            sizeBytes: m.size as number,
            family: d.family as string,
            parameterSize: d.parameter_size as string,
            quantisation: d.quantization_level as string,
          }
        }),
    ),
  )

  const describeModel = (name: string) =>
    Effect.gen(function* () {
      const r = yield* attempt(name, () => engine.show(name))
      const models = yield* listModels
      const info = r.model_info as Record<string, unknown>
      const arch = info["general.architecture"] as string
      const d = r.details as Json
      const num = (k: string) => (info[`${arch}.${k}`] as number | undefined) ?? 0
      const details: BackendModelDetails = {
        name,
        sizeBytes: models.find((m) => m.name === name)?.sizeBytes ?? 0,
        family: d.family as string,
        parameterSize: d.parameter_size as string,
        quantisation: d.quantization_level as string,
        parameterCount: info["general.parameter_count"] as number,
        contextLength: num("context_length"),
        layers: num("block_count"),
        heads: num("attention.head_count"),
        kvHeads: num("attention.head_count_kv"),
        embeddingLength: num("embedding_length"),
        capabilities: r.capabilities as string[],
      }
      return details
    })

  const runningModels = attempt(undefined, () => engine.ps()).pipe(
    Effect.map(
      (r): ReadonlyArray<RunningModel> =>
        (r.models as Array<Json>).map((m) => ({
          name: m.name as string,
          sizeBytes: m.size as number,
          vramBytes: m.size_vram as number,
          contextLength: m.context_length as number,
        })),
    ),
  )

  const load = (name: string, numCtx: number, _kind: ModelKind) =>
    Effect.tryPromise({
      try: async (signal) =>
        settle(
          await engine.generate(
            { model: name, prompt: "", keep_alive: -1, options: { num_ctx: numCtx } },
            signal,
          ),
        ),
      catch: (e) => fromThrown(e, name),
    })

  // Resolves when the simulated runner has given its memory back, as the port promises.
  const unload = (name: string) =>
    attempt(name, async () => {
      await settle(await engine.generate({ model: name, prompt: "", keep_alive: 0 }))
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
          response =
            call.path === "chat"
              ? await engine.chat(call.body as unknown as SimChatRequest, ctl.signal)
              : await engine.generate(call.body as unknown as SimGenerateRequest, ctl.signal)
          if (response.kind === "single") throw new Error("stream ended without a done chunk")
          const mapper = new ChunkMapper()
          let part: Json | undefined = response.first
          while (part !== undefined) {
            const mapped = mapper.map(part as unknown as WireChatPart | WireGeneratePart)
            if (mapped.at(-1)?.kind === "done") {
              finished = true
              yield* mapped
              return
            }
            yield* mapped
            const next: IteratorResult<Json> = await response.rest.next()
            part = next.done === true ? undefined : next.value
          }
          throw new Error("stream ended without a done chunk")
        }
        return Stream.fromAsyncIterable(chunks(), (e) => fromThrown(e, name, ctl.signal.aborted))
      }),
    )

  // Interim: the engine does not simulate embedding models yet.
  const embed = (name: string, _req: EmbedRequest) =>
    Effect.fail(
      conductorError("ModelNotFound", `the simulator serves no embedding model '${name}'`, { model: name }),
    )

  return {
    description: `simulator ${engine.profile.name}`,
    ping: attempt(undefined, () => engine.version()).pipe(Effect.map((v) => v.version as string)),
    listModels,
    describeModel,
    runningModels,
    load,
    unload,
    generate,
    embed,
  }
}

export const simBackendLayer = (engine: SimEngine) => Layer.succeed(Backend, makeSimBackend(engine))
