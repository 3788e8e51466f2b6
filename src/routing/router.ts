/**
 * The routing pipeline, a pure function: explicit override → persona → task classification →
 * complexity → tier → capability matching → fallback chain. Task and complexity come from the
 * rules and, when the environment has one, the routing classifier (combine.ts: hard signals stay
 * rules, the model judges the rest). Returns a decision that explains every stage, or a
 * `ConductorError` (BadRequest for a bad request, NoModelAvailable naming what was required).
 * No I/O; microseconds per call.
 */
import { Result } from "effect"
import type { ChainConfig, RoutingConfig } from "../config/schema.js"
import type { DecisionReason, RoutingBreakdown, RoutingDecision, RoutingRequest } from "../domain/decision.js"
import { type ConductorError, conductorError } from "../domain/errors.js"
import { GB, type ModelProfile } from "../domain/model-profile.js"
import type { Persona } from "../domain/persona.js"
import type { Capability } from "../domain/task.js"
import type { ModelRegistry } from "../registry/registry.js"
import type { RoutingClassifier } from "./classifier.js"
import { classifyWithAndWithout } from "./classify.js"
import { combine } from "./combine.js"
import { scoreComplexity } from "./complexity.js"
import { fallbackChain } from "./fallback.js"
import { labelsFor } from "./labels.js"
import { exclusion, type MatchRequirements, match } from "./match.js"
import { TASK_PROFILES } from "./task-profiles.js"
import { readQuery } from "./text.js"
import { chooseTier } from "./tiering.js"

