/**
 * `conductor serve`'s HTTP server in the test's own process: the same `startServer` (gate,
 * operators' routes, the compatible APIs, metrics fed from the event bus) over a Conductor on the
 * embedded simulator at a high time scale, listening on loopback. For tests that must reach the
 * simulator between requests (`conductor.simulator.injectFault`), which a spawned server hides.
 */
import { type Conductor, type ConductorOptions, createConductor } from "../../src/conductor.js"
import { makeLogger } from "../../src/logging/logger.js"
import { makeMetrics } from "../../src/metrics/metrics.js"
import { startServer } from "../../src/server/server.js"

export interface HttpEnv {
  readonly url: string
  readonly conductor: Conductor
  /** The Prometheus text of this server's metrics. */
  metrics(): Promise<string>
  close(): Promise<void>
}

export const httpEnv = async (
  options: Partial<ConductorOptions> & { readonly token?: string } = {},
): Promise<HttpEnv> => {
  const { token, ...rest } = options
  const conductor = await createConductor({
    backend: "sim",
    simProfile: "tiny-ci",
    timeScale: 50,
    seed: 11,
    env: {},
    ...rest,
    config: {
      ...rest.config,
      server: {
        host: "127.0.0.1",
        port: 0,
        drainMs: 0,
        ...(rest.config?.server as Record<string, unknown> | undefined),
      },
    },
  })
  const metrics = makeMetrics()
  conductor.subscribe(metrics.observe)
  const server = await startServer({
    conductor,
    config: conductor.config.conductor.server,
    metrics,
    logger: makeLogger("error"),
    token,
    version: "test",
  })
  return {
    url: server.url,
    conductor,
    metrics: () => metrics.text(),
    close: () => server.drain(),
  }
}
