/**
 * Randomness for the learner, always injected so that tests, load tests and replays are
 * reproducible: a seeded uniform generator (mulberry32) and draws from the Gamma and Beta
 * distributions built on it (Marsaglia and Tsang's method; Beta as a ratio of Gammas). A draw
 * costs a few hundred nanoseconds.
 */

/** Uniform floats in [0, 1). */
export type Random = () => number

/** A mulberry32 generator: the same seed gives the same stream. */
export const seededRandom = (seed: number): Random => {
  let state = seed | 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A standard normal draw (Box–Muller; one of the pair is discarded to keep the generator stateless). */
const normal = (rng: Random): number => {
  const u = 1 - rng()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng())
}

/** A Gamma(shape, 1) draw; shape > 0. */
export const sampleGamma = (shape: number, rng: Random): number => {
  if (shape < 1) {
    // Boost: Gamma(a) = Gamma(a + 1) · U^(1/a).
    return sampleGamma(shape + 1, rng) * (1 - rng()) ** (1 / shape)
  }
  const d = shape - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    let x: number
    let v: number
    do {
      x = normal(rng)
      v = 1 + c * x
    } while (v <= 0)
    v = v * v * v
    const u = 1 - rng()
    if (u < 1 - 0.0331 * x * x * x * x) return d * v
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v
  }
}

/** A Beta(a, b) draw in [0, 1]; a, b > 0. */
export const sampleBeta = (a: number, b: number, rng: Random): number => {
  const x = sampleGamma(a, rng)
  const y = sampleGamma(b, rng)
  return x + y === 0 ? a / (a + b) : x / (x + y)
}
