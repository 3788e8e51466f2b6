/**
 * Decayed evidence about one arm — a (task type, complexity band, model) — or a pool of arms:
 * sums over its outcomes, each weighted 2^(−age / halfLife), kept as of one instant and decayed
 * lazily when read or added to. Exponential decay makes the sums a fixed-size summary of the
 * whole history (no window to store), bounds the evidence at about rate × halfLife / ln 2 so the
 * posterior never freezes, and lets an arm nobody has tried for a while drift back to its prior.
 */

export interface Evidence {
  /** Weight of the outcomes (a decayed count). */
  n: number
  /** Σ weight × quality (quality 0–1: success × the feedback score, or 1 for a validated answer). */
  good: number
  /** Σ weight × GPU-seconds. */
  gpu: number
  /** Σ weight × seconds holding the model's slot (generation). */
  seconds: number
  /** Σ weight × tokens generated. */
  tokens: number
  /** Epoch milliseconds the sums are as of. */
  at: number
}

export const emptyEvidence = (at: number): Evidence => ({ n: 0, good: 0, gpu: 0, seconds: 0, tokens: 0, at })

/** The weight an outcome `ageMs` old has: 1 when new, ½ after one half-life. */
export const decayFactor = (ageMs: number, halfLifeMs: number): number =>
  ageMs <= 0 ? 1 : Math.exp((-Math.LN2 * ageMs) / halfLifeMs)

/**
 * Bring `e`'s sums to `now` (in place). Outcomes from the future (clock skew) are taken as new.
 * Steps shorter than 1/10,000 of a half-life are put off (the sums stay as of `e.at`, so nothing
 * is lost; they read at most 0.007% high): decisions come far more often than that, and an
 * exponential on every arm of every decision was a third of the learner's time.
 */
export const decayTo = (e: Evidence, now: number, halfLifeMs: number): void => {
  if (now - e.at < halfLifeMs * 1e-4) return
  const f = decayFactor(now - e.at, halfLifeMs)
  e.n *= f
  e.good *= f
  e.gpu *= f
  e.seconds *= f
  e.tokens *= f
  e.at = now
}

export interface Observation {
  readonly quality: number
  readonly gpuSeconds: number
  readonly seconds: number
  readonly tokens: number
}

/** Add one outcome that happened at `at` (≤ e.at counts with its age's weight). */
export const addOutcome = (e: Evidence, o: Observation, at: number, halfLifeMs: number): void => {
  if (at > e.at) decayTo(e, at, halfLifeMs)
  const w = decayFactor(e.at - at, halfLifeMs)
  e.n += w
  e.good += w * o.quality
  e.gpu += w * o.gpuSeconds
  e.seconds += w * o.seconds
  e.tokens += w * o.tokens
}

/**
 * Replace the quality an outcome at `at` was counted with (`from`) by `to` — feedback arriving
 * after the answer. Exact under exponential decay: the outcome's share of `good` is its weight.
 */
export const correctQuality = (
  e: Evidence,
  at: number,
  from: number,
  to: number,
  now: number,
  halfLifeMs: number,
): void => {
  decayTo(e, now, halfLifeMs)
  const w = decayFactor(e.at - at, halfLifeMs)
  e.good = Math.min(e.n, Math.max(0, e.good + w * (to - from)))
}
