/**
 * The pure translation of an OpenAI Chat Completions body to a Conductor request: each field's
 * mapping, the refusals that name their field, and the stream policy it picks.
 */
import { describe, expect, it } from "vitest"
import { parseModelField } from "../../../src/api/model-field.js"
import { translateChatRequest } from "../../../src/api/openai/chat-request.js"
import { openaiError, openaiProblem } from "../../../src/api/openai/errors.js"
import { tenantOf } from "../../../src/api/tenant.js"
import { prepareRequest } from "../../../src/requests/request.js"

interface Headers {
  get(name: string): string | undefined
}
const noHeaders: Headers = { get: () => undefined }
const headers = (h: Record<string, string>): Headers => ({ get: (n) => h[n] })
const user = (content: unknown = "Hello") => ({ role: "user", content })

const ok = (body: unknown, h = noHeaders) => {
  const t = translateChatRequest(body, h)
  if (!t.ok) throw new Error(`expected a translation, got: ${t.message}`)
  return t.value
}
const problem = (body: unknown, h = noHeaders): string => {
  const t = translateChatRequest(body, h)
  if (t.ok) throw new Error(`expected a refusal, got ${JSON.stringify(t.value)}`)
  return t.message
}

describe("the model field", () => {
  it("routes on auto, forces a tier on auto:<tier>, overrides with a model name", () => {
    expect(parseModelField("auto")).toEqual({})
    expect(parseModelField("auto:fast")).toEqual({ tier: "fast" })
    expect(parseModelField("auto:quality")).toEqual({ tier: "quality" })
    expect(parseModelField("qwen2.5:14b")).toEqual({ model: "qwen2.5:14b" })
    expect(parseModelField("auto:huge")).toEqual({
      error: expect.stringMatching(/^model: unknown tier 'huge'/),
    })
  })

  it("is required", () => {
    expect(problem({ messages: [user()] })).toMatch(/^model: required/)
    expect(problem({ model: "", messages: [user()] })).toMatch(/^model: required/)
  })
})

describe("messages", () => {
  it("map role for role; developer is a system turn; content parts join as text", () => {
    const t = ok({
      model: "auto",
      messages: [
        { role: "developer", content: "Be brief." },
        { role: "system", content: [{ type: "text", text: "Use metric units." }] },
        user([
          { type: "text", text: "Line one" },
          { type: "text", text: "Line two" },
        ]),
      ],
    })
    expect(t.request.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "system", content: "Use metric units." },
      { role: "user", content: "Line one\nLine two" },
    ])
  })

  it("carry base64 images; remote image URLs are refused, naming the part", () => {
    const t = ok({
      model: "auto",
      messages: [
        user([
          { type: "text", text: "What is this?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
        ]),
      ],
    })
    expect(t.request.messages?.[0]).toEqual({
      role: "user",
      content: "What is this?",
      images: ["iVBORw0KGgo="],
    })
    expect(
      problem({
        model: "auto",
        messages: [user([{ type: "image_url", image_url: { url: "https://example.com/cat.png" } }])],
      }),
    ).toMatch(/^messages\[0\]\.content\[0\]\.image_url\.url: expected a base64 data URL/)
  })

  it("carry an assistant's tool calls (arguments parsed from JSON) and tool results by tool_call_id", () => {
    const t = ok({
      model: "auto",
      messages: [
        user("What is 2 + 3?"),
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "add", arguments: '{"a":2,"b":3}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "5" },
      ],
    })
    expect(t.request.messages).toEqual([
      { role: "user", content: "What is 2 + 3?" },
      {
        role: "assistant",
        content: "",
        toolCalls: [{ id: "call_1", name: "add", arguments: { a: 2, b: 3 } }],
      },
      { role: "tool", content: "5", toolCallId: "call_1" },
    ])
    // Conductor accepts what the translation produces.
    expect(prepareRequest(t.request).ok).toBe(true)
  })

  it("name every problem, each at its place", () => {
    const message = problem({
      model: "auto",
      messages: [
        { role: "user", content: 42 },
        { role: "wizard", content: "hi" },
        { role: "tool", content: "5" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ function: { name: "add", arguments: "{not json" } }],
        },
        { role: "user", content: null },
      ],
    })
    expect(message.split("; ")).toEqual([
      "messages[0].content: expected a string or an array of content parts, got number",
      'messages[1].role: expected system, developer, user, assistant or tool, got "wizard"',
      "messages[2].tool_call_id: required for a tool message",
      "messages[3].tool_calls[0].function.arguments: not valid JSON",
      "messages[4].content: required for a user message",
    ])
    expect(openaiError(400, message).error).toMatchObject({
      type: "invalid_request_error",
      param: "messages[0].content",
    })
  })

  it("must be a non-empty array", () => {
    expect(problem({ model: "auto", messages: [] })).toMatch(/^messages: expected a non-empty array/)
    expect(problem({ model: "auto" })).toMatch(
      /^messages: expected a non-empty array of messages, got undefined/,
    )
  })

  it("refuse audio and file parts", () => {
    expect(
      problem({
        model: "auto",
        messages: [user([{ type: "input_audio", input_audio: { data: "x", format: "wav" } }])],
      }),
    ).toBe('messages[0].content[0].type: expected text or image_url, got "input_audio"')
  })
})

