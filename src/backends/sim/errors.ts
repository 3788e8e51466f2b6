/**
 * Errors the simulator raises, with Ollama's HTTP status codes and wording, so that a client
 * cannot tell them from a real server's.
 */

export class SimError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Set for connection-level failures (the server is unreachable). */
    readonly code?: "ECONNREFUSED",
  ) {
    super(message)
    this.name = "SimError"
  }

  /** The status where ollama-js's ResponseError carries it: the port's error mapping reads it there. */
  get status_code(): number {
    return this.status
  }
}

/** Go's format.HumanBytes2 (binary units, one decimal). */
export const humanBytes2 = (b: number): string => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"]
  let v = b
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return i === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[i]}`
}

export const notFound = (model: string) => new SimError(404, `model '${model}' not found`)
export const modelRequired = () => new SimError(400, "model is required")
export const badRequest = (message: string) => new SimError(400, message)
export const serverBusy = () =>
  new SimError(503, "server busy, please try again.  maximum pending requests exceeded")
export const tooLarge = (need: number, available: number) =>
  new SimError(
    500,
    `model requires more system memory (${humanBytes2(need)}) than is available (${humanBytes2(available)})`,
  )
export const loadOom = () =>
  new SimError(500, "llama runner process has terminated: cudaMalloc failed: out of memory")
export const loadTerminated = () => new SimError(500, "llama runner process has terminated: exit status 2")
export const runtimeError = () =>
  new SimError(500, "an error was encountered while running the model: unexpected EOF")
export const runnerCrashed = () =>
  new SimError(500, "llama runner process has terminated: signal: segmentation fault (core dumped)")
export const unreachable = () => new SimError(0, "connect ECONNREFUSED", "ECONNREFUSED")
export const cancelled = () => new SimError(499, "request canceled")
/** The embed handlers' missing model (handleScheduleError's os.ErrNotExist case). */
export const notPulled = (model: string) =>
  new SimError(404, `model "${model}" not found, try pulling it first`)
