/**
 * The simulator's keyword classifier: which shape of answer the last user message asks for (code,
 * summary, maths, creative, reasoning, general), by keyword rules, and the patterns the maths and
 * code generators read again (the sum or equation to work, the language asked for). Only the
 * simulator uses it: routing's classifier is in src/routing.
 */

/** A case-sensitive whole-word regex over alternatives (the text it runs on is lowercased). */
const anyOf = (...alternatives: ReadonlyArray<string>): RegExp =>
  new RegExp(`\\b(?:${alternatives.join("|")})\\b`)

const CODE_VERB =
  /\b(?:write|implement|fix|refactor|create|build|generate|code|debug|optimi[sz]e|rewrite|port|add)\b/
const CODE_THING = anyOf(
  "functions?|methods?|class(?:es)?|scripts?|quer(?:y|ies)|programs?|modules?|snippets?|code|endpoints?",
  "api|regex|algorithms?|unit tests?|cli|components?|bug",
)
/** "in/using <language>": group 1 the language, or group 2 for Go (only after in/using). */
export const LANG_TARGET = anyOf(
  "(?:in|using|to|into|with) (python|typescript|javascript|sql|bash|shell|rust|golang|node(?:\\.?js)?|ts|js)",
  "(?:in|using) (go)",
)
export const LANG_NAME =
  /\b(python|typescript|javascript|sql|postgres(?:ql)?|mysql|sqlite|bash|shell|rust|golang|node(?:\.?js)?)\b/
/** Any programming language, for a code model's looser reading of a request. */
const LANG_ANY =
  /\b(?:python|typescript|javascript|java|kotlin|swift|ruby|php|rust|golang|sql|bash|scala|haskell)\b/
const SUMMARY = /\b(?:summari[sz]e|summary|tl;?dr|key points|main points|recap|condense|gist|in a nutshell)\b/
const CREATIVE = anyOf(
  "poem|poetry|haiku|sonnet|limerick|verse|rhymes?|story|tale|lyrics|song|slogan|tagline|jingle|names? for",
)
const REASONING = anyOf(
  "why|explain|how (?:does|do|can|would|should|is|are)|analy[sz]e|analysis|compare|comparison|contrast",
  "versus|vs|trade-?offs?|pros and cons|design|architect|evaluate|assess|reason|step by step",
  "differences? between|should (?:i|we)",
)
const MATHS_WORD =
  /\b(?:calculate|compute|solve|prove|equation|integral|derivative|square root|factorial|arithmetic)\b/
export const ARITH =
  /(-?\d+(?:\.\d+)?)(\s*[-+*/×÷]\s*|\s+(?:x|plus|minus|times|multiplied by|divided by)\s+)(-?\d+(?:\.\d+)?)/
export const LINEAR = /(?<![\w.])(-?\d*)\s*\*?\s*([a-z])\b\s*([-+])\s*(\d+(?:\.\d+)?)\s*=\s*(-?\d+(?:\.\d+)?)/
export const CODE_MODEL = /coder|code-?llama|codegemma|codestral|codeqwen|starcoder/i

const isMaths = (text: string): boolean => {
  if (MATHS_WORD.test(text) || LINEAR.test(text)) return true
  const m = ARITH.exec(text)
  if (m === null) return false
  const op = (m[2] ?? "").trim()
  return (op !== "-" && op !== "+") || /\b(?:what is|what's|how much|equals?)\b|[=?]/.test(text)
}

export type Task = "code" | "summary" | "maths" | "creative" | "reasoning" | "general"

/**
 * Code (a code verb with a code artifact or "in <language>"), summary and creative compete by where
 * their keyword first appears ("write a story about a class" is a story); then maths, then a code
 * model reading any code word as a code request, then reasoning, then general QA.
 */
export const detectTask = (text: string, codeModel: boolean): Task => {
  const thing = text.search(CODE_THING)
  const target = text.search(LANG_TARGET)
  const code = CODE_VERB.test(text) ? Math.min(...[thing, target].filter((i) => i >= 0)) : -1
  const firsts: ReadonlyArray<readonly [Task, number]> = [
    ["code", Number.isFinite(code) ? code : -1],
    ["summary", text.search(SUMMARY)],
    ["creative", text.search(CREATIVE)],
  ]
  const found = firsts.filter(([, at]) => at >= 0).sort((x, y) => x[1] - y[1])[0]
  if (found !== undefined) return found[0]
  if (isMaths(text)) return "maths"
  if (codeModel && (thing >= 0 || LANG_ANY.test(text))) return "code"
  if (REASONING.test(text)) return "reasoning"
  return "general"
}
