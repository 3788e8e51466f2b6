/**
 * `conductor hardware [--json] [--ollama-host A,B]`: the GPUs found (or configured) and the VRAM
 * budget; with several GPU hosts (`backend.hosts`, or a list), each host's memory and budget —
 * detected when the host is this machine, else its configured `vramGb` (never guessed).
 */
import { parseArgs } from "node:util"
import { resolveHosts } from "../../backends/hosts.js"
import type { HardwareConfig } from "../../config/schema.js"
import { isConductorError } from "../../domain/errors.js"
import { formatGb } from "../../domain/model-profile.js"
import { detectHardware, type HardwareReport } from "../../gpu/hardware.js"
import { hardwareForOllama } from "../../gpu/remote.js"
import { withUsage } from "../args.js"
import { usageOf } from "../help.js"
import { configOrExit, ExitError } from "../setup.js"
import { table } from "../table.js"

export const HARDWARE_USAGE = usageOf("hardware")

export const runHardware = async (argv: ReadonlyArray<string>): Promise<number> => {
  const { values } = withUsage(
    () =>
      parseArgs({
        args: [...argv],
        options: { json: { type: "boolean" }, config: { type: "string" }, "ollama-host": { type: "string" } },
        allowPositionals: false,
        strict: true,
      }),
    HARDWARE_USAGE,
  )
  const config = configOrExit(values.config)
  const hw = await detectHardware(config.conductor.hardware)
  const specs = resolveHosts(values["ollama-host"], config.conductor.backend, process.env)
  if (!Array.isArray(specs)) throw new ExitError((specs as { message: string }).message, 2)
  const several = specs.length > 1 || config.conductor.backend.hosts !== undefined
  const hosts = several ? await Promise.all(specs.map((h) => hostHardware(h, config.conductor.hardware))) : []
  if (values.json) {
    process.stdout.write(`${JSON.stringify(several ? { ...hw, hosts } : hw)}\n`)
    return 0
  }
  const { utilisation, reserveGb } = config.conductor.hardware
  const lines = [
    hw.gpus.length > 0
      ? table(
          ["GPU", "VENDOR", "MEMORY"],
          hw.gpus.map((g) => [g.name, g.vendor, formatGb(g.vramBytes)]),
        )
      : "no GPU found: models run on the CPU from system RAM",
    "",
    `source      ${hw.source}${hw.unifiedMemory ? " (unified memory)" : ""}${hw.cpuOnly ? " (CPU only)" : ""}`,
    `memory      ${formatGb(hw.vramBytes)}${hw.cpuOnly ? " of system RAM" : ""}`,
    `system RAM  ${formatGb(hw.systemRamBytes)}`,
    `budget      ${formatGb(hw.budgetBytes)} = memory × ${utilisation} − ${reserveGb} GB reserve`,
    ...(several
      ? [
          "",
          table(
            ["HOST", "URL", "MEMORY", "BUDGET", "SOURCE"],
            hosts.map((h) => [
              h.name,
              h.url,
              h.hardware !== undefined ? formatGb(h.hardware.vramBytes) : "?",
              h.hardware !== undefined ? formatGb(h.hardware.budgetBytes) : "?",
              h.hardware !== undefined ? h.hardware.source : (h.error ?? ""),
            ]),
          ),
        ]
      : []),
  ]
  process.stdout.write(`${lines.join("\n")}\n`)
  return 0
}

interface HostHardware {
  readonly name: string
  readonly url: string
  readonly hardware?: HardwareReport
  readonly error?: string
}

/** One host's hardware: detected when it is this machine, else its configured vramGb, else why not. */
const hostHardware = async (
  h: { readonly name: string; readonly url: string; readonly vramGb: number | undefined },
  config: HardwareConfig,
): Promise<HostHardware> => {
  try {
    const hardware = await hardwareForOllama(h.url, {
      ...config,
      ...(h.vramGb !== undefined ? { vramGb: h.vramGb } : {}),
    })
    return { name: h.name, url: h.url, hardware }
  } catch (e) {
    if (!isConductorError(e)) throw e
    return { name: h.name, url: h.url, error: "another machine: set backend.hosts[].vramGb" }
  }
}
