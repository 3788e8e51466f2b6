/**
 * `conductor ask "<question>"`: the first thing to run. Without `--url`, Conductor runs in this
 * process on the backend `serve` would choose (Ollama if it answers, else the embedded simulator)
 * and answers one request; with `--url`, a running server answers over the WebSocket protocol.
 * Either way the answer streams to stdout and one line says which model answered, its tier, why
 * and how long it took (`answer.ts`). Ctrl-C cancels the request (exit 130).
 */
import { parseArgs } from "node:util"
import type { ConductorOptions } from "../../conductor.js"
import { isConductorError } from "../../domain/errors.js"
import { TIERS } from "../../domain/tier.js"
import { AnswerView } from "../answer.js"
import { enumFlag, numberFlag, UsageError, withUsage } from "../args.js"
import { askRemote } from "../ask-remote.js"
import { BACKEND_OPTIONS, backendOptions, describeBackend, startConductor } from "../backend.js"
import { usageOf } from "../help.js"

export const ASK_USAGE = usageOf("ask")

const stdoutSink = {
  out: (text: string) => {
    process.stdout.write(text)
  },
  note: (line: string) => {
    process.stderr.write(`${line}\n`)
  },
}

/** Until SIGINT: then `onInterrupt` (once); the returned function stops listening. */
const onSigint = (onInterrupt: () => void): (() => void) => {
  let interrupted = false
  const handler = () => {
    if (interrupted) process.exit(130)
    interrupted = true
    onInterrupt()
  }
  process.on("SIGINT", handler)
  return () => process.off("SIGINT", handler)
}

export const runAsk = async (argv: ReadonlyArray<string>): Promise<number> => {
  const { values, positionals } = withUsage(
    () =>
      parseArgs({
        args: [...argv],
        options: {
          ...BACKEND_OPTIONS,
          persona: { type: "string" },
          tier: { type: "string" },
          model: { type: "string" },
          json: { type: "boolean" },
          url: { type: "string" },
          wait: { type: "string" },
        },
        allowPositionals: true,
        strict: true,
      }),
    ASK_USAGE,
  )
  if (positionals.length !== 1 || (positionals[0] ?? "").trim() === "") {
    throw new UsageError(
      `expected the question as one argument (quote it), got ${positionals.length}\n\n${ASK_USAGE}`,
    )
  }
  const tier = enumFlag("tier", values.tier, TIERS)
  const waitSec = numberFlag("wait", values.wait, 0)
  const request = {
    prompt: positionals[0] as string,
    ...(values.persona !== undefined ? { persona: values.persona } : {}),
    ...(tier !== undefined ? { tier } : {}),
    ...(values.model !== undefined ? { model: values.model } : {}),
  }
  const json = values.json === true

  if (values.url !== undefined) {
    const local = (["backend", "ollama-host", "sim-profile", "time-scale", "config"] as const).filter(
      (f) => values[f] !== undefined,
    )
    if (local.length > 0) {
      throw new UsageError(
        `--${local[0]} chooses an in-process backend; with --url the server's own is used\n\n${ASK_USAGE}`,
      )
    }
    const view = new AnswerView(stdoutSink, { json, now: () => performance.now() })
    const token = process.env.CONDUCTOR_TOKEN
    const remote = await askRemote(values.url, request, {
      waitMs: (waitSec ?? 0) * 1000,
      token: token !== undefined && token !== "" ? token : undefined,
      hello: (backend, policy) =>
        stdoutSink.note(`conductor: asking the server at ${values.url} (${backend}; policy ${policy})`),
      event: (e) => view.event(e),
    })
    let interrupted = false
    const stop = onSigint(() => {
      interrupted = true
      remote.cancel()
    })
    try {
      const code = await remote.done
      return interrupted ? 130 : code
    } finally {
      stop()
    }
  }
  if (waitSec !== undefined) throw new UsageError(`--wait waits for a server: it needs --url\n\n${ASK_USAGE}`)

  const options: ConductorOptions = backendOptions(values)
  const conductor = await startConductor(options)
  try {
    const told = describeBackend(conductor)
    stdoutSink.note(
      `conductor: ${told.backend}; VRAM budget ${told.budget}` +
        (conductor.simulator !== undefined
          ? "\nconductor: the simulator's answers are made-up text; with Ollama running they are real"
          : ""),
    )
    if (!conductor.snapshot().backend.reachable) stdoutSink.note(`conductor: models ${told.models}`)
    const scale =
      conductor.simulator !== undefined
        ? (options.timeScale ?? conductor.simulator.profile.timeScale)
        : undefined
    const view = new AnswerView(stdoutSink, { json, now: () => performance.now(), timeScale: scale })
    let handle: ReturnType<typeof conductor.submit>
    try {
      handle = conductor.submit(request)
    } catch (e) {
      if (!isConductorError(e)) throw e
      return (
        view.event({
          type: "error",
          code: e.reason === "BadRequest" ? "invalid_request" : e.reason,
          message: e.message,
        }) ?? 1
      )
    }
    let interrupted = false
    const stop = onSigint(() => {
      interrupted = true
      handle.cancel()
    })
    try {
      const code = await new Promise<number>((resolve) => {
        const unobserve = handle.observe((e) => {
          const ended = view.event(e)
          if (ended !== undefined) {
            queueMicrotask(() => unobserve())
            resolve(ended)
          }
        })
      })
      return interrupted ? 130 : code
    } finally {
      stop()
    }
  } finally {
    await conductor.close()
  }
}
