/**
 * Human-readable explanation of a routing decision, stage by stage, for `conductor route`. When
 * the routing classifier ran, the task and complexity stages show its probabilities beside the
 * rules' verdicts and say which decided.
 */
import type { RoutingDecision, RoutingRequest } from "../domain/decision.js"

const pad = (label: string) => label.padEnd(13)

export const explainDecision = (req: RoutingRequest, d: RoutingDecision, budgetNote: string): string => {
  const b = d.breakdown
  const model = b.model
  const out: string[] = []
  out.push(`Query: ${JSON.stringify(req.query)}`)
  out.push("")
  const override = b.override
  out.push(
    `1. ${pad("Override")}${
      override === undefined
        ? "none"
        : [override.model && `model ${override.model}`, override.tier && `tier ${override.tier}`]
            .filter(Boolean)
            .join(", ")
    }`,
  )
  out.push(
    `2. ${pad("Persona")}${
      b.persona === undefined
        ? "none"
        : `${b.persona.name}${b.persona.applied.length > 0 ? ` — ${b.persona.applied.join("; ")}` : " (no adjustment applied)"}`
    }`,
  )
  const signalsOf = (task: string) =>
    b.task.signals.filter((s) => s.startsWith(`${task}:`)).map((s) => s.slice(task.length + 1))
  const scores = (skip: string) =>
    b.task.scores
      .filter((s) => s.task !== skip)
      .map((s) => `${s.task} ${s.score}`)
      .join(", ")
  if (model === undefined) {
    const taskSignals = signalsOf(b.task.type)
    out.push(
      `3. ${pad("Task")}${b.task.type} (confidence ${b.task.confidence.toFixed(2)})${
        taskSignals.length > 0 ? ` — ${taskSignals.join(", ")}` : " — no task signals: general question"
      }`,
    )
    const others = scores(b.task.type)
    if (others !== "") out.push(`   ${pad("")}also scored: ${others}`)
  } else {
    const top = Object.entries(model.task.probabilities)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 3)
      .map(([t, p]) => `${t} ${p.toFixed(2)}`)
    const ruleSignals = signalsOf(model.rules.task)
    out.push(
      `3. ${pad("Task")}${b.task.type} (confidence ${b.task.confidence.toFixed(2)}) — decided by ${model.used.task}`,
    )
    out.push(`   ${pad("")}classifier: ${top.join(", ")}`)
    out.push(
      `   ${pad("")}rules: ${model.rules.task}${ruleSignals.length > 0 ? ` — ${ruleSignals.join(", ")}` : " — no task signals"}${
        scores(model.rules.task) !== "" ? `; also scored ${scores(model.rules.task)}` : ""
      }`,
    )
  }
  out.push(
    `   ${pad("Needs")}${b.task.needs.length > 0 ? b.task.needs.join(", ") : "none"}${
      b.task.minContextWindow !== undefined ? `; context window ≥ ${b.task.minContextWindow}` : ""
    }`,
  )
  const c = b.complexity
  const dims = `structural ${c.structural} · reasoning ${c.reasoning} · context ${c.context} · domain ${c.domain} · output ${c.output}`
  if (model === undefined)
    out.push(`4. ${pad("Complexity")}${c.total.toFixed(2)}/10 → ${b.tier.base}  [${dims}]`)
  else {
    const tp = model.tier.probabilities
    out.push(
      `4. ${pad("Complexity")}${c.total.toFixed(2)}/10 → ${b.tier.base}  [classifier: fast ${tp.fast.toFixed(2)} · balanced ${tp.balanced.toFixed(2)} · quality ${tp.quality.toFixed(2)} → ${model.tier.complexity.toFixed(2)}${model.used.complexity === "model" ? "" : " + request context"}]`,
    )
    out.push(`   ${pad("")}rules alone: ${model.rules.complexity.toFixed(2)}/10 [${dims}]`)
  }
  if (c.signals.length > 0) out.push(`   ${pad("")}signals: ${c.signals.join(", ")}`)
  out.push(`   ${pad("Tier")}${b.tier.steps.join(" → ")}; target ${b.tier.target}, served ${b.tier.served}`)
  out.push(`5. ${pad("Matching")}${b.candidates.length} model(s); ${budgetNote}`)
  const width = Math.max(...b.candidates.map((n) => n.model.length))
  for (const n of b.candidates) {
    const mark = n.model === d.model ? "✓" : n.eligible ? "·" : "✗"
    const score = n.score !== undefined ? `score ${n.score.toFixed(2)}` : ""
    out.push(`     ${mark} ${n.model.padEnd(width)}  ${n.tier.padEnd(8)}  ${score.padEnd(11)} ${n.note}`)
  }
  out.push(`6. ${pad("Fallbacks")}${d.fallbacks.length > 0 ? d.fallbacks.join(" → ") : "none"}`)
  const l = b.learned
  if (l !== undefined) {
    const what =
      l.note ?? `${l.chosen === l.rules ? "keeps" : l.mode === "on" ? "serves" : "would serve"} ${l.chosen}`
    out.push(`7. ${pad("Learned")}${l.mode}, ${b.task.type}/${l.band}: ${what} (rules: ${l.rules})`)
    for (const [model, value] of Object.entries(l.means).sort((x, y) => y[1] - x[1])) {
      out.push(
        `     ${model === l.chosen ? "✓" : "·"} ${model.padEnd(width)}  value ${value.toFixed(3)}  evidence ${(l.evidence[model] ?? 0).toFixed(1)}`,
      )
    }
    if (l.cost !== undefined) {
      out.push(
        `     cost limit ${l.cost.limit} GPU-s, expected ${l.cost.expected} GPU-s${l.cost.bound ? " (bound)" : ""}`,
      )
    }
  }
  out.push("")
  out.push(`Decision: ${d.model} (${d.tier}) — reason ${d.reason}`)
  if (d.warnings.length > 0) out.push(`Warnings: ${d.warnings.join("; ")}`)
  return out.join("\n")
}
