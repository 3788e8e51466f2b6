import { describe, expect, it } from "vitest"
import { decodeClientMessage } from "../../src/server/protocol.js"

describe("server/feedback (the WebSocket feedback message)", () => {
  it("decodes {type: feedback, id, score}", () => {
    expect(decodeClientMessage('{"type":"feedback","id":"q1","score":0.5}')).toEqual({
      ok: true,
      message: { type: "feedback", id: "q1", score: 0.5 },
    })
    expect(decodeClientMessage('{"type":"feedback","id":"q1","score":0}')).toMatchObject({ ok: true })
  })

  it("names what is wrong", () => {
    const error = (text: string) => {
      const d = decodeClientMessage(text)
      if (d.ok) throw new Error(`expected an error for ${text}`)
      return d.error
    }
    expect(error('{"type":"feedback","score":1}')).toMatchObject({
      code: "invalid_message",
      message: expect.stringMatching(/^id: expected the id of a request/),
    })
    expect(error('{"type":"feedback","id":"q1","score":"great"}')).toMatchObject({
      code: "invalid_message",
      id: "q1",
      message: 'score: expected a number from 0 to 1, got "great"',
    })
    expect(error('{"type":"feedback","id":"q1","score":-0.1}').message).toMatch(/^score:/)
    expect(error('{"type":"feedback","id":"q1","score":1,"note":"x"}').message).toBe("note: unknown field")
  })
})
