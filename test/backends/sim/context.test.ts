/** The context a request gets: Ollama's VRAM tiers, OLLAMA_CONTEXT_LENGTH, the model's cap. */
import { describe, expect, it } from "vitest"
import {
  effectiveContext,
  nextLowerAutoContext,
  requestedContext,
  vramDefaultContext,
} from "../../../src/backends/sim/context.js"
import { decodeProfile, loadProfile, resolveProfilePath } from "../../../src/backends/sim/index.js"

const GiB = 1024 ** 3
const mac = loadProfile(resolveProfilePath("mac-studio-128gb"))
const ws = loadProfile(resolveProfilePath("workstation-24gb"))
const tiny = loadProfile(resolveProfilePath("tiny-ci"))
const modelOf = (p: typeof mac, name: string) => {
  const m = p.models.find((x) => x.name === name)
  if (m === undefined) throw new Error(`no ${name}`)
  return m
}

describe("backends/sim/context", () => {
  it("follows Ollama's VRAM tiers: 4096 below 23 GiB, 32768 from 23, 262144 from 47", () => {
    expect(vramDefaultContext(23 * GiB - 1)).toBe(4096)
    expect(vramDefaultContext(23 * GiB)).toBe(32768)
    expect(vramDefaultContext(47 * GiB - 1)).toBe(32768)
    expect(vramDefaultContext(47 * GiB)).toBe(262144)
    // The bundled hosts: a 16 GB GPU, an RTX 4090 (24 GiB), a Mac's 96 GB.
    const llama = modelOf(ws, "llama3.1:8b")
    expect(requestedContext(tiny, llama, undefined)).toEqual({ numCtx: 4096, auto: true })
    expect(requestedContext(ws, llama, undefined)).toEqual({ numCtx: 32768, auto: true })
    expect(requestedContext(mac, modelOf(mac, "llama3.1:8b"), undefined)).toEqual({
      numCtx: 262144,
      auto: true,
    })
  })

  it("a request's num_ctx, or OLLAMA_CONTEXT_LENGTH, is not automatic; the model caps what a runner holds", () => {
    const llama = modelOf(ws, "llama3.1:8b")
    expect(requestedContext(ws, llama, 8192)).toEqual({ numCtx: 8192, auto: false })
    const configured = decodeProfile({ ...ws, server: { ...ws.server, contextLength: 16384 } })
    expect(requestedContext(configured, llama, undefined)).toEqual({ numCtx: 16384, auto: false })
    expect(requestedContext(ws, llama, 1)).toEqual({ numCtx: 4, auto: false })
    const vision = modelOf(mac, "llama3.2-vision:11b")
    expect(requestedContext(mac, vision, 512).numCtx).toBe(2048)
    const nomic = modelOf(ws, "nomic-embed-text:latest")
    expect(effectiveContext(nomic, requestedContext(ws, nomic, undefined).numCtx)).toBe(2048)
    expect(effectiveContext(modelOf(mac, "qwen2.5:72b"), 262144)).toBe(32768)
  })

  it("an out-of-memory retry steps the automatic context down a tier", () => {
    expect(nextLowerAutoContext(262144)).toBe(32768)
    expect(nextLowerAutoContext(131072)).toBe(32768)
    expect(nextLowerAutoContext(32768)).toBe(4096)
    expect(nextLowerAutoContext(4096)).toBeUndefined()
  })
})
