/**
 * The `tiny-ci` simulator profile the tests run on, and what follows from it.
 */
import { loadProfile } from "../../src/backends/sim/profile.js"
import { resolveProfilePath } from "../../src/backends/sim/profile-path.js"

const profile = loadProfile(resolveProfilePath("tiny-ci"))
const gpuGb = Math.max(...profile.gpus.map((g) => g.vramGb))

/**
 * Every tiny-ci chat model that fits on its GPU (all but the 22 GB coder and the embedding
 * model), in the profile's order.
 */
export const TINY_CI_MODELS: ReadonlyArray<string> = profile.models
  .filter((m) => m.vramGb <= gpuGb && m.capabilities.includes("completion"))
  .map((m) => m.name)
