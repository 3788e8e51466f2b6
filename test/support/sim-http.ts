/**
 * A simulator on a loopback port for HTTP tests: the tiny-ci profile on a fast scaled clock, the
 * official `ollama` client pointed at it, and the cleanup to run after each test.
 */
import { Ollama } from "ollama"
import {
  loadProfile,
  resolveProfilePath,
  SimEngine,
  type SimProfile,
  type SimServer,
  startSimServer,
} from "../../src/backends/sim/index.js"

export const tinyProfile = loadProfile(resolveProfilePath("tiny-ci"))

export interface SimHttp {
  readonly engine: SimEngine
  readonly server: SimServer
  readonly url: string
  readonly ollama: Ollama
  readonly close: () => Promise<void>
}

export const startSimHttp = async (
  options: { profile?: SimProfile; timeScale?: number; seed?: number; origins?: ReadonlyArray<string> } = {},
): Promise<SimHttp> => {
  const engine = new SimEngine(options.profile ?? tinyProfile, {
    timeScale: options.timeScale ?? 2000,
    seed: options.seed ?? 7,
  })
  const server = await startSimServer(engine, {
    port: 0,
    ...(options.origins !== undefined ? { origins: options.origins } : {}),
  })
  return {
    engine,
    server,
    url: server.url,
    ollama: new Ollama({ host: server.url }),
    close: async () => {
      await server.close()
      engine.close()
    },
  }
}

/** The ollama client's ResponseError (not exported): its status and message. */
export const ollamaFailure = async (
  call: () => Promise<unknown>,
): Promise<{ status: number; message: string }> => {
  try {
    await call()
  } catch (e) {
    if (
      e instanceof Error &&
      e.name === "ResponseError" &&
      "status_code" in e &&
      typeof e.status_code === "number"
    ) {
      return { status: e.status_code, message: e.message }
    }
    throw e
  }
  throw new Error("expected the call to fail with a ResponseError")
}

/** Poll `predicate` until it holds (background state), never a fixed sleep. */
export const waitUntil = async (
  predicate: () => boolean | Promise<boolean>,
  what = "condition",
): Promise<void> => {
  const deadline = Date.now() + 20_000
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 3))
  }
}
