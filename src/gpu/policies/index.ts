/** The scheduling policy from the configuration. */
import type { SchedulerConfig } from "../../config/schema.js"
import type { SchedulingPolicy } from "../policy.js"
import { swapAwarePolicy } from "./swap-aware.js"

export { swapAwarePolicy }

export const makePolicy = (config: Pick<SchedulerConfig, "minResidency" | "maxWait">): SchedulingPolicy =>
  swapAwarePolicy({ minResidencyMs: config.minResidency, maxWaitMs: config.maxWait })
