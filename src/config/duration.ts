/**
 * Durations in configuration: "250ms", "30s", "5m", "1h30m", "30d" (units ms, s, m, h, d;
 * fractions allowed, e.g. "1.5s"), decoded to milliseconds. A bare number is refused so that "30" never
 * silently means 30 ms when seconds were meant.
 */
import { Schema, SchemaTransformation } from "effect"

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/

const FACTOR: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Milliseconds of a duration text that matches DURATION_PATTERN. */
export const parseDurationMs = (text: string): number => {
  let total = 0
  for (const m of text.matchAll(PART)) total += Number(m[1]) * (FACTOR[m[2] as string] as number)
  return total
}

/** Renders milliseconds back as the shortest exact text ("90s" → "1m30s"). */
export const formatDurationMs = (ms: number): string => {
  if (ms === 0) return "0s"
  let rest = ms
  let out = ""
  for (const [unit, f] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const) {
    const n = Math.floor(rest / f)
    if (n > 0) {
      out += `${n}${unit}`
      rest -= n * f
    }
  }
  return rest > 0 ? `${out}${rest}ms` : out
}

const EXPECTED = "expected a duration with a unit, such as 250ms, 30s, 5m or 1h30m"

/** A duration text decoded to milliseconds. */
export const DurationMs = Schema.String.annotate({ message: EXPECTED })
  .check(Schema.isPattern(DURATION_PATTERN, { message: EXPECTED }))
  .pipe(
    Schema.decodeTo(
      Schema.Number,
      SchemaTransformation.transform({ decode: parseDurationMs, encode: formatDurationMs }),
    ),
  )
