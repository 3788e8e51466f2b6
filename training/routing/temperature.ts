/**
 * Calibration's one-parameter fit: the temperature T minimising a negative log-likelihood, by
 * golden-section search over log T. Deterministic.
 */

/** The temperature T minimising `nll(T)` (golden-section search over log T in [e^-3, e^3]). */
export const fitTemperature = (nll: (t: number) => number): number => {
  let lo = -3
  let hi = 3
  const phi = (Math.sqrt(5) - 1) / 2
  let a = hi - phi * (hi - lo)
  let b = lo + phi * (hi - lo)
  let fa = nll(Math.exp(a))
  let fb = nll(Math.exp(b))
  for (let i = 0; i < 60; i++) {
    if (fa < fb) {
      hi = b
      b = a
      fb = fa
      a = hi - phi * (hi - lo)
      fa = nll(Math.exp(a))
    } else {
      lo = a
      a = b
      fa = fb
      b = lo + phi * (hi - lo)
      fb = nll(Math.exp(b))
    }
  }
  return Math.exp((lo + hi) / 2)
}
