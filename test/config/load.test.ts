import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { renderIssue } from "../../src/config/issues.js"
import { type ConfigSource, loadConfig, parseConfig } from "../../src/config/load.js"
import { bundledConfig } from "../support/router-env.js"

const MODEL = `  - name: m:1b
    sizeB: 1
    contextWindow: 4096
    capabilities: [general]
    tier: fast
    memoryGb: 1
    tokensPerSec: 50
`
const src = (display: string, text: string): ConfigSource => ({ display, text })
const sources = (over: { conductor?: string; models?: string; personas?: string } = {}) => ({
  conductor: src("config/conductor.yaml", over.conductor ?? ""),
  models: src("config/models.yaml", over.models ?? `models:\n${MODEL}`),
  personas: src("config/personas.yaml", over.personas ?? "personas: {}\n"),
})
const errorsOf = (over: Parameters<typeof sources>[0], env: NodeJS.ProcessEnv = {}): string[] => {
  const r = parseConfig(sources(over), env)
  if (Result.isSuccess(r)) throw new Error("expected configuration errors")
  return r.failure.issues.map(renderIssue)
}

describe("config/load", () => {
  it("loads the bundled defaults with the reference registry", () => {
    const c = bundledConfig()
    const names = c.models.map((m) => m.name)
    for (const required of [
      "llama3.3:70b",
      "deepseek-r1:70b",
      "qwen2.5:72b",
      "qwen2.5-coder:32b",
      "deepseek-coder:33b",
      "codellama:34b",
      "command-r:35b",
      "qwen2.5:14b",
      "llama3.1:8b",
      "mistral:7b",
      "deepseek-coder:6.7b",
      "qwen2-math:7b",
      "qwen3:4b",
    ]) {
      expect(names).toContain(required)
    }
    expect(c.models.find((m) => m.name === "qwen3:4b")?.pinned).toBe(true)
    expect([...c.personas.keys()]).toEqual(expect.arrayContaining(["researcher", "developer", "casual"]))
    expect(c.conductor.routing.tierThresholds).toEqual({ balanced: 3.5, quality: 7 })
  })

  it("fills defaults for omitted keys", () => {
    const r = Result.getOrThrow(parseConfig(sources()))
    expect(r.conductor.fallbacks).toEqual({
      enabled: true,
      maxLength: 3,
      strategy: "graceful_degradation",
      mode: "restart",
    })
    expect(r.conductor.requests.deadlines).toMatchObject({
      firstToken: 60_000,
      stall: 30_000,
      total: 600_000,
    })
    expect(r.conductor.validation.tasks.code_generation).toEqual({ codePresent: true })
    const m = r.models[0]
    expect(m).toMatchObject({
      parallel: 1,
      pinned: false,
      numCtx: 4096,
      quantisation: "Q4_K_M",
      source: "registry",
    })
  })

  it("decodes durations to milliseconds and fills scheduler, health and backend defaults", () => {
    const r = Result.getOrThrow(
      parseConfig(
        sources({ conductor: "scheduler:\n  maxQueued: 10\n  maxWait: 1m30s\nhealth:\n  window: 1.5s\n" }),
      ),
    )
    expect(r.conductor.scheduler).toMatchObject({ maxQueued: 10, maxWait: 90_000, idleTimeout: 300_000 })
    expect(r.conductor.health.window).toBe(1500)
    expect(r.conductor.backend).toEqual({
      callTimeout: 30_000,
      loadHeadroom: 0.8,
      loadTimeout: 300_000,
      unloadSettle: 1000,
    })
    expect(errorsOf({ conductor: "scheduler:\n  maxQueued: none\n  idleTimeout: 30\n" })).toEqual([
      "config/conductor.yaml: scheduler.maxQueued: expected number (line 2)",
      "config/conductor.yaml: scheduler.idleTimeout: expected a duration with a unit, such as 250ms, 30s, 5m or 1h30m (line 3)",
    ])
  })

  it("reports a bad value with file, path and line", () => {
    const bad = `models:\n${MODEL}${MODEL.replace("m:1b", "m:2b").replace("memoryGb: 1", "memoryGb: -3")}`
    expect(errorsOf({ models: bad })).toEqual([
      "config/models.yaml: models[1].memoryGb: expected a value greater than 0 (line 14)",
    ])
  })

  it("reports every error in every file, not just the first", () => {
    const errors = errorsOf({
      conductor: "routing:\n  tierThresholds:\n    balanced: 11\nfallbacks:\n  maxLength: two\n",
      models: `models:\n  - name: x:1b\n    sizeB: 0\n    contextWindow: 4096\n    capabilities: [general, telepathy]\n    tier: medium\n    memoryGb: 1\n    tokensPerSec: 5\n`,
      personas: "personas:\n  r:\n    preferredTier: best\n",
    })
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^config\/conductor\.yaml: routing\.tierThresholds\.balanced: .*10/),
        expect.stringMatching(/^config\/conductor\.yaml: fallbacks\.maxLength: expected .*number/),
        expect.stringMatching(/^config\/models\.yaml: models\[0\]\.sizeB: expected a value greater than 0/),
        expect.stringMatching(/^config\/models\.yaml: models\[0\]\.capabilities\[1\]: expected .*"general"/),
        expect.stringMatching(
          /^config\/models\.yaml: models\[0\]\.tier: expected "fast" \| "balanced" \| "quality"/,
        ),
        expect.stringMatching(/^config\/personas\.yaml: personas\.r\.preferredTier: expected/),
      ]),
    )
    expect(errors.length).toBeGreaterThanOrEqual(6)
  })

  it("rejects unknown keys and suggests the intended one", () => {
    const errors = errorsOf({ conductor: "fallbacks:\n  maxLenght: 2\nrouteing: {}\n" })
    expect(errors).toContain(
      "config/conductor.yaml: fallbacks.maxLenght: unknown key 'maxLenght' (did you mean 'maxLength'?) (line 2)",
    )
    expect(errors).toContain(
      "config/conductor.yaml: routeing: unknown key 'routeing' (did you mean 'routing'?) (line 3)",
    )
  })

  it("reports required keys that are missing", () => {
    const errors = errorsOf({ models: "models:\n  - name: a:1b\n    sizeB: 1\n" })
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^config\/models\.yaml: models\[0\]\.contextWindow: is required/),
        expect.stringMatching(/^config\/models\.yaml: models\[0\]\.memoryGb: is required/),
      ]),
    )
  })

  it("reports YAML syntax errors with their line", () => {
    const errors = errorsOf({ personas: "personas:\n  a: [unclosed\n" })
    expect(errors[0]).toMatch(/^config\/personas\.yaml: YAML syntax: .* \(line \d+\)$/)
  })

  it("checks rules that span fields and files", () => {
    const errors = errorsOf({
      models: `models:\n${MODEL}${MODEL}`,
      personas:
        "personas:\n  dev:\n    taskOverrides:\n      code_generation: { model: nope:1b }\n    specialisedModels:\n      creative: [m:1b, ghost:7b]\n",
      conductor:
        "routing:\n  defaultPersona: boss\n  tasks:\n    reasoning: { minTier: quality, maxTier: fast }\n",
    })
    expect(errors).toEqual(
      expect.arrayContaining([
        "config/models.yaml: models[1].name: duplicate model 'm:1b' (also models[0]) (line 9)",
        expect.stringMatching(
          /^config\/personas\.yaml: personas\.dev\.taskOverrides\.code_generation\.model: unknown model 'nope:1b'/,
        ),
        expect.stringMatching(
          /^config\/personas\.yaml: personas\.dev\.specialisedModels\.creative\[1\]: unknown model 'ghost:7b'/,
        ),
        expect.stringMatching(/^config\/conductor\.yaml: routing\.defaultPersona: unknown persona 'boss'/),
        expect.stringMatching(
          /^config\/conductor\.yaml: routing\.tasks\.reasoning\.minTier: quality is above maxTier fast/,
        ),
      ]),
    )
  })

  it("applies CONDUCTOR_* environment overrides, validated like the file", () => {
    const ok = Result.getOrThrow(
      parseConfig(sources(), {
        CONDUCTOR_FALLBACKS_MAX: "1",
        CONDUCTOR_FALLBACKS_ENABLED: "false",
        CONDUCTOR_VRAM_GB: "24",
      }),
    )
    expect(ok.conductor.fallbacks.maxLength).toBe(1)
    expect(ok.conductor.fallbacks.enabled).toBe(false)
    expect(ok.conductor.hardware.vramGb).toBe(24)
    expect(ok.envApplied).toEqual([
      "CONDUCTOR_FALLBACKS_ENABLED",
      "CONDUCTOR_FALLBACKS_MAX",
      "CONDUCTOR_VRAM_GB",
    ])

    expect(errorsOf({}, { CONDUCTOR_FALLBACKS_MAX: "lots" })).toEqual([
      "env CONDUCTOR_FALLBACKS_MAX: expected a number, got 'lots'",
    ])
    expect(errorsOf({}, { CONDUCTOR_FALLBACKS_MAX: "50" })[0]).toMatch(
      /^config\/conductor\.yaml: fallbacks\.maxLength: /,
    )
  })

  it("merges settings given in code over the file, reporting their problems against them", () => {
    const ok = Result.getOrThrow(
      loadConfig({
        env: {},
        overrides: { scheduler: { maxWait: "2m" }, fallbacks: { mode: "continue" } },
      }),
    )
    expect(ok.conductor.scheduler.maxWait).toBe(120_000)
    expect(ok.conductor.scheduler.maxQueued).toBe(1000)
    expect(ok.conductor.fallbacks).toMatchObject({ mode: "continue", maxLength: 3 })
    const bad = loadConfig({ env: {}, overrides: { requests: { deadlines: { stall: 5 } } } })
    expect(Result.isFailure(bad) && bad.failure.issues.map(renderIssue)).toEqual([
      "config option: requests.deadlines.stall: expected a duration with a unit, such as 250ms, 30s, 5m or 1h30m",
    ])
  })

  it("takes missing files from the bundled defaults and rejects a missing directory", () => {
    const dir = mkdtempSync(join(tmpdir(), "conductor-config-"))
    writeFileSync(join(dir, "conductor.yaml"), "fallbacks:\n  maxLength: 1\n")
    const r = Result.getOrThrow(loadConfig({ dir, env: {} }))
    expect(r.conductor.fallbacks.maxLength).toBe(1)
    expect(r.models.length).toBe(bundledConfig().models.length)
    expect(r.sources.conductor).toContain(dir)

    const missing = loadConfig({ dir: join(dir, "nope"), env: {} })
    expect(Result.isFailure(missing) && missing.failure.message).toMatch(
      /^--config: config directory .* does not exist/,
    )
    const viaEnv = loadConfig({ env: { CONDUCTOR_CONFIG_DIR: join(dir, "nope") } })
    expect(Result.isFailure(viaEnv) && viaEnv.failure.message).toMatch(/^CONDUCTOR_CONFIG_DIR: /)
  })
})
