/**
 * What `conductor --help` and `conductor <command> --help` say: each command's usage, what it
 * does, every flag and examples. Plain data, so the entry point prints help without loading any
 * command, and each command's usage errors quote the same usage.
 */

export interface CommandHelp {
  /** One line, for the list of commands. */
  readonly about: string
  /** The synopsis, one or more lines (without "usage: "). */
  readonly usage: ReadonlyArray<string>
  readonly description: string
  readonly flags: ReadonlyArray<readonly [flag: string, meaning: string]>
  /** A command and what it shows. */
  readonly examples: ReadonlyArray<readonly [command: string, what: string]>
}

const CONFIG_FLAG = [
  "--config DIR",
  "configuration directory (default: CONDUCTOR_CONFIG_DIR, else the bundled config/)",
] as const

/** How `serve`, `ask` and `route --backend` choose where models run. */
const BACKEND_FLAGS = [
  [
    "--backend ollama|sim",
    "where models run: Ollama, or the embedded simulator of a GPU host (default: Ollama if it answers within 1 s, else the simulator)",
  ],
  [
    "--ollama-host URL",
    "Ollama's address (default: backend.hosts, else backend.host, else OLLAMA_HOST, else 127.0.0.1:11434); a comma-separated list is several GPU hosts (URL,URL…); on another machine, set hardware.vramGb (CONDUCTOR_VRAM_GB, or backend.hosts[].vramGb) to its GPU memory",
  ],
  [
    "--sim-profile NAME|PATH",
    "the simulated machine: workstation-24gb (default), mac-studio-128gb, tiny-ci, or a profile file",
  ],
  ["--time-scale X", "run the simulator X times faster than real time (default: the profile's)"],
] as const

