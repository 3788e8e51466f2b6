import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it, onTestFinished } from "vitest"
import {
  footprintBytes,
  loadProfile,
  resolveProfilePath,
  SimProfileError,
  totalVramBytes,
} from "../../../src/backends/sim/index.js"

describe("backends/sim/profile", () => {
  it("ships three valid profiles", () => {
    const ws = loadProfile(resolveProfilePath("workstation-24gb"))
    // The RTX 4090's 24 GiB (24564 MiB), in GB.
    expect(totalVramBytes(ws)).toBe(25.76e9)
    const sizes = Object.fromEntries(ws.models.map((m) => [m.name, m.vramGb]))
    expect(sizes).toMatchObject({
      "llama3.1:8b": 7.1,
      "qwen2.5:14b": 10.2,
      "qwen2.5-coder:32b": 22,
      "mistral:7b": 5,
    })
    const mac = loadProfile(resolveProfilePath("mac-studio-128gb"))
    expect(mac.models.map((m) => m.name)).toEqual(
      expect.arrayContaining(["llama3.3:70b", "deepseek-r1:70b", "qwen2.5:72b", "qwen3:4b", "qwen2-math:7b"]),
    )
    const tiny = loadProfile(resolveProfilePath("tiny-ci"))
    expect(tiny.models.length).toBeGreaterThanOrEqual(5)
  })

  it("grows the footprint with the KV cache of a larger context", () => {
    const ws = loadProfile(resolveProfilePath("workstation-24gb"))
    const llama = ws.models.find((m) => m.name === "llama3.1:8b")
    if (llama === undefined) throw new Error("missing")
    // 32 layers × 8 KV heads × 128 dims × 2 (K, V) × 2 bytes = 128 KiB per token, per slot (2).
    expect(footprintBytes(llama, 16384) - footprintBytes(llama, 8192)).toBe(131072 * 8192 * 2)
    expect(footprintBytes(llama, 8192)).toBe(7.1e9)
  })

  it("reports every problem with the file, path and line", () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-profile-"))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const file = join(dir, "bad.yaml")
    writeFileSync(
      file,
      [
        "name: bad",
        "gpus: []",
        "server:",
        "  keepAlive: forever",
        "models:",
        "  - name: a:1b",
        "    family: llama",
        "    parameterSize: 1B",
        "    sizeGb: 2",
        "    vramGb: 1",
        "    contextLength: 1024",
        "    numCtx: 2048",
        "    layers: 1",
        "    heads: 1",
        "    kvHeads: 1",
        "    embeddingLength: 64",
        "    tokensPerSec: 10",
        "    colour: blue",
      ].join("\n"),
    )
    try {
      loadProfile(file, dir)
      throw new Error("expected an error")
    } catch (e) {
      expect(e).toBeInstanceOf(SimProfileError)
      const message = (e as Error).message
      expect(message).toMatch(/bad\.yaml: gpus: expected a value with a length of at least 1 \(line 2\)/)
      expect(message).toMatch(/bad\.yaml: models\[0\]\.colour: unknown key 'colour'/)
    }
    writeFileSync(
      file,
      readFileSync(resolveProfilePath("tiny-ci"), "utf8").replace("keepAlive: 5m", "keepAlive: forever"),
    )
    expect(() => loadProfile(file, dir)).toThrow(/server\.keepAlive: time: invalid duration "forever"/)
  })
})