describe("sampling, length and client", () => {
  it("map to options; max_completion_tokens wins over max_tokens; user is the client", () => {
    const t = ok({
      model: "auto",
      messages: [user()],
      max_tokens: 10,
      max_completion_tokens: 20,
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
      stop: "\n\n",
      user: "alice",
    })
    expect(t.request.options).toEqual({
      numPredict: 20,
      temperature: 0.2,
      topP: 0.9,
      seed: 7,
      stop: ["\n\n"],
    })
    expect(t.request.client).toBe("alice")
    expect(ok({ model: "auto", messages: [user()], max_tokens: 5 }).request.options).toEqual({
      numPredict: 5,
    })
    expect(ok({ model: "auto", messages: [user()], safety_identifier: "h-123" }).request.client).toBe("h-123")
  })

  it("refuse values out of range, naming the field", () => {
    const message = problem({
      model: "auto",
      messages: [user()],
      max_completion_tokens: 0,
      temperature: 3,
      top_p: 0,
      seed: 1.5,
      stop: ["", "x"],
      user: 42,
    })
    expect(message.split("; ")).toEqual([
      "max_completion_tokens: expected an integer ≥ 1",
      "temperature: expected a number from 0 to 2",
      "top_p: expected a number from 0 (exclusive) to 1",
      "seed: expected an integer between -(2^53-1) and 2^53-1",
      "stop: expected a string or an array of up to 16 non-empty strings",
      "user: expected a string",
    ])
  })

  it("refuse what Conductor cannot give, and ignore fields that change nothing here", () => {
    expect(problem({ model: "auto", messages: [user()], n: 2 })).toBe("n: only 1 choice is supported")
    expect(problem({ model: "auto", messages: [user()], logprobs: true })).toBe("logprobs: not supported")
    expect(problem({ model: "auto", messages: [user()], modalities: ["text", "audio"] })).toBe(
      "modalities: only text output is supported",
    )
    expect(problem({ model: "auto", messages: [user()], functions: [] })).toBe(
      "functions: deprecated; use tools",
    )
    const t = ok({
      model: "auto",
      messages: [user()],
      n: 1,
      logprobs: false,
      modalities: ["text"],
      frequency_penalty: 0.5,
      presence_penalty: 0.5,
      logit_bias: { "50256": -100 },
      parallel_tool_calls: false,
      store: false,
      metadata: { a: "b" },
      service_tier: "auto",
    })
    expect(t.request).toEqual({ messages: [{ role: "user", content: "Hello" }], tenant: "openai" })
  })
})

describe("response_format", () => {
  it("json_object is JSON; json_schema is its schema; text is nothing", () => {
    expect(
      ok({ model: "auto", messages: [user()], response_format: { type: "json_object" } }).request.format,
    ).toBe("json")
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
    const t = ok({
      model: "auto",
      messages: [user()],
      response_format: { type: "json_schema", json_schema: { name: "city", strict: true, schema } },
    })
    expect(t.request.format).toEqual(schema)
    expect(
      ok({ model: "auto", messages: [user()], response_format: { type: "text" } }).request.format,
    ).toBeUndefined()
  })

  it("a schema is required, and the type must be known", () => {
    expect(
      problem({
        model: "auto",
        messages: [user()],
        response_format: { type: "json_schema", json_schema: { name: "x" } },
      }),
    ).toBe("response_format.json_schema.schema: expected a JSON Schema object")
    expect(problem({ model: "auto", messages: [user()], response_format: { type: "xml" } })).toBe(
      'response_format.type: expected text, json_object or json_schema, got "xml"',
    )
  })
})

