/**
 * The simulated vectors and Ollama's float32 wire details: deterministic raw vectors, unit
 * normalisation, Go's float32 formatting and OpenAI's base64 form.
 */
import { describe, expect, it } from "vitest"
import {
  float32Base64,
  float32Text,
  normalised,
  rawEmbedding,
  vectorJson,
} from "../../../src/backends/sim/embeddings.js"

describe("backends/sim embeddings", () => {
  it("raw vectors are float32, deterministic per (model, text), and differ between models", () => {
    const a = rawEmbedding("m", "hello world", 16)
    expect(a).toEqual(rawEmbedding("m", "hello world", 16))
    expect(a).not.toEqual(rawEmbedding("other", "hello world", 16))
    for (const x of a) expect(Math.fround(x)).toBe(x)
  })

  it("normalised vectors have unit length", () => {
    expect(Math.hypot(...normalised(rawEmbedding("m", "some text", 64)))).toBeCloseTo(1, 6)
  })

  it("float32 values print as Go prints them: the shortest decimal that reads back", () => {
    expect(float32Text(Math.fround(0.1))).toBe("0.1")
    expect(float32Text(Math.fround(-0.025367932))).toBe("-0.025367932")
    expect(float32Text(0)).toBe("0")
    expect(float32Text(Math.fround(1e-7))).toBe("1e-7")
    expect(vectorJson([Math.fround(0.5), Math.fround(1 / 3)])).toBe("[0.5,0.33333334]")
  })

  it("base64 is the little-endian float32 bytes", () => {
    const v = [Math.fround(1), Math.fround(-2.5)]
    const buf = Buffer.from(float32Base64(v), "base64")
    expect([buf.readFloatLE(0), buf.readFloatLE(4)]).toEqual(v)
  })
})
