/**
 * Performance tiers: the coarse quality/speed classes every model belongs to. Ordered from
 * cheapest to most capable; routing moves between them by index, never by string compare.
 */

export const TIERS = ["fast", "balanced", "quality"] as const
export type Tier = (typeof TIERS)[number]

export const tierIndex = (tier: Tier): number => TIERS.indexOf(tier)

/** The tier `steps` above (positive) or below (negative) `tier`, clamped to the ends. */
export const shiftTier = (tier: Tier, steps: number): Tier => {
  const i = Math.min(TIERS.length - 1, Math.max(0, tierIndex(tier) + steps))
  return TIERS[i] as Tier
}

/** Clamp `tier` into [min, max] (either bound optional). */
export const clampTier = (tier: Tier, min: Tier | undefined, max: Tier | undefined): Tier => {
  let i = tierIndex(tier)
  if (min !== undefined) i = Math.max(i, tierIndex(min))
  if (max !== undefined) i = Math.min(i, tierIndex(max))
  return TIERS[i] as Tier
}

export const isTier = (value: unknown): value is Tier =>
  typeof value === "string" && (TIERS as ReadonlyArray<string>).includes(value)
