/**
 * What an HTTP facade needs from the server: the Conductor it translates to, whether the server
 * is draining (no new requests), the logger and the version. Facades translate and decide
 * nothing else (DESIGN decision 12): routing, scheduling, validation and failover stay behind
 * `submit` and `embed`.
 */
import type { Conductor } from "../conductor.js"
import type { Logger } from "../logging/logger.js"

export interface ApiDeps {
  readonly conductor: Conductor
  readonly draining: () => boolean
  readonly logger: Logger
  readonly version: string
  /** Largest request body, bytes (`server.maxRequestBytes`). */
  readonly maxRequestBytes: number
}
