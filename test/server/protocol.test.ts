import { describe, expect, it } from "vitest"
import { decodeClientMessage } from "../../src/server/protocol.js"

const error = (text: string) => {
  const d = decodeClientMessage(text)
  if (d.ok) throw new Error(`expected an error for ${text}`)
  return d.error
}

describe("server/protocol", () => {
  it("decodes the four client messages", () => {
    expect(decodeClientMessage('{"type":"query","id":"q1","prompt":"hi","persona":"casual"}')).toEqual({
      ok: true,
      message: { type: "query", id: "q1", request: { id: "q1", prompt: "hi", persona: "casual" } },
    })
    expect(decodeClientMessage('{"type":"cancel","id":"q1"}')).toEqual({
      ok: true,
      message: { type: "cancel", id: "q1" },
    })
    expect(decodeClientMessage('{"type":"subscribe","topics":["vram","models"]}')).toEqual({
      ok: true,
      message: { type: "subscribe", topics: ["vram", "models"] },
    })
    expect(decodeClientMessage('{"type":"unsubscribe","topics":[]}')).toMatchObject({ ok: true })
  })

  it("names what is wrong with a malformed message", () => {
    expect(error("{not json")).toMatchObject({
      code: "bad_json",
      message: expect.stringMatching(/^not valid JSON/),
    })
    expect(error("[1,2]")).toMatchObject({
      code: "bad_json",
      message: "expected a JSON object, got an array",
    })
    expect(error('"query"')).toMatchObject({ code: "bad_json" })
    expect(error("{}")).toMatchObject({
      code: "unknown_type",
      message: expect.stringMatching(/^type: missing/),
    })
    expect(error('{"type":"qurey","id":"x"}')).toMatchObject({ code: "unknown_type", id: "x" })
    expect(error('{"type":42}')).toMatchObject({ code: "unknown_type" })
    expect(error('{"type":"cancel"}')).toMatchObject({
      code: "invalid_message",
      message: "id: the request to cancel is required",
    })
    expect(error('{"type":"cancel","id":"a","force":true}')).toMatchObject({
      code: "invalid_message",
      message: "force: unknown field",
    })
    expect(error('{"type":"subscribe","topics":"vram"}')).toMatchObject({ code: "invalid_message" })
    expect(error('{"type":"subscribe","topics":["vram","gpu"]}')).toMatchObject({
      code: "invalid_message",
      message: expect.stringMatching(/^topics\[1\]: unknown topic "gpu"/),
    })
    // A wrong or missing field is named before an unknown one; a valid cancel id is echoed.
    expect(error('{"type":"cancel","force":true}')).toEqual({
      type: "error",
      code: "invalid_message",
      message: "id: the request to cancel is required",
    })
    expect(error('{"type":"cancel","id":"a","force":true}')).toMatchObject({ id: "a" })
    expect(error('{"type":"unsubscribe"}')).toMatchObject({
      code: "invalid_message",
      message: expect.stringMatching(/^topics: expected an array of /),
    })
    expect(error('{"type":"subscribe","topics":["vram"],"id":"s"}')).toEqual({
      type: "error",
      code: "invalid_message",
      message: "id: unknown field",
    })
    expect(error('{"type":"query","id":7,"prompt":"x"}')).toMatchObject({
      code: "invalid_message",
      message: "id: expected a string",
    })
  })
})