describe("tools", () => {
  const add = {
    type: "function",
    function: {
      name: "add",
      description: "Add two numbers",
      strict: true,
      parameters: { type: "object", properties: { a: { type: "number" } }, required: ["a"] },
    },
  }

  it("pass through as name, description and parameters (strict is implied), with tool_choice", () => {
    const t = ok({
      model: "auto",
      messages: [user()],
      tools: [add],
      tool_choice: { type: "function", function: { name: "add" } },
    })
    expect(t.request.tools).toEqual([
      {
        type: "function",
        function: { name: "add", description: "Add two numbers", parameters: add.function.parameters },
      },
    ])
    expect(t.request.toolChoice).toEqual({ name: "add" })
    expect(prepareRequest(t.request).ok).toBe(true)
    expect(
      ok({ model: "auto", messages: [user()], tools: [add], tool_choice: "required" }).request.toolChoice,
    ).toBe("required")
  })

  it("refuse custom tools and unknown tool_choice shapes", () => {
    expect(
      problem({ model: "auto", messages: [user()], tools: [{ type: "custom", custom: { name: "x" } }] }),
    ).toBe('tools[0].type: expected function, got "custom"')
    expect(
      problem({ model: "auto", messages: [user()], tools: [add], tool_choice: { type: "allowed_tools" } }),
    ).toMatch(/^tool_choice: expected auto, none, required or/)
  })

  it("Conductor's own findings come back under OpenAI's field names", () => {
    const t = ok({
      model: "auto",
      messages: [user()],
      tools: [add],
      tool_choice: { type: "function", function: { name: "sub" } },
    })
    const prepared = prepareRequest(t.request)
    expect(prepared.ok).toBe(false)
    if (prepared.ok) return
    const problems = prepared.error.details?.problems as string[]
    expect(problems.map(openaiProblem)).toEqual([
      "tool_choice.function.name: no tool named 'sub' (tools: add)",
    ])
    expect(openaiProblem("messages[2].toolCallId: no earlier tool call has id 'x'")).toBe(
      "messages[2].tool_call_id: no earlier tool call has id 'x'",
    )
    expect(openaiProblem("format: unusable JSON Schema: bad")).toBe(
      "response_format.json_schema.schema: unusable JSON Schema: bad",
    )
  })
})

describe("Conductor's extensions", () => {
  it("come as headers or the body's conductor object; a header wins", () => {
    const body = {
      model: "auto",
      messages: [user()],
      conductor: {
        persona: "casual",
        tier: "fast",
        retrievedDocs: 2,
        minContextWindow: 16000,
        fallbackMode: "restart",
      },
    }
    expect(ok(body).request).toMatchObject({
      persona: "casual",
      tier: "fast",
      context: { retrievedDocs: 2, minContextWindow: 16000 },
      fallbackMode: "restart",
    })
    const t = ok(body, headers({ "x-conductor-persona": "developer", "x-conductor-docs": "5" }))
    expect(t.request).toMatchObject({ persona: "developer", context: { retrievedDocs: 5 } })
  })

  it("are checked, naming the header or the body field", () => {
    expect(problem({ model: "auto", messages: [user()] }, headers({ "x-conductor-tier": "huge" }))).toBe(
      'x-conductor-tier: expected fast, balanced, quality, got "huge"',
    )
    expect(problem({ model: "auto", messages: [user()] }, headers({ "x-conductor-docs": "two" }))).toBe(
      "x-conductor-docs: expected an integer ≥ 0",
    )
    expect(
      problem({ model: "auto", messages: [user()], conductor: { retrievedDocs: -1, colour: "red" } }).split(
        "; ",
      ),
    ).toEqual([
      "conductor.colour: unknown field (known: persona, tier, retrievedDocs, minContextWindow, stream, fallbackMode, priority)",
      "conductor.retrievedDocs: expected an integer ≥ 0",
    ])
    expect(
      problem({ model: "auto:fast", messages: [user()] }, headers({ "x-conductor-tier": "quality" })),
    ).toBe("x-conductor-tier: the model field asks for auto:fast but this asks for quality")
  })
})

