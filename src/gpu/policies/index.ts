/** The policies by configuration name. */
import type { SchedulerConfig } from "../../config/schema.js"
import type { SchedulingPolicy } from "../policy.js"
import { ollamaPolicy } from "./ollama.js"
import { swapAwarePolicy } from "./swap-aware.js"

export { ollamaPolicy, swapAwarePolicy }

/** The configured policy. */
export const makePolicy = (
  config: Pick<SchedulerConfig, "policy" | "minResidency" | "maxWait">,
): SchedulingPolicy =>
  config.policy === "ollama"
    ? ollamaPolicy()
    : swapAwarePolicy({ minResidencyMs: config.minResidency, maxWaitMs: config.maxWait })
