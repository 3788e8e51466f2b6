/**
 * Where a loading model's memory goes. The current Ollama runs every GGUF model on llama-server,
 * which fits the layers to the GPUs itself (`--fit`, leaving its default 1 GiB margin free): a
 * model that fits is all on the GPUs; one that does not keeps what fits there and runs the rest
 * of its layers on the CPU from system memory, and each token then waits for the CPU's share.
 * A model whose CPU share does not fit in free system memory either cannot load.
 */
import { GB, type SimModelSpec } from "./profile.js"

/** llama.cpp's default `--fit-target`: memory left free on a device (common/common.h). */
export const FIT_MARGIN_BYTES = 1024 ** 3

export interface Placement {
  readonly gpuBytes: number
  /** Bytes offloaded to system memory (0 when the model is all on the GPUs). */
  readonly cpuBytes: number
  /** How many times longer each token (and prompt batch) takes than on the GPUs alone. */
  readonly slowdown: number
}

/**
 * Place `needBytes` of `model` with `gpuFreeBytes` free on the GPUs and `hostFreeBytes` in system
 * memory; undefined when it does not fit in both together.
 */
export const place = (
  model: SimModelSpec,
  needBytes: number,
  gpuFreeBytes: number,
  hostFreeBytes: number,
  cpuMemoryGBps: number,
): Placement | undefined => {
  const room = Math.max(0, gpuFreeBytes - FIT_MARGIN_BYTES)
  if (needBytes <= room) return { gpuBytes: needBytes, cpuBytes: 0, slowdown: 1 }
  const cpuBytes = needBytes - room
  if (cpuBytes > hostFreeBytes) return undefined
  // A token reads every weight once: the GPU's share at the model's own speed, the CPU's share at
  // system-memory bandwidth.
  const onGpu = room / needBytes
  const cpuSecondsPerToken = ((1 - onGpu) * model.sizeGb * GB) / (cpuMemoryGBps * GB)
  const slowdown = onGpu + cpuSecondsPerToken * model.tokensPerSec
  return { gpuBytes: room, cpuBytes, slowdown: Math.max(1, slowdown) }
}
