/** `conductor hardware [--json]`: the GPUs found (or configured) and the VRAM budget. */
import { parseArgs } from "node:util"
import { formatGb } from "../../domain/model-profile.js"
import { detectHardware } from "../../gpu/hardware.js"
import { withUsage } from "../args.js"
import { usageOf } from "../help.js"
import { configOrExit } from "../setup.js"
import { table } from "../table.js"

export const HARDWARE_USAGE = usageOf("hardware")

export const runHardware = async (argv: ReadonlyArray<string>): Promise<number> => {
  const { values } = withUsage(
    () =>
      parseArgs({
        args: [...argv],
        options: { json: { type: "boolean" }, config: { type: "string" } },
        allowPositionals: false,
        strict: true,
      }),
    HARDWARE_USAGE,
  )
  const config = configOrExit(values.config)
  const hw = await detectHardware(config.conductor.hardware)
  if (values.json) {
    process.stdout.write(`${JSON.stringify(hw)}\n`)
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
  ]
  process.stdout.write(`${lines.join("\n")}\n`)
  return 0
}
