/** The simulated GPU host: engine (in-process), HTTP server, profiles and clocks. */
export { ManualClock, ScaledClock, type TimeSource } from "../../time/clock.js"
export {
  type EngineOptions,
  type SimChatRequest,
  type SimEmbeddingResponse,
  type SimEmbeddingsRequest,
  type SimEmbedRequest,
  SimEngine,
  type SimEvent,
  type SimGenerateRequest,
  type SimResponse,
  type SimState,
} from "./engine.js"
export { SimError } from "./errors.js"
export { FAULT_KINDS, type FaultKind } from "./faults.js"
export { type SimServer, type SimServerOptions, startSimServer } from "./http.js"
export {
  decodeProfile,
  footprintBytes,
  loadProfile,
  type SimModelSpec,
  type SimProfile,
  SimProfileError,
  totalVramBytes,
} from "./profile.js"
export { resolveProfilePath } from "./profile-path.js"
