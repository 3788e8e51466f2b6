import { describe, expect, it } from "vitest"
import type { HardwareConfig } from "../../src/config/schema.js"
import { GB } from "../../src/domain/model-profile.js"
import { computeHardware, type DetectedFacts } from "../../src/gpu/hardware.js"

const config = (over: Partial<HardwareConfig> = {}): HardwareConfig => ({
  utilisation: 0.9,
  reserveGb: 1,
  ...over,
})
const linux = (controllers: DetectedFacts["controllers"]): DetectedFacts => ({
  controllers,
  totalMemBytes: 64 * GB,
  platform: "linux",
  arch: "x64",
})

describe("gpu/hardware", () => {
  it("sums discrete GPUs with enough memory and applies utilisation and reserve", () => {
    const hw = computeHardware(
      linux([
        { vendor: "NVIDIA", model: "RTX 4090", vramMb: 24_564 },
        { vendor: "NVIDIA", model: "RTX 4090", vramMb: 24_564 },
        { vendor: "Intel", model: "UHD 770", vramMb: 256 },
      ]),
      config(),
    )
    expect(hw.gpus.map((g) => g.name)).toEqual(["RTX 4090", "RTX 4090"])
    expect(hw.vramBytes).toBe(2 * 24_564 * 1024 * 1024)
    expect(hw.budgetBytes).toBe(Math.floor(hw.vramBytes * 0.9 - GB))
    expect(hw).toMatchObject({ source: "detected", cpuOnly: false, unifiedMemory: false })
  })

  it("uses three quarters of unified memory on Apple silicon", () => {
    const hw = computeHardware(
      {
        controllers: [{ vendor: "Apple", model: "Apple M2 Ultra" }],
        totalMemBytes: 128 * GB,
        platform: "darwin",
        arch: "arm64",
      },
      config({ reserveGb: 0, utilisation: 1 }),
    )
    expect(hw).toMatchObject({ unifiedMemory: true, vramBytes: 96 * GB, budgetBytes: 96 * GB })
    expect(hw.gpus[0]?.name).toBe("Apple M2 Ultra")
  })

  it("falls back to system RAM without a GPU, and configuration overrides detection", () => {
    expect(computeHardware(linux([]), config())).toMatchObject({ cpuOnly: true, vramBytes: 64 * GB })
    const hw = computeHardware(
      linux([{ vendor: "NVIDIA", model: "A100", vramMb: 81_920 }]),
      config({ vramGb: 24 }),
    )
    expect(hw).toMatchObject({
      source: "config",
      vramBytes: 24 * GB,
      budgetBytes: Math.floor(24 * GB * 0.9 - GB),
    })
  })

  it("never reports a negative budget", () => {
    expect(computeHardware(linux([]), config({ vramGb: 0.5, reserveGb: 4 })).budgetBytes).toBe(0)
  })
})
