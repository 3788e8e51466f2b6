/**
 * How long a model takes to load: a cold load reads the file from disk at the rate Ollama reaches,
 * a warm one finds it in the host's page cache and copies it at memory speed; both pay the
 * runtime's start-up. A model's measured `loadSec` replaces the formula; a file partly in the
 * cache costs in between, in proportion to the part read from disk; `scale` (the profile's
 * `loadCostScale`, or a scenario's) multiplies the result. Calibration and sources:
 * docs/simulator.md, "Load time".
 */
import { fileBytes, GB, type SimModelSpec, type SimProfile } from "./profile.js"

export interface LoadTimes {
  /** The whole file read from disk, ms. */
  readonly coldMs: number
  /** The whole file in the page cache, ms. */
  readonly warmMs: number
}

/** The model's cold and warm load times at scale 1. */
export const loadTimesOf = (model: SimModelSpec, profile: SimProfile): LoadTimes => {
  const file = fileBytes(model)
  const cold = model.loadSec?.cold ?? profile.loadOverheadSec + file / (profile.diskReadGBps * GB)
  const warm = model.loadSec?.warm ?? profile.loadOverheadSec + file / (profile.pageCacheReadGBps * GB)
  return { coldMs: cold * 1000, warmMs: Math.min(warm, cold) * 1000 }
}

/** The load time when `cachedFraction` (0–1) of the file is in the page cache. */
export const loadMs = (times: LoadTimes, cachedFraction: number, scale: number): number => {
  const cached = Math.min(1, Math.max(0, cachedFraction))
  return scale * (times.warmMs + (times.coldMs - times.warmMs) * (1 - cached))
}
