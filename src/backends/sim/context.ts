/**
 * The context a request's runner gets, as the current Ollama release decides it: a request (or
 * OLLAMA_CONTEXT_LENGTH) that sets num_ctx gets that; one that sets none gets the VRAM-based
 * default (server/routes.go Serve: 262144 from 47 GiB of GPU memory, 32768 from 23 GiB, else
 * 4096) and is marked automatic, so that two automatic requests never reload each other
 * (sched.go needsReload). getRunner raises it to at least 4 (2048 for vision models); the
 * runner holds at most the model's training context (effectiveContext). A load that runs out of
 * memory with an automatic context retries once a tier lower (nextLowerAutoNumCtx).
 */
import type { SimModelSpec, SimProfile } from "./profile.js"
import { totalVramBytes } from "./profile.js"

const GiB = 1024 ** 3

/** The default num_ctx for a host with `totalVram` bytes of GPU memory (server/routes.go). */
export const vramDefaultContext = (totalVram: number): number =>
  totalVram >= 47 * GiB ? 262144 : totalVram >= 23 * GiB ? 32768 : 4096

/** A request's context before the model caps it, and whether Ollama chose it. */
export interface RequestedContext {
  readonly numCtx: number
  readonly auto: boolean
}

/** `requested` is the request's `options.num_ctx` (undefined when it sets none). */
export const requestedContext = (
  profile: SimProfile,
  model: SimModelSpec,
  requested: number | undefined,
): RequestedContext => {
  const configured = profile.server.contextLength
  const auto = requested === undefined && configured === undefined
  let numCtx = requested ?? configured ?? vramDefaultContext(totalVramBytes(profile))
  numCtx = Math.max(numCtx, 4)
  if (model.capabilities.includes("vision")) numCtx = Math.max(numCtx, 2048)
  return { numCtx, auto }
}

/** The context a runner of `model` actually holds: at most its training context. */
export const effectiveContext = (model: SimModelSpec, numCtx: number): number =>
  Math.min(numCtx, model.contextLength)

/** The automatic context one tier lower, for the retry after a load ran out of memory. */
export const nextLowerAutoContext = (numCtx: number): number | undefined =>
  numCtx > 32768 ? 32768 : numCtx > 4096 ? 4096 : undefined
