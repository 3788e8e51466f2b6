/**
 * The `conductor` command: dispatches to subcommands. Usage errors exit 2, runtime failures 1.
 */
import { packageVersion } from "../config/paths.js"
import { UsageError } from "./args.js"
import { CONFIG_USAGE, runConfig } from "./commands/config.js"
import { HARDWARE_USAGE, runHardware } from "./commands/hardware.js"
import { MODELS_USAGE, runModels } from "./commands/models.js"
import { ROUTE_USAGE, runRoute } from "./commands/route.js"
import { runServe, SERVE_USAGE } from "./commands/serve.js"
import { runSim, SIM_USAGE } from "./commands/sim.js"
import { ExitError } from "./setup.js"

const COMMANDS: Record<
  string,
  { run: (argv: ReadonlyArray<string>) => Promise<number>; usage: string; about: string }
> = {
  serve: { run: runServe, usage: SERVE_USAGE, about: "run the orchestrator: WebSocket API, metrics, status" },
  route: { run: runRoute, usage: ROUTE_USAGE, about: "explain which model a query goes to" },
  models: { run: runModels, usage: MODELS_USAGE, about: "list the model registry" },
  config: { run: runConfig, usage: CONFIG_USAGE, about: "validate the configuration" },
  hardware: { run: runHardware, usage: HARDWARE_USAGE, about: "show the GPUs found and the VRAM budget" },
  sim: { run: runSim, usage: SIM_USAGE, about: "serve a simulated GPU host with Ollama's API" },
}

const help = (): string =>
  [
    "conductor — local multi-model LLM orchestrator",
    "",
    "commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.about}`),
    "",
    ...Object.values(COMMANDS).map((c) => c.usage),
    "",
    "conductor --version | conductor help",
  ].join("\n")

export const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const [name, ...rest] = argv
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(`${help()}\n`)
    return name === undefined ? 2 : 0
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${packageVersion()}\n`)
    return 0
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    process.stderr.write(`conductor: unknown command '${name}'\n\n${help()}\n`)
    return 2
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${command.usage}\n`)
    return 0
  }
  try {
    return await command.run(rest)
  } catch (e) {
    if (e instanceof UsageError || e instanceof ExitError) {
      process.stderr.write(`conductor ${name}: ${e.message}\n`)
      return e.exitCode
    }
    throw e
  }
}
