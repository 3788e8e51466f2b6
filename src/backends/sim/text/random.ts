/**
 * The simulator's seeded randomness: a stable string hash (FNV-1a) and a PRNG seeded by it
 * (mulberry32), so every choice a fake model makes follows from what the request says; and the
 * few draws the generators make with it (one of a list, an integer in a range, a shuffle).
 */

/** A source of floats in [0, 1). */
export type Rng = () => number

/** Stable 32-bit FNV-1a hash of a string's UTF-16 code units. */
export const hashString = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** A mulberry32 PRNG seeded with `hashString(key)`: a function giving floats in [0, 1). */
export const seededRandom = (key: string): (() => number) => {
  let state = hashString(key)
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const pick = <T>(rng: Rng, xs: ReadonlyArray<T>): T => xs[Math.floor(rng() * xs.length)] as T
export const between = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1))
export const shuffled = <T>(rng: Rng, xs: ReadonlyArray<T>): T[] => {
  const out = [...xs]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    const t = out[i] as T
    out[i] = out[j] as T
    out[j] = t
  }
  return out
}
