/**
 * Whose GPU an Ollama host has. Detection reads this machine, so it is right only when Ollama runs
 * here: on another machine its GPU memory must be configured (`hardware.vramGb`), and Conductor
 * refuses to guess rather than plan with this machine's RAM or GPU. A host is this machine when
 * it is loopback, `localhost`, unspecified (`0.0.0.0`, `::`), this machine's host name, or one of
 * its network addresses.
 */
import { hostname, networkInterfaces } from "node:os"
import type { HardwareConfig } from "../config/schema.js"
import { conductorError } from "../domain/errors.js"
import { detectHardware, type HardwareReport } from "./hardware.js"

export interface Machine {
  readonly hostname: string
  readonly addresses: ReadonlyArray<string>
}

export const thisMachine = (): Machine => ({
  hostname: hostname().toLowerCase(),
  addresses: Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)),
})

/** The URL's host is this machine (see the header). */
export const isLocalHost = (url: string, machine: Machine = thisMachine()): boolean => {
  let name: string
  try {
    name = new URL(url).hostname.toLowerCase()
  } catch {
    return false
  }
  if (name.startsWith("[") && name.endsWith("]")) name = name.slice(1, -1)
  if (name === "localhost" || name.endsWith(".localhost") || name === machine.hostname) return true
  if (/^127\.\d+\.\d+\.\d+$/.test(name) || name === "::1" || name === "0.0.0.0" || name === "::") return true
  return machine.addresses.some((a) => a.toLowerCase() === name)
}

/**
 * The hardware to plan with for Ollama at `host`: detected when it is this machine; else the
 * configured `hardware.vramGb`; else a BadRequest saying how to set it.
 */
export const hardwareForOllama = async (
  host: string,
  config: HardwareConfig,
  machine: Machine = thisMachine(),
): Promise<HardwareReport> => {
  if (isLocalHost(host, machine) || config.vramGb !== undefined) return detectHardware(config)
  throw conductorError(
    "BadRequest",
    `Ollama at ${host} runs on another machine, whose GPU memory cannot be detected from here: ` +
      "set hardware.vramGb in conductor.yaml (or CONDUCTOR_VRAM_GB) to that machine's GPU memory in GB",
  )
}
