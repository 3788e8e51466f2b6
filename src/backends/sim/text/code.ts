/**
 * The simulator's code answers: the language asked for, names taken from the prompt, and one
 * small function template per language (Python, TypeScript, JavaScript, Rust, Go, Bash, SQL) with
 * optional parts switched on at random, fenced between a sentence and an explanation.
 */
import type { TextContext } from "./prompt.js"
import { pick } from "./random.js"
import { LANG_NAME, LANG_TARGET } from "./task.js"
import { cap, fill, singular } from "./templates.js"

type Lang = "python" | "typescript" | "javascript" | "sql" | "bash" | "rust" | "go"

/** Everything a code template needs; the flags switch optional parts on. */
interface CodeCtx {
  readonly fn: string
  readonly arg: string
  readonly type: string
  readonly col: string
  readonly topic: string
  readonly word: string
  readonly limit: number
  readonly validate: boolean
  readonly log: boolean
  readonly sort: boolean
  readonly example: boolean
}

const LANG_LABEL: Readonly<Record<Lang, string>> = {
  python: "Python",
  typescript: "TypeScript",
  javascript: "JavaScript",
  sql: "SQL",
  bash: "Bash",
  rust: "Rust",
  go: "Go",
}
const LANG_ALIAS: Readonly<Record<string, Lang>> = {
  python: "python",
  typescript: "typescript",
  ts: "typescript",
  javascript: "javascript",
  js: "javascript",
  node: "javascript",
  nodejs: "javascript",
  "node.js": "javascript",
  sql: "sql",
  postgres: "sql",
  postgresql: "sql",
  mysql: "sql",
  sqlite: "sql",
  bash: "bash",
  shell: "bash",
  rust: "rust",
  golang: "go",
  go: "go",
}
const RESERVED = new Set(
  `class def function return for while if else let const var new type import from package func fn struct impl
  trait enum match loop select where group order limit table index join case default static public private
  interface delete insert update values set true false null none self this async await yield with strings fmt
  sort len append make range string int str list dict map vec print main`.split(/\s+/),
)

/** The requested language: "in/using X" first, then any language named, then hints; Python by default. */
const langFor = (text: string): Lang => {
  const m = LANG_TARGET.exec(text) ?? LANG_NAME.exec(text)
  const named = m === null ? undefined : LANG_ALIAS[m[1] ?? m[2] ?? ""]
  if (named !== undefined) return named
  if (/\b(?:quer(?:y|ies)|tables?|database|select|join)\b/.test(text)) return "sql"
  if (/\b(?:react|express|npm|browser|dom|frontend)\b/.test(text)) return "javascript"
  if (/\b(?:cron|command line|terminal)\b/.test(text)) return "bash"
  return "python"
}

const codeCtx = (c: TextContext, lang: Lang): CodeCtx => {
  const ids = c.words.map((w) => w.toLowerCase()).filter((w) => /^[a-z][a-z0-9]*$/.test(w))
  const arg = ids.findLast((w) => w.length > 3 && /[^s]s$/.test(w) && !RESERVED.has(w)) ?? "items"
  const rest = ids.filter((w) => w !== arg)
  const named = rest.length > 0 ? rest.slice(0, c.rng() < 0.4 ? 3 : 2) : ["process", arg]
  const parts = named.length === 1 && RESERVED.has(named[0] ?? "") ? ["handle", ...named] : named
  const snake = lang === "python" || lang === "rust" || lang === "sql" || lang === "bash"
  const fn = snake ? parts.join("_") : parts.map((w, i) => (i === 0 ? w : cap(w))).join("")
  return {
    fn,
    arg,
    type: cap(singular(arg)),
    col: rest.findLast((w) => w !== singular(arg) && !RESERVED.has(w)) ?? "name",
    topic: c.words.slice(0, 2).join(" ").toLowerCase() || "input",
    word: rest[0] ?? "example",
    limit: pick(c.rng, [5, 10, 20, 50, 100]),
    validate: c.rng() < 0.5,
    log: c.rng() < 0.5,
    sort: c.rng() < 0.5,
    example: c.rng() < 0.5,
  }
}

const opt = (on: boolean, lines: ReadonlyArray<string>): ReadonlyArray<string> => (on ? lines : [])

