/**
 * Embedding requests: text in, vectors out, on an embedding model (`kind: embedding` in the
 * registry) scheduled under the same VRAM budget as every chat model — an embedding model
 * evicting a chat model is exactly the swap users suffer, so it queues, loads and leases like
 * any other. No routing: the request names its model, else `routing.embeddingModel`, else the
 * embedding model already resident, else the smallest one. No fallback either: another
 * embedding model gives vectors of another space. The program publishes the request's events
 * (queued/loading/loaded from the scheduler, `started`) and returns the vectors; Conductor
 * publishes the terminal event.
 */
import { Cause, Effect, Schema } from "effect"
import type { EmbedResult } from "../backends/port.js"
import { type ConductorError, conductorError } from "../domain/errors.js"
import type { RequestEvent, Timings } from "../domain/events.js"
import type { ModelProfile } from "../domain/model-profile.js"
import { schemaProblems } from "../domain/schema-problems.js"
import { DEFAULT_TENANT } from "../domain/tenant.js"
import type { HostSet } from "../gpu/host-set.js"
import { type Admission, type AttemptOutcome, circuitOpen, type Ticket } from "../health/health.js"

const NonEmpty = Schema.String.check(Schema.isNonEmpty())

export const EmbedRequestSchema = Schema.Struct({
  id: Schema.optionalKey(
    NonEmpty.check(
      Schema.isPattern(/^[A-Za-z0-9._:-]{1,128}$/, {
        message: "expected 1 to 128 letters, digits or . _ : -",
      }),
    ),
  ),
  /** An embedding model of the registry; default: see the header. */
  model: Schema.optionalKey(NonEmpty),
  /** One text, or up to 2,048 of them (one vector each, in order). */
  input: Schema.Union([
    Schema.String,
    Schema.Array(Schema.String).check(Schema.isMinLength(1), Schema.isMaxLength(2048)),
  ]),
  /** Cut inputs longer than the model's context (default true); false makes them an error. */
  truncate: Schema.optionalKey(Schema.Boolean),
  /** Shorter vectors, for models trained for it. */
  dimensions: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
  client: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(256))),
  /** Whom it runs for, for health accounting (as a chat request's `tenant`); default `library`. */
  tenant: Schema.optionalKey(
    NonEmpty.check(
      Schema.isPattern(/^[\x21-\x7e]{1,128}$/, {
        message: "expected 1 to 128 printable ASCII characters, no spaces",
      }),
    ),
  ),
})
export type EmbedRequest = typeof EmbedRequestSchema.Type

export interface EmbedResponse {
  readonly id: string
  readonly model: string
  readonly embeddings: ReadonlyArray<ReadonlyArray<number>>
  readonly usage: { readonly promptTokens: number }
  /** As a chat's (ms, to the µs); `queueMs` is not measured (waiting shows in `totalMs`), `evalMs` is 0. */
  readonly timings: Timings
}

const decode = Schema.decodeUnknownResult(EmbedRequestSchema)

/** Check an embedding request; fails with BadRequest naming every problem. */
export const checkEmbedRequest = (
  input: unknown,
): { ok: true; value: EmbedRequest } | { ok: false; error: ConductorError } => {
  const r = decode(input, { errors: "all", onExcessProperty: "error" })
  if (r._tag === "Success") return { ok: true, value: r.success }
  const problems = schemaProblems(r.failure.issue)
  return { ok: false, error: conductorError("BadRequest", problems.join("; "), { details: { problems } }) }
}

/**
 * The embedding model for a request: the one it names (which must be an available embedding
 * model), else the configured default, else one already resident, else the smallest.
 */
export const embeddingModelFor = (
  requested: string | undefined,
  models: ReadonlyArray<ModelProfile>,
  options: { readonly preferred?: string; readonly resident: (name: string) => boolean },
): { ok: true; model: ModelProfile; named: boolean } | { ok: false; error: ConductorError } => {
  const embedding = models.filter((m) => m.kind === "embedding")
  if (requested !== undefined) {
    const m = models.find((p) => p.name === requested || p.name === `${requested}:latest`)
    if (m === undefined) {
      return {
        ok: false,
        error: conductorError("ModelNotFound", `model: '${requested}' is not available`, {
          model: requested,
          details: { available: embedding.map((p) => p.name) },
        }),
      }
    }
    if (m.kind !== "embedding") {
      return {
        ok: false,
        error: conductorError("BadRequest", `model: '${m.name}' is a chat model, not an embedding model`, {
          model: m.name,
          details: { embeddingModels: embedding.map((p) => p.name) },
        }),
      }
    }
    return { ok: true, model: m, named: true }
  }
  if (embedding.length === 0) {
    return {
      ok: false,
      error: conductorError(
        "NoModelAvailable",
        "no embedding model is available (add one with kind: embedding)",
      ),
    }
  }
  const preferred = embedding.find((m) => m.name === options.preferred)
  const chosen =
    preferred ??
    embedding.find((m) => options.resident(m.name)) ??
    [...embedding].sort((a, b) => a.memoryGb - b.memoryGb)[0]
  return { ok: true, model: chosen as ModelProfile, named: false }
}

export interface EmbedDeps {
  readonly publish: (event: RequestEvent) => void
  readonly now: () => number
  readonly admit: (model: string, tenant: string) => Admission
  readonly record: (ticket: Ticket, outcome: AttemptOutcome) => void
  /** The GPU hosts: the lease comes from where placement says, and the vectors from that host. */
  readonly hosts: HostSet
}

/**
 * Lease the model (queueing and loading as needed), embed, return the lease. A refused
 * admission (breaker open) fails with CircuitOpen; the outcome is recorded against the model.
 */
export const embedProgram = (
  id: string,
  model: ModelProfile,
  req: EmbedRequest,
  deps: EmbedDeps,
): Effect.Effect<EmbedResult, ConductorError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const admission = deps.admit(model.name, req.tenant ?? DEFAULT_TENANT)
      if (!admission.allowed) return yield* Effect.fail(circuitOpen(model.name, admission))
      const { ticket } = admission
      const started = deps.now()
      return yield* Effect.gen(function* () {
        const leaseOptions = { requestId: id, tenant: req.tenant ?? DEFAULT_TENANT }
        const { backend } = yield* deps.hosts.lease(model.name, leaseOptions)
        deps.publish({ type: "started", id, model: model.name, attempt: 1 })
        return yield* backend.embed(model.name, {
          input: typeof req.input === "string" ? [req.input] : req.input,
          numCtx: model.numCtx,
          ...(req.truncate !== undefined ? { truncate: req.truncate } : {}),
          ...(req.dimensions !== undefined ? { dimensions: req.dimensions } : {}),
        })
      }).pipe(
        Effect.onExit((exit) =>
          Effect.sync(() => {
            if (exit._tag === "Success") {
              deps.record(ticket, { kind: "success", latencyMs: deps.now() - started })
            } else {
              const error = Cause.findErrorOption(exit.cause)
              deps.record(
                ticket,
                error._tag === "Some"
                  ? { kind: "failure", reason: error.value.reason, message: error.value.message }
                  : { kind: "cancelled" },
              )
            }
          }),
        ),
      )
    }),
  )
