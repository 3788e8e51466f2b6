/**
 * The `conductor` command: dispatches to subcommands, each loaded only when it runs (help and
 * `--version` load none). Usage errors exit 2, runtime failures 1.
 */
import { packageVersion } from "../config/paths.js"
import { ExitError, UsageError } from "./args.js"
import { COMMAND_NAMES, type CommandName, commandHelp, mainHelp } from "./help.js"

type Run = (argv: ReadonlyArray<string>) => Promise<number>

const COMMANDS: Record<CommandName, () => Promise<Run>> = {
  ask: async () => (await import("./commands/ask.js")).runAsk,
  serve: async () => (await import("./commands/serve.js")).runServe,
  route: async () => (await import("./commands/route.js")).runRoute,
  models: async () => (await import("./commands/models.js")).runModels,
  config: async () => (await import("./commands/config.js")).runConfig,
  hardware: async () => (await import("./commands/hardware.js")).runHardware,
  sim: async () => (await import("./commands/sim.js")).runSim,
  stats: async () => (await import("./commands/stats.js")).runStats,
}

const isCommand = (name: string): name is CommandName =>
  (COMMAND_NAMES as ReadonlyArray<string>).includes(name)

export const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const [name, ...rest] = argv
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" ? rest[0] : undefined
    if (topic !== undefined && !isCommand(topic)) {
      process.stderr.write(`conductor: unknown command '${topic}'\n\n${mainHelp()}\n`)
      return 2
    }
    process.stdout.write(`${topic !== undefined ? commandHelp(topic) : mainHelp()}\n`)
    return name === undefined ? 2 : 0
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${packageVersion()}\n`)
    return 0
  }
  if (!isCommand(name)) {
    process.stderr.write(`conductor: unknown command '${name}'\n\n${mainHelp()}\n`)
    return 2
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${commandHelp(name)}\n`)
    return 0
  }
  try {
    return await (await COMMANDS[name]())(rest)
  } catch (e) {
    if (e instanceof UsageError || e instanceof ExitError) {
      process.stderr.write(`conductor ${name}: ${e.message}\n`)
      return e.exitCode
    }
    throw e
  }
}
