/**
 * Template filling for the simulator's answers: the three slots ({a} {b} {c}, capitalised {A} {B}
 * {C}) taken from the prompt, a template filled from them, answers grown part by part to a target
 * length in token pieces, and the small word helpers (capitalise, singular) the generators share.
 */
import { countPieces } from "./pieces.js"

/** Words from the prompt that fill the templates: the main topic and two related ones. */
export interface Slots {
  readonly a: string
  readonly b: string
  readonly c: string
}

export const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)

/** Replaces {a} {b} {c} with the slots, {A} {B} {C} with the slots capitalised. */
export const fill = (template: string, s: Slots): string =>
  template.replace(/\{([abcABC])\}/g, (_, k: string) => {
    const v = s[k.toLowerCase() as keyof Slots]
    return k === k.toLowerCase() ? v : cap(v)
  })

/**
 * Parts from `make` until the text reaches `target` pieces (counting `base` for the fixed text) or
 * `max` parts, at least `min`; then, while still short, one `tail` appended to each part in turn.
 */
export const grow = (
  base: number,
  range: readonly [min: number, max: number, target: number],
  make: (i: number) => string,
  tail?: (i: number) => string,
): string[] => {
  const [min, max, target] = range
  const parts: string[] = []
  let n = base
  while (parts.length < min || (n < target && parts.length < max)) {
    const p = make(parts.length)
    parts.push(p)
    n += countPieces(p)
  }
  for (let i = 0; tail !== undefined && n < target && i < parts.length; i++) {
    const t = tail(i)
    parts[i] = `${parts[i] ?? ""}${t}`
    n += countPieces(t)
  }
  return parts
}

export const singular = (w: string): string =>
  w.endsWith("ies") ? `${w.slice(0, -3)}y` : w.endsWith("s") && !w.endsWith("ss") ? w.slice(0, -1) : w