const python = (k: CodeCtx): ReadonlyArray<string> => [
  ...opt(k.log, ["import logging", "", "logger = logging.getLogger(__name__)", "", ""]),
  ...opt(k.validate, ["def _is_valid(item):", '    return item is not None and item != ""', "", ""]),
  `def ${k.fn}(${k.arg}, limit=${k.limit}):`,
  `    """Return up to \`limit\` ${k.topic} entries from ${k.arg}."""`,
  "    result = []",
  `    for item in ${k.arg}:`,
  k.validate ? "        if not _is_valid(item):" : "        if item is None:",
  "            continue",
  "        result.append(item)",
  "        if len(result) >= limit:",
  "            break",
  ...opt(k.log, [`    logger.info("kept %d of %d entries", len(result), len(${k.arg}))`]),
  k.sort ? "    return sorted(result, key=str)" : "    return result",
  ...opt(k.example, ["", "", 'if __name__ == "__main__":', `    print(${k.fn}(["${k.word}", "", None]))`]),
]

const typescript = (k: CodeCtx): ReadonlyArray<string> => {
  const params = `${k.arg}: ReadonlyArray<${k.type} | undefined>, limit = ${k.limit}`
  return [
    `export interface ${k.type} {`,
    "  readonly id: string",
    `  readonly ${k.col}: string`,
    "}",
    "",
    `export function ${k.fn}(${params}): ${k.type}[] {`,
    `  const result: ${k.type}[] = []`,
    `  for (const item of ${k.arg}) {`,
    k.validate
      ? '    if (item === undefined || item.id === "") continue'
      : "    if (item === undefined) continue",
    "    result.push(item)",
    "    if (result.length >= limit) break",
    "  }",
    ...opt(k.log, [`  console.debug("${k.fn}: kept", result.length, "entries")`]),
    k.sort ? "  return result.sort((x, y) => x.id.localeCompare(y.id))" : "  return result",
    "}",
    ...opt(k.example, ["", `console.log(${k.fn}([{ id: "1", ${k.col}: "${k.word}" }]))`]),
  ]
}

const javascript = (k: CodeCtx): ReadonlyArray<string> => [
  "/**",
  ` * Returns up to \`limit\` ${k.topic} entries from ${k.arg}.`,
  ` * @param {Array} ${k.arg}`,
  " * @param {number} limit",
  " */",
  `export function ${k.fn}(${k.arg}, limit = ${k.limit}) {`,
  "  const result = []",
  `  for (const item of ${k.arg}) {`,
  k.validate ? '    if (item == null || item === "") continue' : "    if (item == null) continue",
  "    result.push(item)",
  "    if (result.length >= limit) break",
  "  }",
  ...opt(k.log, [`  console.debug("${k.fn}: kept", result.length, "entries")`]),
  k.sort ? "  return result.sort()" : "  return result",
  "}",
  ...opt(k.example, ["", `console.log(${k.fn}(["${k.word}", null, ""]))`]),
]

const rust = (k: CodeCtx): ReadonlyArray<string> => [
  `/// Returns up to \`limit\` ${k.topic} entries from \`${k.arg}\`.`,
  `pub fn ${k.fn}(${k.arg}: &[String], limit: usize) -> Vec<String> {`,
  "    let mut result = Vec::new();",
  `    for item in ${k.arg} {`,
  k.validate ? "        if item.trim().is_empty() {" : "        if item.is_empty() {",
  "            continue;",
  "        }",
  "        result.push(item.clone());",
  "        if result.len() >= limit {",
  "            break;",
  "        }",
  "    }",
  ...opt(k.sort, ["    result.sort();"]),
  "    result",
  "}",
  ...opt(k.example, [
    "",
    "fn main() {",
    `    let input = vec!["${k.word}".to_string(), String::new()];`,
    `    println!("{:?}", ${k.fn}(&input, ${k.limit}));`,
    "}",
  ]),
  ...opt(k.log, [
    "",
    "#[cfg(test)]",
    "mod tests {",
    "    use super::*;",
    "",
    "    #[test]",
    "    fn skips_empty_entries() {",
    `        assert!(${k.fn}(&[String::new()], ${k.limit}).is_empty());`,
    "    }",
    "}",
  ]),
]

