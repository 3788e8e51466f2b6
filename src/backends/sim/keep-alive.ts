/**
 * Ollama's `keep_alive`: a number of seconds (negative = forever) or a Go duration string
 * ("5m", "1h30m", "0", "-1s"); a number without a unit in a string is an error, as Ollama's
 * `time.ParseDuration` makes it. Returns milliseconds, `Infinity` for forever.
 */

const UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

/** Go's `time.ParseDuration`, in milliseconds. Throws with Go's wording on bad input. */
export const parseGoDuration = (s: string): number => {
  const quoted = `"${s}"`
  let rest = s
  let sign = 1
  if (rest.startsWith("-") || rest.startsWith("+")) {
    if (rest[0] === "-") sign = -1
    rest = rest.slice(1)
  }
  if (rest === "0") return 0
  if (rest === "") throw new Error(`time: invalid duration ${quoted}`)
  let total = 0
  while (rest !== "") {
    // As Go: a number, then a unit running up to the next digit or dot.
    const m = /^(\d*\.?\d*)([^\d.]*)/.exec(rest)
    if (m === null || m[1] === "" || m[1] === ".") throw new Error(`time: invalid duration ${quoted}`)
    const unit = m[2] ?? ""
    if (unit === "") throw new Error(`time: missing unit in duration ${quoted}`)
    const factor = UNITS[unit]
    if (factor === undefined) throw new Error(`time: unknown unit "${unit}" in duration ${quoted}`)
    total += Number(m[1]) * factor
    rest = rest.slice(m[0].length)
  }
  return sign * total
}

/** A request's `keep_alive` in ms (Infinity = forever). Throws Ollama's 400 message on bad input. */
export const parseKeepAlive = (value: unknown): number => {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`invalid keep_alive ${value}`)
    return value < 0 ? Number.POSITIVE_INFINITY : value * 1000
  }
  if (typeof value === "string") {
    const ms = parseGoDuration(value)
    return ms < 0 ? Number.POSITIVE_INFINITY : ms
  }
  throw new Error(`Unsupported type: '${value === null ? "<nil>" : typeof value}'`)
}
