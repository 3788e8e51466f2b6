/**
 * Command-line parsing helpers on top of `node:util` parseArgs: usage errors carry exit code 2
 * and say which flag was wrong; number and enum flags are validated here, once.
 */

export class UsageError extends Error {
  readonly exitCode = 2
}

/** A failure with the exit code to leave with (its message is printed). */
export class ExitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message)
  }
}

/** Run a `parseArgs` call, turning its errors (unknown flag, missing value) into usage errors. */
export const withUsage = <T>(parse: () => T, usage: string): T => {
  try {
    return parse()
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${usage}`)
  }
}

export const intFlag = (name: string, raw: string | undefined, min = 0): number | undefined => {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (raw.trim() === "" || !Number.isInteger(n) || n < min) {
    throw new UsageError(`--${name}: expected an integer ≥ ${min}, got '${raw}'`)
  }
  return n
}

export const numberFlag = (name: string, raw: string | undefined, min = 0): number | undefined => {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (raw.trim() === "" || !Number.isFinite(n) || n < min) {
    throw new UsageError(`--${name}: expected a number ≥ ${min}, got '${raw}'`)
  }
  return n
}

export const enumFlag = <T extends string>(
  name: string,
  raw: string | undefined,
  values: ReadonlyArray<T>,
): T | undefined => {
  if (raw === undefined) return undefined
  if (!(values as ReadonlyArray<string>).includes(raw)) {
    throw new UsageError(`--${name}: expected one of ${values.join("|")}, got '${raw}'`)
  }
  return raw as T
}

export const listFlag = (raw: string | undefined): ReadonlyArray<string> | undefined =>
  raw === undefined
    ? undefined
    : raw
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "")