const go = (k: CodeCtx): ReadonlyArray<string> => {
  const imports = [k.example ? '"fmt"' : "", k.sort ? '"sort"' : "", k.validate ? '"strings"' : ""].filter(
    Boolean,
  )
  return [
    "package main",
    "",
    ...opt(imports.length > 0, ["import (", ...imports.map((i) => `\t${i}`), ")", ""]),
    `// ${k.fn} returns up to limit ${k.topic} entries from ${k.arg}.`,
    `func ${k.fn}(${k.arg} []string, limit int) []string {`,
    `\tresult := make([]string, 0, len(${k.arg}))`,
    `\tfor _, item := range ${k.arg} {`,
    k.validate ? '\t\tif strings.TrimSpace(item) == "" {' : '\t\tif item == "" {',
    "\t\t\tcontinue",
    "\t\t}",
    "\t\tresult = append(result, item)",
    "\t\tif len(result) >= limit {",
    "\t\t\tbreak",
    "\t\t}",
    "\t}",
    ...opt(k.sort, ["\tsort.Strings(result)"]),
    "\treturn result",
    "}",
    ...opt(k.example, [
      "",
      "func main() {",
      `\tfmt.Println(${k.fn}([]string{"${k.word}", ""}, ${k.limit}))`,
      "}",
    ]),
  ]
}

const bash = (k: CodeCtx): ReadonlyArray<string> => [
  "#!/usr/bin/env bash",
  "set -euo pipefail",
  "",
  ...opt(k.log, ['log() { echo "[$(date +%H:%M:%S)] $*" >&2; }', ""]),
  `# ${k.fn}: process ${k.topic} entries in a directory.`,
  `${k.fn}() {`,
  '  local target="$1"',
  "  local count=0",
  ...opt(k.validate, [
    '  if [ ! -d "$target" ]; then',
    '    echo "not a directory: $target" >&2',
    "    return 1",
    "  fi",
  ]),
  '  for item in "$target"/*; do',
  '    [ -e "$item" ] || continue',
  k.log ? '    log "processing $item"' : '    echo "processing $item"',
  "    count=$((count + 1))",
  "  done",
  '  echo "done: $count entries"',
  "}",
  "",
  `${k.fn} "$@"`,
]

const sql = (k: CodeCtx): ReadonlyArray<string> => [
  `-- ${k.topic}: ${k.fn}`,
  ...opt(k.log, [`CREATE INDEX IF NOT EXISTS idx_${k.arg}_created_at ON ${k.arg} (created_at);`, ""]),
  "WITH recent AS (",
  `  SELECT id, ${k.col}, created_at`,
  `  FROM ${k.arg}`,
  "  WHERE created_at >= CURRENT_DATE - INTERVAL '30 days'",
  ...opt(k.validate, [`    AND ${k.col} IS NOT NULL`]),
  ")",
  `SELECT ${k.col}, COUNT(*) AS total`,
  "FROM recent",
  `GROUP BY ${k.col}`,
  ...opt(k.example, ["HAVING COUNT(*) > 1"]),
  k.sort ? `ORDER BY total DESC, ${k.col}` : "ORDER BY total DESC",
  `LIMIT ${k.limit};`,
]

const TEMPLATES: Readonly<Record<Lang, (k: CodeCtx) => ReadonlyArray<string>>> = {
  python,
  typescript,
  javascript,
  sql,
  bash,
  rust,
  go,
}
const CODE_INTRO = [
  "Here is a {L} implementation of `{fn}`:",
  "Sure! Here's a small {L} version that handles {a}:",
  "Below is a self-contained {L} example for {a}:",
]
const CODE_OUTRO = [
  "The code skips empty entries early and keeps the main loop simple, so it is easy to extend for {a}.",
  "You can adjust the limit or add more validation depending on how {a} is used in your project.",
  "Keeping the logic in one small unit makes `{fn}` straightforward to test in isolation.",
]

export const code = (c: TextContext): string => {
  const lang = langFor(c.text)
  const k = codeCtx(c, lang)
  const say = (t: string): string => fill(t, c.slots).replace("{L}", LANG_LABEL[lang]).replace("{fn}", k.fn)
  const body = TEMPLATES[lang](k).join("\n")
  const fence = "```"
  const intro = say(pick(c.rng, CODE_INTRO))
  return `${intro}\n\n${fence}${lang}\n${body}\n${fence}\n\n${say(pick(c.rng, CODE_OUTRO))}`
}