export const HELP = {
  ask: {
    about: "ask a question and stream the answer (in-process, or from a running server)",
    usage: [
      'conductor ask "<question>" [--persona NAME] [--tier fast|balanced|quality] [--model NAME] [--json]',
      "                           [--backend ollama|sim] [--ollama-host URL] [--sim-profile NAME|PATH]",
      "                           [--time-scale X] [--config DIR] [--url ws://HOST:PORT/ws] [--wait SECONDS]",
    ],
    description:
      "Routes the question as the server would, streams the answer to stdout, then prints one line to\n" +
      "stderr: the model, its tier, why it was chosen, and the time. Without --url the orchestrator runs\n" +
      "in this process on the backend `serve` would choose; with --url it asks a running `conductor serve`\n" +
      "over its WebSocket API (with CONDUCTOR_TOKEN sent when set). Ctrl-C cancels the request. Exits 1\n" +
      "when the request fails, 2 when it is invalid.",
    flags: [
      ["--persona NAME", "apply a persona from personas.yaml (researcher, developer, casual, writer)"],
      ["--tier T", "force the tier: fast, balanced or quality"],
      ["--model NAME", "route straight to this model"],
      ["--json", "print the result as one JSON object instead of streaming the text"],
      ...BACKEND_FLAGS,
      ["--url URL", "ask the server at this WebSocket URL instead (ws://127.0.0.1:8080/ws)"],
      ["--wait SECONDS", "with --url: wait up to this long for the server to accept connections (default 0)"],
      CONFIG_FLAG,
    ],
    examples: [
      ['conductor ask "Explain CRDTs briefly"', "in-process, on Ollama or the simulator"],
      [
        'conductor ask "Write a Python function that merges two sorted lists" --backend sim --time-scale 20',
        "on the simulator, 20 times faster",
      ],
      [
        'conductor ask --url ws://127.0.0.1:8080/ws --persona researcher "What is a vector clock?"',
        "from a running server",
      ],
    ],
  },
  serve: {
    about: "run the orchestrator: WebSocket API, OpenAI- and Ollama-compatible APIs, metrics, status",
    usage: [
      "conductor serve [--host ADDR] [--port N] [--backend ollama|sim] [--ollama-host URL]",
      "                [--sim-profile NAME|PATH] [--time-scale X] [--config DIR]",
    ],
    description:
      "Serves the WebSocket API at /ws (docs/protocol.md), /healthz, /readyz, /metrics, /v1/status and\n" +
      "the compatible APIs, and prints a banner: the backend, its models, the VRAM budget. With\n" +
      "CONDUCTOR_TOKEN set every route but /healthz requires it. SIGTERM or SIGINT drains and exits 0.",
    flags: [
      ["--host ADDR", "address to listen on (default: server.host, 127.0.0.1)"],
      ["--port N", "port (default: server.port, 8080; 0 picks a free one)"],
      ...BACKEND_FLAGS,
      CONFIG_FLAG,
    ],
    examples: [
      ["conductor serve", "on Ollama if it answers, else the simulator, at 127.0.0.1:8080"],
      ["conductor serve --backend sim --time-scale 10 --port 8081", "on the simulator, 10 times faster"],
      [
        "CONDUCTOR_VRAM_GB=24 conductor serve --ollama-host http://gpu-box:11434",
        "on Ollama on another machine with a 24 GB GPU",
      ],
    ],
  },
  route: {
    about: "explain which model a query goes to, and why",
    usage: [
      'conductor route "<query>" [--persona NAME] [--model NAME] [--tier fast|balanced|quality]',
      "                          [--available m1,m2,...] [--docs N] [--json] [--vram-gb N] [--config DIR]",
      "                          [--backend ollama|sim] [--ollama-host URL] [--sim-profile NAME|PATH]",
      "conductor route --jsonl [same flags]   (JSON requests on stdin, one per line)",
    ],
    description:
      "Shows every stage of the decision: override, persona, task, complexity, tier, the candidate\n" +
      "models and the fallback chain, and first what it plans against. Without --backend that is\n" +
      "every registry model and the configured budget (hardware.vramGb, else unconstrained); with\n" +
      "--backend it is what `serve` would plan against: the models that backend has and its budget.",
    flags: [
      ["--persona NAME", "apply a persona from personas.yaml"],
      ["--model NAME", "explicit override: route straight to this model (must be available)"],
      ["--tier T", "force the tier; the best model of that tier for the task is chosen"],
      ["--available m1,m2", "only these models may be chosen"],
      ["--docs N", "N documents were retrieved for the query (RAG context)"],
      ["--json", "print one JSON decision object (the planning line goes to stderr)"],
      ["--jsonl", "read JSON requests from stdin, one per line; write one decision per line"],
      ["--vram-gb N", "plan against N GB of GPU memory"],
      ["--backend ollama|sim", "plan as `serve` would on this backend: its models and its budget"],
      ...BACKEND_FLAGS.slice(1, 3),
      CONFIG_FLAG,
    ],
    examples: [
      [
        'conductor route "Design a distributed caching system for a social network, step by step"',
        "every registry model",
      ],
      [
        'conductor route "Refactor this function to be async" --backend sim --persona developer',
        "what the simulator's server would do",
      ],
      [
        'echo \'{"query":"Summarise this report","context":{"retrievedDocs":4}}\' | conductor route --jsonl',
        "",
      ],
    ],
  },
  models: {
    about: "list the model registry",
    usage: ["conductor models [--json] [--config DIR]"],
    description:
      "The registry (models.yaml) as a table: tier, parameters, memory, context window, the fixed\n" +
      "num_ctx, parallel slots, speed, capabilities, pinned.",
    flags: [["--json", "print the profiles as JSON"], CONFIG_FLAG],
    examples: [
      ["conductor models", "the table"],
      ["conductor models --json", "every profile's fields"],
    ],
  },
  config: {
    about: "validate the configuration",
    usage: ["conductor config check [--config DIR]"],
    description:
      "Validates conductor.yaml, models.yaml, personas.yaml and the CONDUCTOR_* overrides; prints\n" +
      "what resolved, or every problem as `file: path: message (line N)` and exits 1.",
    flags: [CONFIG_FLAG],
    examples: [
      ["conductor config check", "the bundled configuration"],
      ["conductor config check --config ./my-config", "your own"],
    ],
  },
  hardware: {
    about: "show the GPUs found and the VRAM budget",
    usage: ["conductor hardware [--json] [--ollama-host URL[,URL…]] [--config DIR]"],
    description:
      "The GPU memory Conductor plans with on this machine: the GPUs detected (or hardware.vramGb),\n" +
      "system RAM, unified memory, and the budget = memory × hardware.utilisation − hardware.reserveGb.\n" +
      "With several GPU hosts (backend.hosts, or a list), each host's memory and budget.",
    flags: [
      ["--json", "print the report as JSON"],
      ["--ollama-host URL[,URL…]", "the GPU hosts to list (default: backend.hosts, else backend.host)"],
      CONFIG_FLAG,
    ],
    examples: [
      ["conductor hardware", "what was detected"],
      ["conductor hardware --ollama-host 127.0.0.1:11434,127.0.0.1:11435", "two GPU hosts on this machine"],
      ["CONDUCTOR_VRAM_GB=48 conductor hardware", "the budget of a configured 48 GB"],
    ],
  },
  sim: {
    about: "serve a simulated GPU host with Ollama's API",
    usage: [
      "conductor sim [--profile NAME|PATH[,NAME|PATH…]] [--hosts N] [--port N] [--host ADDR]",
      "              [--time-scale X] [--seed N] [--load-cost-scale X]",
    ],
    description:
      "A simulated Ollama server for a described machine (GPUs, disk, models), with the current\n" +
      "Ollama's scheduling and quirks, faults to inject and a time scale (docs/simulator.md).",
    flags: [
      [
        "--profile NAME|PATH[,NAME|PATH…]",
        "workstation-24gb (default), mac-studio-128gb, tiny-ci, or a profile file; a list is one per host",
      ],
      [
        "--hosts N",
        "serve N simulated GPU hosts on consecutive ports from --port (default: one per profile)",
      ],
      ["--port N", "port (default 11434; the first host's with --hosts)"],
      ["--host ADDR", "address to listen on (default 127.0.0.1)"],
      ["--time-scale X", "run X times faster than real time (default: the profile's)"],
      ["--seed N", "seed of the generated text and of probabilistic faults"],
      ["--load-cost-scale X", "multiply every model load time by X (default: the profile's, 1)"],
    ],
    examples: [
      ["conductor sim", "workstation-24gb on 127.0.0.1:11434, real time"],
      ["conductor sim --load-cost-scale 2", "loads twice as slow as calibrated"],
      [
        "conductor sim --hosts 2 --port 11434",
        "two 24 GB hosts on 11434 and 11435 (each its own process state)",
      ],
      ["conductor sim --profile mac-studio-128gb --port 11500 --time-scale 20", ""],
    ],
  },
  stats: {
    about: "outcomes per task type and model, and what the learner prefers",
    usage: ["conductor stats [--since DURATION] [--json] [--config DIR]"],
    description:
      "What the outcome store holds (learning.mode shadow or on records it; docs/learning.md): per task\n" +
      "type and model, requests (attempts), success rate, feedback count and mean, p50/p95 latency,\n" +
      "GPU-seconds, and the learner's current preference with the model it prefers for each task.",
    flags: [
      ["--since DURATION", "only outcomes this recent: 30m, 24h, 7d (default: learning.retention)"],
      [
        "--json",
        'print {"store", "sinceMs", "rows": [{"task", "model", "requests", "feedback", "meanFeedback", "successRate", …}]}',
      ],
      CONFIG_FLAG,
    ],
    examples: [
      ["conductor stats", "the store at learning.store, else under the user's state directory"],
      ["CONDUCTOR_LEARNING_STORE=./outcomes.db conductor stats --since 24h --json", ""],
    ],
  },
} as const satisfies Record<string, CommandHelp>

