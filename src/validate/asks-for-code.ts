/**
 * Does a request ask for code to be written, or only ask about code? The `codePresent` check
 * (a code task's answer must hold code) is right for "write a parser", "fix this function",
 * "convert this to TypeScript"; it is wrong for a review, an explanation or a comparison of
 * code, whose good answers are often prose ("list the bugs in this pull request" answered with
 * a list of bugs). Holding those to it fails good answers on every model of the chain and counts
 * them against the models' health. Pure and cheap: two regexes over the head of the query.
 */

/** How far into the query the opening instruction is looked for. */
const HEAD = 400

/** Opens by asking about code: a review, an explanation, a question. */
const ABOUT =
  /^\s*(?:(?:hey|hi|ok|so|please|pls|can you|could you|would you|will you|i'd like you to|i want you to)[,\s]+)*(?:review|code-review|explain|describe|summari[sz]e|critique|assess|evaluate|compare|audit|analy[sz]e|walk me through|tell me|what|why|when|which|how (?:does|do|is|are|come)|is|are|does|should|spot|identify|point out)\b/i

/** Asks for code to be produced, wherever it says so ("review this and fix the bugs"). */
const PRODUCE =
  /\b(?:write|implement|rewrite|refactor|fix|patch|generate|create|build|convert|port|translate|add|code up|give me (?:the )?(?:code|a snippet|an example)|show me (?:the )?(?:code|how to write))\b/i

/** True unless the request reads as one about code that asks for none (docs/health.md). */
export const asksForCode = (query: string): boolean => {
  const head = query.length > HEAD ? query.slice(0, HEAD) : query
  return !ABOUT.test(head) || PRODUCE.test(head)
}
