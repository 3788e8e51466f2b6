import { describe, expect, it } from "vitest"
import { resolveHosts } from "../../src/backends/hosts.js"
import { isConductorError } from "../../src/domain/errors.js"

describe("backends/hosts", () => {
  it("one host by default, from OLLAMA_HOST or 127.0.0.1:11434, named by its address", () => {
    expect(resolveHosts(undefined, {}, {})).toEqual([
      {
        name: "127.0.0.1:11434",
        url: "http://127.0.0.1:11434",
        vramGb: undefined,
        maxLoadedModels: undefined,
        weight: 1,
      },
    ])
    expect(resolveHosts(undefined, {}, { OLLAMA_HOST: "gpu-box" })).toMatchObject([
      { url: "http://gpu-box:11434" },
    ])
  })

  it("a list in --ollama-host or backend.host (CONDUCTOR_OLLAMA_HOST) is several hosts; the flag wins", () => {
    const hosts = resolveHosts("a:11434, b:11500", { host: "c" }, {})
    expect(Array.isArray(hosts) && hosts.map((h) => h.url)).toEqual(["http://a:11434", "http://b:11500"])
    const configured = resolveHosts(undefined, { host: "a,b" }, {})
    expect(Array.isArray(configured) && configured.map((h) => h.name)).toEqual(["a:11434", "b:11434"])
  })

  it("backend.hosts gives names, memory, limits and weights; duplicates and bad addresses are refused", () => {
    const hosts = resolveHosts(
      undefined,
      {
        host: "ignored",
        hosts: [
          { name: "big", url: "10.0.0.2", vramGb: 48, weight: 2 },
          { name: "small", url: "http://10.0.0.3:11434", maxLoadedModels: 2 },
        ],
      },
      {},
    )
    expect(hosts).toEqual([
      { name: "big", url: "http://10.0.0.2:11434", vramGb: 48, maxLoadedModels: undefined, weight: 2 },
      { name: "small", url: "http://10.0.0.3:11434", vramGb: undefined, maxLoadedModels: 2, weight: 1 },
    ])
    const twice = resolveHosts("a,a", {}, {})
    expect(isConductorError(twice) && twice.message).toBe("--ollama-host: host 'a:11434' is listed twice")
    const bad = resolveHosts(undefined, { hosts: [{ name: "x", url: "http://[::1" }] }, {})
    expect(isConductorError(bad) && bad.message).toContain("backend.hosts[0].url")
    expect(isConductorError(resolveHosts(" , ", {}, {}))).toBe(true)
  })
})
