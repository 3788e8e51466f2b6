/**
 * Building blocks shared by every YAML schema (configuration, simulator profiles, load
 * scenarios): a key with a decoding default, and the common number constraints.
 */
import { Effect, Schema } from "effect"

/** A key that may be omitted; when it is, `value` is decoded in its place. */
export const withDefault =
  <S extends Schema.Top>(value: S["Encoded"]) =>
  (schema: S) =>
    schema.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))

export const Positive = Schema.Number.check(Schema.isGreaterThan(0))
export const NonNegative = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))
export const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
export const Probability = Schema.Number.check(
  Schema.isGreaterThanOrEqualTo(0),
  Schema.isLessThanOrEqualTo(1),
)
