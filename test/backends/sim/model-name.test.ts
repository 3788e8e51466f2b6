/** Ollama's model names: defaults for host, namespace and tag. */
import { describe, expect, it } from "vitest"
import { fullModelName, parseModelName } from "../../../src/backends/sim/model-name.js"

describe("backends/sim model names", () => {
  it("fills registry.ollama.ai, library and latest", () => {
    expect(fullModelName("qwen2-math:7b")).toBe("registry.ollama.ai/library/qwen2-math:7b")
    expect(fullModelName("nomic-embed-text")).toBe("registry.ollama.ai/library/nomic-embed-text:latest")
    expect(fullModelName("me/model:q4")).toBe("registry.ollama.ai/me/model:q4")
    expect(parseModelName("hf.co/org/repo:Q8_0")).toEqual({
      host: "hf.co",
      namespace: "org",
      model: "repo",
      tag: "Q8_0",
    })
    expect(parseModelName("localhost:5000/ns/m").tag).toBe("latest")
  })
})
