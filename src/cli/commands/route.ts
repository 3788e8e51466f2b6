/**
 * `conductor route`: explain where a query would go. One query from the command line (human
 * explanation, or `--json` for the decision object), or `--jsonl`: JSON requests on stdin, one
 * per line, one decision (or `{"error": …}`) per line on stdout, in order; bad lines never stop
 * the rest.
 */
import { createInterface } from "node:readline"
import { parseArgs } from "node:util"
import { Result, Schema } from "effect"
import { collectKeys, fromSchemaIssue, renderIssue } from "../../config/issues.js"
import { TierSchema } from "../../config/schema.js"
import type { RoutingRequest } from "../../domain/decision.js"
import { GB } from "../../domain/model-profile.js"
import { TIERS } from "../../domain/tier.js"
import { type LearnedRouting, offlineLearning } from "../../learning/offline.js"
import { type RouterEnv, route } from "../../routing/router.js"
import { enumFlag, intFlag, listFlag, numberFlag, UsageError, withUsage } from "../args.js"
import { explainDecision } from "../explain.js"
import { usageOf } from "../help.js"
import { availableFor, PLANNING_OPTIONS, planning } from "../planning.js"
import { configOrExit, ExitError, routerEnv } from "../setup.js"

export const ROUTE_USAGE = usageOf("route")

/** One line of `--jsonl` input. */
const RouteLine = Schema.Struct({
  query: Schema.String,
  persona: Schema.optionalKey(Schema.String),
  model: Schema.optionalKey(Schema.String),
  tier: Schema.optionalKey(TierSchema),
  available: Schema.optionalKey(Schema.Array(Schema.String)),
  context: Schema.optionalKey(
    Schema.Struct({
      retrievedDocs: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
      minContextWindow: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
    }),
  ),
})
const decodeLine = Schema.decodeUnknownResult(RouteLine)
const lineKeys = collectKeys(RouteLine.ast)

const errorJson = (e: { message: string; reason?: string; details?: unknown }) =>
  JSON.stringify({
    error: e.message,
    ...(e.reason !== undefined ? { reason: e.reason } : {}),
    ...(e.details !== undefined ? { details: e.details } : {}),
  })

/** Route one `--jsonl` line; always returns exactly one output line. */
export const routeLine = (
  line: string,
  lineNo: number,
  env: RouterEnv,
  planned?: ReadonlyArray<string>,
  learned: LearnedRouting = (d) => d,
): string => {
  if (line.trim() === "") return errorJson({ message: `line ${lineNo}: empty line, expected a JSON object` })
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch (e) {
    return errorJson({ message: `line ${lineNo}: invalid JSON: ${(e as Error).message}` })
  }
  const decoded = decodeLine(json, { errors: "all", onExcessProperty: "error" })
  if (Result.isFailure(decoded)) {
    const issues = fromSchemaIssue(decoded.failure.issue, `line ${lineNo}`, lineKeys, () => undefined)
    return errorJson({ message: issues.map(renderIssue).join("; ") })
  }
  const request = decoded.success as RoutingRequest
  const available = availableFor(request.available, planned)
  const r = route({ ...request, ...(available !== undefined ? { available } : {}) }, env)
  return Result.isSuccess(r)
    ? JSON.stringify(learned(r.success, decoded.success as RoutingRequest))
    : errorJson({
        message: `line ${lineNo}: ${r.failure.message}`,
        reason: r.failure.reason,
        details: r.failure.details,
      })
}

export const runRoute = async (argv: ReadonlyArray<string>): Promise<number> => {
  const { values, positionals } = withUsage(
    () =>
      parseArgs({
        args: [...argv],
        options: {
          ...PLANNING_OPTIONS,
          persona: { type: "string" },
          model: { type: "string" },
          tier: { type: "string" },
          available: { type: "string" },
          docs: { type: "string" },
          json: { type: "boolean" },
          jsonl: { type: "boolean" },
          "vram-gb": { type: "string" },
        },
        allowPositionals: true,
        strict: true,
      }),
    ROUTE_USAGE,
  )
  const vramGb = numberFlag("vram-gb", values["vram-gb"], 0)
  const config = configOrExit(values.config, { classifier: true })
  // What serve would plan against on --backend, else the registry and the configured budget.
  const plan = await planning(config, values, vramGb)
  const { budgetBytes } = plan
  const env = {
    ...routerEnv(config, budgetBytes),
    ...(plan.registry !== undefined ? { registry: plan.registry } : {}),
  }
  const machineReadable = values.json === true || values.jsonl === true
  process[machineReadable ? "stderr" : "stdout"].write(`${plan.line}\n${machineReadable ? "" : "\n"}`)
  // The learner's view (learning.mode shadow or on, with outcomes recorded): docs/learning.md.
  const learned = offlineLearning(config, budgetBytes, process.env)

  if (values.jsonl) {
    if (positionals.length > 0)
      throw new UsageError(`--jsonl reads queries from stdin; drop the query argument\n\n${ROUTE_USAGE}`)
    const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })
    let n = 0
    for await (const line of rl) {
      n++
      if (!process.stdout.write(`${routeLine(line, n, env, plan.available, learned)}\n`)) {
        await new Promise((resolve) => process.stdout.once("drain", resolve))
      }
    }
    return 0
  }

  if (positionals.length !== 1) {
    throw new UsageError(`expected exactly one query argument, got ${positionals.length}\n\n${ROUTE_USAGE}`)
  }
  const tier = enumFlag("tier", values.tier, TIERS)
  const docs = intFlag("docs", values.docs, 0)
  const available = availableFor(listFlag(values.available), plan.available)
  const req: RoutingRequest = {
    query: positionals[0] as string,
    ...(values.persona !== undefined ? { persona: values.persona } : {}),
    ...(values.model !== undefined ? { model: values.model } : {}),
    ...(tier !== undefined ? { tier } : {}),
    ...(available !== undefined ? { available } : {}),
    ...(docs !== undefined ? { context: { retrievedDocs: docs } } : {}),
  }
  const r = Result.map(route(req, env), (d) => learned(d, req))
  if (Result.isFailure(r)) {
    if (values.json) {
      process.stdout.write(
        `${errorJson({ message: r.failure.message, reason: r.failure.reason, details: r.failure.details })}\n`,
      )
      return 1
    }
    throw new ExitError(`${r.failure.reason}: ${r.failure.message}`, 1)
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(r.success)}\n`)
  } else {
    const budgetNote =
      budgetBytes === undefined
        ? "memory budget unconstrained (set hardware.vramGb or --vram-gb)"
        : `memory budget ${(budgetBytes / GB).toFixed(1)} GB`
    process.stdout.write(`${explainDecision(req, r.success, budgetNote)}\n`)
  }
  return 0
}
