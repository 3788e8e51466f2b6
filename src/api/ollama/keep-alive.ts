/**
 * Ollama's `keep_alive` (seconds as a number, or a Go duration string such as "5m", "1h30m",
 * "0"; negative means forever), read only as far as Conductor needs it: is it zero (an unload
 * request, on an empty request), or malformed (a 400 naming it). Conductor never forwards it:
 * it owns residency (docs/ollama.md).
 */

const kind = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v)

const GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/
const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
}

/**
 * Ollama's `keep_alive`: seconds as a number, or a Go duration ("5m", "1h30m", "0"); negative
 * means forever. Returns whether it is zero (an unload), or what is wrong with it.
 */
export const parseKeepAlive = (v: unknown): { readonly zero: boolean } | { readonly error: string } => {
  if (typeof v === "number" && Number.isFinite(v)) return { zero: v === 0 }
  if (typeof v === "string") {
    if (v === "0" || v === "-0" || v === "+0") return { zero: true }
    if (GO_DURATION.test(v)) {
      let ns = 0
      for (const m of v.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
        ns += Number(m[1]) * (UNIT_NS[m[2] as string] as number)
      }
      return { zero: ns === 0 }
    }
    return { error: `keep_alive: ${JSON.stringify(v)} is not a duration (seconds, or e.g. "5m", "0")` }
  }
  return { error: `keep_alive: expected seconds or a duration string, got ${kind(v)}` }
}
