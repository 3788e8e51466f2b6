/**
 * What GPU memory Conductor plans with. Detection uses `systeminformation` (GPU controllers and
 * their VRAM, Apple silicon's unified memory, system RAM); configuration overrides it. With no
 * GPU, models run on the CPU from system RAM, so RAM becomes the pool. The budget is
 * pool × utilisation − reserve.
 */
import { totalmem } from "node:os"
import si from "systeminformation"
import type { HardwareConfig } from "../config/schema.js"
import { GB } from "../domain/model-profile.js"

export interface GpuInfo {
  readonly name: string
  readonly vendor: string
  readonly vramBytes: number
}

export interface HardwareReport {
  readonly gpus: ReadonlyArray<GpuInfo>
  /** Memory models can be placed in (GPU memory, or RAM when there is no GPU). */
  readonly vramBytes: number
  readonly budgetBytes: number
  readonly systemRamBytes: number
  readonly unifiedMemory: boolean
  readonly cpuOnly: boolean
  readonly source: "detected" | "config" | "simulator"
}

/** Raw facts from the machine. */
export interface DetectedFacts {
  readonly controllers: ReadonlyArray<{
    readonly vendor: string
    readonly model: string
    readonly vramMb?: number | null
  }>
  readonly totalMemBytes: number
  readonly platform: string
  readonly arch: string
}

/** macOS lets the GPU wire about three quarters of unified memory. */
const APPLE_GPU_SHARE = 0.75
const MIN_GPU_MB = 1024

export const budgetOf = (
  poolBytes: number,
  config: Pick<HardwareConfig, "utilisation" | "reserveGb">,
): number => Math.max(0, Math.floor(poolBytes * config.utilisation - config.reserveGb * GB))

/** Pure: facts + configuration → the report. */
export const computeHardware = (facts: DetectedFacts, config: HardwareConfig): HardwareReport => {
  const apple = facts.platform === "darwin" && facts.arch === "arm64"
  const unified = config.unifiedMemory ?? apple
  const systemRamBytes = config.systemRamGb !== undefined ? config.systemRamGb * GB : facts.totalMemBytes
  if (config.vramGb !== undefined) {
    const vram = Math.round(config.vramGb * GB)
    return {
      gpus: [{ name: "configured", vendor: "config", vramBytes: vram }],
      vramBytes: vram,
      budgetBytes: budgetOf(vram, config),
      systemRamBytes,
      unifiedMemory: unified,
      cpuOnly: false,
      source: "config",
    }
  }
  if (unified) {
    const pool = Math.round(systemRamBytes * APPLE_GPU_SHARE)
    const name = facts.controllers.find((c) => /apple/i.test(c.vendor))?.model ?? "Apple GPU (unified memory)"
    return {
      gpus: [{ name, vendor: "Apple", vramBytes: pool }],
      vramBytes: pool,
      budgetBytes: budgetOf(pool, config),
      systemRamBytes,
      unifiedMemory: true,
      cpuOnly: false,
      source: "detected",
    }
  }
  const gpus = facts.controllers
    .filter((c) => (c.vramMb ?? 0) >= MIN_GPU_MB)
    .map((c) => ({ name: c.model, vendor: c.vendor, vramBytes: Math.round((c.vramMb ?? 0) * 1024 * 1024) }))
  if (gpus.length === 0) {
    return {
      gpus: [],
      vramBytes: systemRamBytes,
      budgetBytes: budgetOf(systemRamBytes, config),
      systemRamBytes,
      unifiedMemory: false,
      cpuOnly: true,
      source: "detected",
    }
  }
  const vram = gpus.reduce((s, g) => s + g.vramBytes, 0)
  return {
    gpus,
    vramBytes: vram,
    budgetBytes: budgetOf(vram, config),
    systemRamBytes,
    unifiedMemory: false,
    cpuOnly: false,
    source: "detected",
  }
}

/** The simulated host's GPUs (configuration still sets utilisation and reserve). */
export const simulatedHardware = (
  gpus: ReadonlyArray<{ readonly name: string; readonly vramBytes: number }>,
  systemRamBytes: number,
  config: HardwareConfig,
): HardwareReport => {
  const vram = gpus.reduce((s, g) => s + g.vramBytes, 0)
  return {
    gpus: gpus.map((g) => ({ name: g.name, vendor: "simulated", vramBytes: g.vramBytes })),
    vramBytes: vram,
    budgetBytes: budgetOf(vram, config),
    systemRamBytes,
    unifiedMemory: false,
    cpuOnly: false,
    source: "simulator",
  }
}

/** Read the machine (a few hundred milliseconds: systeminformation shells out on some systems). */
export const detectFacts = async (): Promise<DetectedFacts> => {
  const graphics = await si
    .graphics()
    .catch(() => ({ controllers: [] as si.Systeminformation.GraphicsControllerData[] }))
  return {
    controllers: graphics.controllers.map((c) => ({
      vendor: c.vendor ?? "",
      model: c.model ?? "",
      vramMb: c.vram,
    })),
    totalMemBytes: totalmem(),
    platform: process.platform,
    arch: process.arch,
  }
}

/** Detect (skipping the GPU probe when configuration gives the VRAM) and apply configuration. */
export const detectHardware = async (config: HardwareConfig): Promise<HardwareReport> =>
  config.vramGb !== undefined
    ? computeHardware(
        { controllers: [], totalMemBytes: totalmem(), platform: process.platform, arch: process.arch },
        config,
      )
    : computeHardware(await detectFacts(), config)
