/**
 * Configuration problems as data: which file (or environment variable), which path inside it,
 * what was wrong, and the line when known. Rendered one per line as
 * `config/models.yaml: models[3].memoryGb: expected a value greater than 0 (line 42)`.
 */
import { SchemaIssue } from "effect"
import type { Document, LineCounter } from "yaml"

export interface ConfigIssue {
  /** Display name of the file, or `env CONDUCTOR_X` for an environment override. */
  readonly source: string
  /** Path inside the document, e.g. `models[3].memoryGb`; empty for the whole file. */
  readonly path: string
  readonly message: string
  readonly line?: number
}

export const renderIssue = (issue: ConfigIssue): string =>
  `${issue.source}: ${issue.path === "" ? "" : `${issue.path}: `}${issue.message}${
    issue.line !== undefined ? ` (line ${issue.line})` : ""
  }`

/** Every problem of an invalid configuration, one indented line each, under a count. */
export const renderInvalidConfig = (issues: ReadonlyArray<ConfigIssue>): string =>
  `configuration invalid (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${issues.map((i) => `  ${renderIssue(i)}`).join("\n")}`

export type PathSegment = string | number

/** `["models", 3, "memoryGb"]` → `models[3].memoryGb` (keys with dots or colons are quoted). */
export const formatPath = (path: ReadonlyArray<PathSegment>): string => {
  let out = ""
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === "" ? seg : `.${seg}`
    else out += `[${JSON.stringify(seg)}]`
  }
  return out
}

/** Edit distance, for "did you mean" hints on unknown keys. */
const distance = (a: string, b: string): number => {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }
  return prev[b.length] as number
}

export const suggest = (word: string, known: Iterable<string>): string | undefined => {
  let best: string | undefined
  let bestD = Number.POSITIVE_INFINITY
  for (const k of known) {
    const d = distance(word.toLowerCase(), k.toLowerCase())
    if (d < bestD) {
      bestD = d
      best = k
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 4)) ? best : undefined
}

const lowerFirst = (s: string): string => (s.length > 0 ? s[0]?.toLowerCase() + s.slice(1) : s)

/**
 * Schema issues → ConfigIssues. `knownKeys` feeds "did you mean" hints for unknown keys; `lineOf`
 * maps a path to its line in the YAML source.
 */
export const fromSchemaIssue = (
  issue: SchemaIssue.Issue,
  source: string,
  knownKeys: ReadonlySet<string>,
  lineOf: (path: ReadonlyArray<PathSegment>) => number | undefined,
): ConfigIssue[] => {
  const std = SchemaIssue.makeFormatterStandardSchemaV1()(issue)
  const out: ConfigIssue[] = []
  const seen = new Set<string>()
  for (const i of std.issues) {
    const path = (i.path ?? []).map((p) =>
      typeof p === "object" && p !== null ? (p.key as PathSegment) : (p as PathSegment),
    )
    let message = lowerFirst(i.message)
    if (i.message === "Expected no excess property") {
      const key = String(path[path.length - 1])
      const hint = suggest(key, knownKeys)
      message = `unknown key '${key}'${hint !== undefined && hint !== key ? ` (did you mean '${hint}'?)` : ""}`
    } else if (i.message.startsWith("Missing key")) {
      message = "is required"
    }
    const line = lineOf(path)
    const rendered = `${formatPath(path)}|${message}`
    if (seen.has(rendered)) continue
    seen.add(rendered)
    out.push({ source, path: formatPath(path), message, ...(line !== undefined ? { line } : {}) })
  }
  return out
}

/** Every struct key named anywhere in a schema AST (for unknown-key suggestions). */
export const collectKeys = (ast: unknown): Set<string> => {
  const keys = new Set<string>()
  const seen = new Set<unknown>()
  const walk = (node: unknown): void => {
    if (typeof node !== "object" || node === null || seen.has(node)) return
    seen.add(node)
    const n = node as Record<string, unknown>
    if (Array.isArray(n.propertySignatures)) {
      for (const ps of n.propertySignatures as Array<{ name: unknown; type: unknown }>) {
        if (typeof ps.name === "string") keys.add(ps.name)
        walk(ps.type)
      }
    }
    for (const field of ["types", "elements", "rest", "indexSignatures"]) {
      const v = n[field]
      if (Array.isArray(v)) for (const x of v) walk((x as { type?: unknown }).type ?? x)
    }
    if (n.encoding !== undefined) walk(n.encoding)
    if (Array.isArray(node)) for (const x of node) walk((x as { to?: unknown }).to ?? x)
    if (n.to !== undefined) walk(n.to)
    if (n.type !== undefined) walk(n.type)
    if (n.parameter !== undefined) walk(n.parameter)
  }
  walk(ast)
  return keys
}

/** Line (1-based) of the node at `path` in a parsed YAML document. */
export const yamlLineOf =
  (doc: Document, counter: LineCounter) =>
  (path: ReadonlyArray<PathSegment>): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined
      if (node && typeof node === "object" && Array.isArray(node.range)) {
        return counter.linePos(node.range[0]).line
      }
    }
    return undefined
  }
