/**
 * Conductor's library API: create a Conductor, submit requests, read events and snapshots.
 * Everything else in `src/` is internal.
 */
export {
  type Conductor,
  type ConductorOptions,
  type ConductorRequest,
  type ConductorResult,
  type ConductorSnapshot,
  createConductor,
  type EmbedRequest,
  type EmbedResponse,
  type ModelInfo,
  type Readiness,
  type RequestHandle,
} from "./conductor.js"
export type { RoutingDecision } from "./domain/decision.js"
export { ConductorError, type ErrorReason, isConductorError } from "./domain/errors.js"
export {
  type Attempt,
  type ConductorEvent,
  type FinishReason,
  type RequestEvent,
  type SystemEvent,
  TERMINAL_TYPES,
  type Timings,
  TOPICS,
  type ToolCall,
  type Topic,
  type Usage,
} from "./domain/events.js"
export { ManualClock, ScaledClock, type TimeSource } from "./time/clock.js"
