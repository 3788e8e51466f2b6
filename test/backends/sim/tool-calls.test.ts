/** Which tool a simulated model calls, and with what arguments. */
import { describe, expect, it } from "vitest"
import {
  chooseTool,
  offeredTools,
  toolCallFor,
  toolResultAnswer,
} from "../../../src/backends/sim/tool-calls.js"

const tools = offeredTools([
  {
    type: "function",
    function: { name: "send_email", description: "Send an email message", parameters: {} },
  },
  {
    type: "function",
    function: {
      name: "lookupStockPrice",
      description: "Look up the latest price of a stock ticker",
      parameters: {
        type: "object",
        properties: {
          ticker: { type: "string" },
          exchange: { type: "string", enum: ["NYSE", "NASDAQ"] },
          limit: { type: "integer", minimum: 1, maximum: 5 },
          include_history: { type: "boolean" },
        },
        required: ["ticker", "currency"],
      },
    },
  },
])

describe("backends/sim tool calls", () => {
  it("picks the tool whose name or description shares most words with the prompt, else the first", () => {
    expect(chooseTool(tools, "What is the stock price of ACME?")?.name).toBe("lookupStockPrice")
    expect(chooseTool(tools, "Please email my boss")?.name).toBe("send_email")
    expect(chooseTool(tools, "Hello there")?.name).toBe("send_email")
    expect(chooseTool([], "anything")).toBeUndefined()
  })

  it("arguments follow the schema: every property, required ones too, of the right types", () => {
    const made = toolCallFor("m", 1, tools, "What is the stock price of ACME?")
    const args = made?.call.function.arguments ?? {}
    expect(Object.keys(args).sort()).toEqual(["currency", "exchange", "include_history", "limit", "ticker"])
    expect(typeof args.ticker).toBe("string")
    expect(args.exchange).toBe("NYSE")
    expect(Number.isInteger(args.limit)).toBe(true)
    expect(args.limit as number).toBeGreaterThanOrEqual(1)
    expect(args.limit as number).toBeLessThanOrEqual(5)
    expect(typeof args.include_history).toBe("boolean")
    expect(made?.text).toContain('"name":"lookupStockPrice"')
  })

  it("tools that are not an array are Go's decoding error", () => {
    expect(() => offeredTools("x")).toThrow(
      "json: cannot unmarshal string into Go struct field ChatRequest.tools of type api.Tools",
    )
  })

  it("the answer after a tool result restates it", () => {
    const text = toolResultAnswer(
      "m",
      1,
      [{ name: "lookupStockPrice", content: '{"price": 12.5}' }],
      "Price of ACME?",
    )
    expect(text).toContain("lookupStockPrice")
    expect(text).toContain("price is 12.5")
    expect(toolResultAnswer("m", 1, [{ name: "", content: "plain words" }], "q")).toContain("plain words.")
  })
})
