import { describe, expect, it } from "vitest"
import { hardwareForOllama, isLocalHost, type Machine } from "../../src/gpu/remote.js"

const HERE: Machine = { hostname: "workbench", addresses: ["127.0.0.1", "::1", "192.168.1.20", "fe80::1"] }
const HW = { utilisation: 0.95, reserveGb: 0.25 }

describe("gpu/remote", () => {
  it("knows which Ollama hosts are this machine", () => {
    for (const url of [
      "http://127.0.0.1:11434",
      "http://127.1.2.3:11434",
      "http://localhost:11434",
      "http://ollama.localhost:11434",
      "http://[::1]:11434",
      "http://0.0.0.0:11434",
      "http://192.168.1.20:11434",
      "http://WORKBENCH:11434",
    ])
      expect(isLocalHost(url, HERE), url).toBe(true)
    for (const url of [
      "http://192.168.1.21:11434",
      "http://gpu-box:11434",
      "https://ollama.example.com",
      "nonsense",
    ])
      expect(isLocalHost(url, HERE), url).toBe(false)
  })

  it("plans a GPU on another machine with hardware.vramGb, and refuses to guess without it", async () => {
    await expect(hardwareForOllama("http://gpu-box:11434", HW, HERE)).rejects.toMatchObject({
      reason: "BadRequest",
      message: expect.stringContaining("set hardware.vramGb in conductor.yaml (or CONDUCTOR_VRAM_GB)"),
    })
    const configured = await hardwareForOllama("http://gpu-box:11434", { ...HW, vramGb: 48 }, HERE)
    expect(configured).toMatchObject({ source: "config", vramBytes: 48e9, budgetBytes: 48e9 * 0.95 - 0.25e9 })
    expect((await hardwareForOllama("http://127.0.0.1:11434", HW, HERE)).source).toBe("detected")
  })
})
