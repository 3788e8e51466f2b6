import { describe, expect, it } from "vitest"
import { eventLogLine, makeLogger } from "../../src/logging/logger.js"

describe("logging", () => {
  it("writes JSON lines at or above the level", () => {
    const lines: string[] = []
    const log = makeLogger(
      "info",
      (l) => lines.push(l),
      () => Date.UTC(2026, 0, 1),
    )
    log.log("debug", "hidden")
    log.log("warn", "model load failed", { model: "m" })
    expect(lines).toEqual([
      '{"ts":"2026-01-01T00:00:00.000Z","level":"warn","msg":"model load failed","model":"m"}\n',
    ])
  })

  it("never logs tokens, and logs answer text only when prompts are enabled", () => {
    expect(eventLogLine({ type: "token", id: "r", text: "secret" }, true)).toBeUndefined()
    const completed = {
      type: "completed" as const,
      id: "r",
      model: "m",
      tier: "fast" as const,
      taskType: "general_qa" as const,
      text: "the answer",
      reason: "complexity_tier" as const,
      finishReason: "stop" as const,
      labels: [],
      usage: { promptTokens: 1, evalTokens: 2 },
      timings: {
        queueMs: 0,
        loadMs: 0,
        firstTokenMs: 5,
        totalMs: 9,
        backendMs: 4,
        promptEvalMs: 1,
        evalMs: 3,
      },
      attempts: [],
      warnings: [],
    }
    expect(JSON.stringify(eventLogLine(completed, false))).not.toContain("the answer")
    expect(eventLogLine(completed, true)?.[2]).toMatchObject({ text: "the answer" })
  })
})