export type CommandName = keyof typeof HELP
export const COMMAND_NAMES = Object.keys(HELP) as ReadonlyArray<CommandName>

/** The usage lines, for usage errors. */
export const usageOf = (name: CommandName): string =>
  HELP[name].usage.map((line, i) => (i === 0 ? `usage: ${line}` : `       ${line}`)).join("\n")

/** Lines no longer than this, where words allow. */
const WIDTH = 100

const wrap = (text: string, width: number): string[] => {
  const lines: string[] = []
  let line = ""
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line === "" ? word : `${line} ${word}`
  }
  return [...lines, line]
}

/** Two columns; the second wrapped under itself. */
const table = (rows: ReadonlyArray<readonly [string, string]>, indent: string): string[] => {
  const width = Math.max(...rows.map(([a]) => a.length))
  const hang = `${indent}${"".padEnd(width)}  `
  return rows.flatMap(([a, b]) =>
    wrap(b, Math.max(30, WIDTH - hang.length)).map((part, i) =>
      `${i === 0 ? `${indent}${a.padEnd(width)}  ` : hang}${part}`.trimEnd(),
    ),
  )
}

/** `conductor <command> --help`. */
export const commandHelp = (name: CommandName): string => {
  const h: CommandHelp = HELP[name]
  return [
    usageOf(name),
    "",
    h.description,
    "",
    "flags:",
    ...table([...h.flags, ["--help", "this help"]], "  "),
    "",
    "examples:",
    ...h.examples.flatMap(([cmd, what]) => [`  ${cmd}`, ...(what !== "" ? [`      ${what}`] : [])]),
  ].join("\n")
}

/** `conductor --help`. */
export const mainHelp = (): string =>
  [
    "conductor — local multi-model LLM orchestrator",
    "",
    "usage: conductor <command> [flags]      conductor <command> --help: its flags and examples",
    "",
    "commands:",
    ...COMMAND_NAMES.flatMap((name) => [
      `  ${name.padEnd(9)} ${HELP[name].about}`,
      `  ${"".padEnd(9)} e.g. ${HELP[name].examples[0][0]}`,
    ]),
    "",
    "Every command but sim takes --config DIR (default: CONDUCTOR_CONFIG_DIR, else the bundled config/).",
    "Usage errors exit 2; runtime failures exit 1.",
    "",
    "conductor --version | conductor help [command]",
  ].join("\n")
