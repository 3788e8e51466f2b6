/**
 * Simulated embedding vectors: deterministic per (model, text), a bag of words (each word adds its
 * own pseudo-random direction), so texts sharing words are close in cosine similarity and the
 * same text always gets the same vector. Also the float32 details of Ollama's wire: vectors are
 * float32 (JSON prints them as Go prints a float32), OpenAI's base64 form is little-endian float32.
 */
import { hashString, seededRandom } from "./text/random.js"

const WORD = /[\p{L}\p{N}]+/gu
/** A word's direction is cached: embedding load tests repeat words a lot. */
const directions = new Map<string, Float64Array>()
const DIRECTIONS_KEPT = 4096

const directionOf = (model: string, word: string, dims: number): Float64Array => {
  const key = `${model}\u0000${dims}\u0000${word}`
  const known = directions.get(key)
  if (known !== undefined) return known
  const rng = seededRandom(key)
  const v = new Float64Array(dims)
  // Sum of two uniforms: centred, roughly bell-shaped components.
  for (let i = 0; i < dims; i++) v[i] = rng() + rng() - 1
  directions.set(key, v)
  if (directions.size > DIRECTIONS_KEPT) directions.delete(directions.keys().next().value as string)
  return v
}

/**
 * The model's raw (unnormalised) vector for `text`, of `dims` components, as float32 values. Its
 * length varies with the text, as a real model's pooled output does.
 */
export const rawEmbedding = (model: string, text: string, dims: number): number[] => {
  const sum = new Float64Array(dims)
  const words = text.toLowerCase().match(WORD) ?? []
  // A shared component for every text of this model (real embedding spaces are anisotropic).
  const base = directionOf(model, "\u0000bias", dims)
  for (let i = 0; i < dims; i++) sum[i] = (base[i] as number) * 0.5
  for (const w of words.length > 0 ? words : [""]) {
    const d = directionOf(model, w, dims)
    for (let i = 0; i < dims; i++) sum[i] = (sum[i] as number) + (d[i] as number)
  }
  const scale = 1 + (hashString(`${model}|${text}`) % 1000) / 250
  return Array.from(sum, (x) => Math.fround(x * scale))
}

/** Scaled to unit length (Ollama's `normalize` in server/routes.go), as float32 values. */
export const normalised = (v: ReadonlyArray<number>): number[] => {
  let sum = 0
  for (const x of v) sum += x * x
  const norm = 1 / Math.max(Math.sqrt(sum), 1e-12)
  return v.map((x) => Math.fround(x * norm))
}

/**
 * A float32 as Go's encoding/json prints it: the shortest decimal that reads back as the same
 * float32 (Go and JavaScript switch to exponent form at the same bounds, 1e-6 and 1e21).
 */
export const float32Text = (x: number): string => {
  if (x === 0) return "0"
  for (let p = 1; p < 9; p++) {
    const s = x.toPrecision(p)
    if (Math.fround(Number(s)) === x) return String(Number(s))
  }
  return String(Number(x.toPrecision(9)))
}

/** Vectors as JSON text with float32 formatting (`[[0.012,-0.3],[…]]`). */
export const vectorsJson = (vectors: ReadonlyArray<ReadonlyArray<number>>): string =>
  `[${vectors.map(vectorJson).join(",")}]`

export const vectorJson = (v: ReadonlyArray<number>): string => `[${v.map(float32Text).join(",")}]`

/** OpenAI's `encoding_format: "base64"`: the float32 values, little-endian, base64. */
export const float32Base64 = (v: ReadonlyArray<number>): string => {
  const buf = Buffer.alloc(v.length * 4)
  for (let i = 0; i < v.length; i++) buf.writeFloatLE(v[i] as number, i * 4)
  return buf.toString("base64")
}