export interface RouterEnv {
  readonly registry: ModelRegistry
  readonly personas: ReadonlyMap<string, Persona>
  readonly routing: RoutingConfig
  readonly fallbacks: ChainConfig
  /** Models whose footprint exceeds this many bytes are never chosen. Unconstrained when absent. */
  readonly budgetBytes?: number | undefined
  /** The routing classifier; rules alone decide task and tier when absent (`routing.classifier: off`). */
  readonly classifier?: RoutingClassifier | undefined
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** Tokens kept free for the answer when checking that a prompt fits a context window. */
const ANSWER_ROOM = 512

/** The registry's chat models (a registry never changes, so once per registry). */
const chatOf = new WeakMap<ModelRegistry, ReadonlyArray<ModelProfile>>()
const chatModels = (registry: ModelRegistry): ReadonlyArray<ModelProfile> => {
  let models = chatOf.get(registry)
  if (models === undefined) {
    models = registry.all.filter((m) => m.kind === "chat")
    chatOf.set(registry, models)
  }
  return models
}

const badRequest = (message: string) => Result.fail(conductorError("BadRequest", message))

export const route = (
  req: RoutingRequest,
  env: RouterEnv,
): Result.Result<RoutingDecision, ConductorError> => {
  if (typeof req.query !== "string" || req.query.trim() === "")
    return badRequest("query: must be a non-empty string")
  const personaName = req.persona ?? env.routing.defaultPersona
  const persona = personaName !== undefined ? env.personas.get(personaName) : undefined
  if (personaName !== undefined && persona === undefined) {
    return badRequest(
      `persona: unknown persona '${personaName}' (known: ${[...env.personas.keys()].join(", ")})`,
    )
  }
  const warnings: string[] = []

  // Available models with profiles; names the registry does not know are reported, not routed.
  // Embedding models never answer a query.
  let models: ReadonlyArray<ModelProfile> = chatModels(env.registry)
  if (req.available !== undefined) {
    const picked = new Set<ModelProfile>()
    for (const name of req.available) {
      const p = env.registry.get(name)
      if (p !== undefined && p.kind === "chat") picked.add(p)
      else warnings.push(`unknown model '${name}' ignored (not in the registry)`)
    }
    models = [...picked]
  }

  const text = readQuery(req.query)
  // The model reads the text only: request context (retrieved documents, a required window) is
  // the rules' to weigh, so the model gets the rules' verdicts on the text alone (`plain`).
  const [ruled, plain] = classifyWithAndWithout(text, req.context)
  const cx = scoreComplexity(text, req.context, ruled.type)
  const plainCx = req.context === undefined ? cx : scoreComplexity(text, undefined, plain.type)
  const verdict = env.classifier?.classify(text, plain, plainCx)
  const decided = combine(ruled, cx, plainCx, verdict, req.context, text.hasCodeBlock, env.classifier?.source)
  const task = decided.task
  const complexity = decided.complexity
  // Hard needs stay the rules' (tools for a tool request, a vision cue), whatever the model says.
  const needs: Capability[] = ruled.needs.slice()
  for (const c of req.requires ?? []) if (!needs.includes(c)) needs.push(c)
  const promptTokens = Math.ceil(text.length / 4)
  const minContextWindow = Math.max(req.context?.minContextWindow ?? 0, promptTokens + ANSWER_ROOM)
  const taskRule = env.routing.tasks[task]
  const choice = chooseTier(task, complexity, env.routing, persona, req.tier)
  const requirements: MatchRequirements = {
    task,
    target: choice.target,
    minTier: taskRule?.minTier,
    maxTier: taskRule?.maxTier,
    needs,
    minContextWindow,
    preferredContextWindow: Math.max(
      persona?.minContextWindow ?? 0,
      cx.estimatedContextTokens > 4096 ? cx.estimatedContextTokens : 0,
    ),
    preferSpecialised: taskRule?.preferSpecialised ?? false,
    specialisedModels: persona?.specialisedModels[task] ?? [],
    budgetBytes: env.budgetBytes,
  }
  const taskWarning = TASK_PROFILES[task].warning
  const personaApplied = persona !== undefined ? choice.steps.filter((s) => s.startsWith("persona")) : []

  const decide = (
    chosen: ModelProfile,
    reason: DecisionReason,
    eligible: ReadonlyArray<ModelProfile>,
    notes: RoutingDecision["breakdown"]["candidates"],
  ): Result.Result<RoutingDecision, ConductorError> => {
    if (taskWarning !== undefined) warnings.push(taskWarning)
    // Built without object spread: spreading conditional parts is a slow path in V8.
    const breakdown: Mutable<RoutingBreakdown> = {
      task: {
        type: task,
        confidence: decided.confidence,
        scores: ruled.scores,
        signals: ruled.signals,
        needs,
      },
      complexity: {
        total: complexity,
        structural: cx.structural,
        reasoning: cx.reasoning,
        context: cx.context,
        domain: cx.domain,
        output: cx.output,
        signals: cx.signals,
      },
      tier: { base: choice.base, target: choice.target, served: chosen.tier, steps: choice.steps },
      candidates: notes,
    }
    if (minContextWindow > ANSWER_ROOM + promptTokens) {
      breakdown.task = { ...breakdown.task, minContextWindow }
    }
    if (req.model !== undefined || req.tier !== undefined) {
      const override: Mutable<NonNullable<RoutingBreakdown["override"]>> = {}
      if (req.model !== undefined) override.model = req.model
      if (req.tier !== undefined) override.tier = req.tier
      breakdown.override = override
    }
    if (persona !== undefined) breakdown.persona = { name: persona.name, applied: personaApplied }
    if (decided.model !== undefined) breakdown.model = decided.model
    return Result.succeed({
      model: chosen.name,
      tier: chosen.tier,
      taskType: task,
      complexity,
      confidence: decided.confidence,
      reason,
      fallbacks: fallbackChain(chosen, eligible, requirements, env.fallbacks),
      breakdown,
      warnings,
      labels: labelsFor(task, text),
    })
  }
  const eligibleOf = () => models.filter((p) => exclusion(p, requirements) === undefined)

  // Stage 1: explicit model override.
  if (req.model !== undefined) {
    const p = models.find((m) => m.name === req.model)
    if (p === undefined) {
      return Result.fail(
        conductorError("NoModelAvailable", `model: '${req.model}' is not available`, {
          model: req.model,
          details: { required: { model: req.model }, available: models.map((m) => m.name) },
        }),
      )
    }
    if (env.budgetBytes !== undefined && p.memoryGb * GB > env.budgetBytes) {
      return Result.fail(
        conductorError(
          "NoModelAvailable",
          `model: '${p.name}' needs ${p.memoryGb} GB but the VRAM budget is ${(env.budgetBytes / GB).toFixed(1)} GB`,
          {
            model: p.name,
            details: { required: { model: p.name, memoryGb: p.memoryGb }, budgetBytes: env.budgetBytes },
          },
        ),
      )
    }
    const why = exclusion(p, requirements)
    if (why !== undefined) warnings.push(`explicit model ${p.name}: ${why}`)
    return decide(p, "explicit_override", eligibleOf(), [
      { model: p.name, tier: p.tier, eligible: true, note: "explicit override" },
    ])
  }

  // Stage 2: a persona task override straight to a model.
  if (choice.personaModel !== undefined) {
    const p = models.find((m) => m.name === choice.personaModel)
    const why = p === undefined ? "not available" : exclusion(p, requirements)
    if (p !== undefined && why === undefined) {
      return decide(p, "persona_task_override", eligibleOf(), [
        { model: p.name, tier: p.tier, eligible: true, note: `persona ${persona?.name} task override` },
      ])
    }
    warnings.push(`persona ${persona?.name} model ${choice.personaModel} skipped: ${why}; routed normally`)
  }

  // Stages 3–5: matching on the chosen tier.
  const m = match(models, requirements)
  if (m.chosen === undefined || m.served === undefined) {
    const required = {
      tier: choice.target,
      capabilities: needs,
      minContextWindow,
      ...(env.budgetBytes !== undefined ? { budgetGb: Math.round((env.budgetBytes / GB) * 10) / 10 } : {}),
    }
    const why = m.notes.map((n) => `${n.model}: ${n.note}`).join("; ")
    const needsText = [
      needs.length > 0 ? `capabilities [${needs.join(", ")}]` : undefined,
      `context window ≥ ${minContextWindow}`,
      env.budgetBytes !== undefined ? `memory ≤ ${required.budgetGb} GB` : undefined,
    ]
      .filter((s) => s !== undefined)
      .join(", ")
    return Result.fail(
      conductorError(
        "NoModelAvailable",
        `no available model satisfies ${needsText}${models.length === 0 ? " (no models available)" : ` (${why})`}`,
        { details: { required, excluded: Object.fromEntries(m.notes.map((n) => [n.model, n.note])) } },
      ),
    )
  }
  if (m.served !== choice.target) warnings.push(`no ${choice.target} model available: relaxed to ${m.served}`)
  if (m.contextRelaxed) {
    warnings.push(
      `no ${m.served} model has the preferred ${requirements.preferredContextWindow}-token context window`,
    )
  }
  const reason: DecisionReason =
    choice.source === "forced"
      ? "forced_tier"
      : m.personaSpecialised
        ? "persona_specialised"
        : m.served !== choice.target
          ? "tier_relaxed"
          : requirements.preferSpecialised && m.taskSpecialised
            ? "task_specialisation"
            : choice.source === "persona"
              ? "persona_tier"
              : choice.source === "task_rule"
                ? "task_tier_rule"
                : "complexity_tier"
  return decide(m.chosen, reason, m.eligible, m.notes)
}