describe("streaming policy", () => {
  it("a plain streamed answer is live and continues across a failover", () => {
    const t = ok({ model: "auto", messages: [user()], stream: true, stream_options: { include_usage: true } })
    expect(t).toMatchObject({ stream: true, includeUsage: true, streamMode: "live" })
    expect(t.request.fallbackMode).toBe("continue")
  })

  it("answers with a format or tools are held until validated, and answered afresh after a failover", () => {
    const t = ok({
      model: "auto",
      messages: [user()],
      stream: true,
      response_format: { type: "json_object" },
    })
    expect(t.streamMode).toBe("buffered")
    expect(t.request.fallbackMode).toBeUndefined()
  })

  it("x-conductor-stream overrides; a client's own fallbackMode stands", () => {
    const body = { model: "auto", messages: [user()], stream: true }
    expect(ok(body, headers({ "x-conductor-stream": "buffered" })).streamMode).toBe("buffered")
    expect(ok({ ...body, conductor: { stream: "buffered" } }).streamMode).toBe("buffered")
    expect(ok({ ...body, conductor: { fallbackMode: "restart" } }).request.fallbackMode).toBe("restart")
    expect(problem(body, headers({ "x-conductor-stream": "fast" }))).toBe(
      'x-conductor-stream: expected live or buffered, got "fast"',
    )
  })

  it("a request that is not streamed keeps the configured fallback mode; stream_options needs stream", () => {
    expect(ok({ model: "auto", messages: [user()] }).request.fallbackMode).toBeUndefined()
    expect(problem({ model: "auto", messages: [user()], stream_options: { include_usage: true } })).toBe(
      "stream_options: only allowed with stream: true",
    )
  })
})

describe("the tenant a request runs for", () => {
  it("is the user, else a hash of the API key, else the API", () => {
    expect(ok({ model: "auto", messages: [user()], user: "alice" }).request.tenant).toBe("openai:user:alice")
    const keyed = ok({ model: "auto", messages: [user()] }, headers({ authorization: "Bearer sk-secret" }))
    expect(keyed.request.tenant).toMatch(/^openai:key:[0-9a-f]{16}$/)
    expect(keyed.request.tenant).not.toContain("sk-secret")
    expect(ok({ model: "auto", messages: [user()] }).request.tenant).toBe("openai")
  })

  it("a user that is not a short printable identifier is hashed, so the tenant is always valid", () => {
    expect(tenantOf("openai", "Ana María López", undefined)).toMatch(/^openai:user:[0-9a-f]{16}$/)
    expect(tenantOf("openai", "x".repeat(200), undefined)).toMatch(/^openai:user:[0-9a-f]{16}$/)
    expect(tenantOf("openai", "a", "Bearer k")).toBe("openai:user:a")
    const t = ok({ model: "auto", messages: [user()], user: "Ana María López" })
    expect(prepareRequest(t.request).ok).toBe(true)
  })
})

describe("priority", () => {
  it("runs service_tier flex as batch, other tiers as interactive; x-conductor-priority or conductor.priority set it", () => {
    expect(ok({ model: "auto", messages: [user()], service_tier: "flex" }).request.priority).toBe("batch")
    expect(
      ok({ model: "auto", messages: [user()], service_tier: "default" }).request.priority,
    ).toBeUndefined()
    expect(ok({ model: "auto", messages: [user()] }).request.priority).toBeUndefined()
    const h = headers({ "x-conductor-priority": "batch" })
    expect(ok({ model: "auto", messages: [user()] }, h).request.priority).toBe("batch")
    expect(ok({ model: "auto", messages: [user()], conductor: { priority: "batch" } }).request.priority).toBe(
      "batch",
    )
    // The one Conductor sees is what the scheduler orders by.
    const prepared = prepareRequest(ok({ model: "auto", messages: [user()], service_tier: "flex" }).request)
    expect(prepared.ok && prepared.value.request.priority).toBe("batch")
  })

  it("refuses an unknown tier or priority, and a priority that contradicts service_tier, naming the field", () => {
    expect(problem({ model: "auto", messages: [user()], service_tier: "slow" })).toBe(
      'service_tier: expected auto, default, flex, scale, priority, got "slow"',
    )
    expect(
      problem({ model: "auto", messages: [user()] }, headers({ "x-conductor-priority": "urgent" })),
    ).toBe('x-conductor-priority: expected interactive or batch, got "urgent"')
    expect(
      problem(
        { model: "auto", messages: [user()], service_tier: "flex" },
        headers({ "x-conductor-priority": "interactive" }),
      ),
    ).toBe("x-conductor-priority: asks for interactive but service_tier asks for batch")
  })
})
