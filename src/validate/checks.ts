/**
 * Output checks, each a pure function of the answer: empty, cut by a length limit, degenerate
 * repetition, code missing from a code answer, a refusal. Each returns undefined when the
 * answer passes, else a short reason naming the failure (it becomes the attempt's message).
 */

/** Visible text, ignoring whitespace. */
export const checkNonEmpty = (text: string): string | undefined =>
  text.trim() === "" ? "empty answer" : undefined

/** `done_reason: length` means the model was stopped mid-answer. */
export const checkNotTruncated = (doneReason: "stop" | "length"): string | undefined =>
  doneReason === "length" ? "cut off by the length limit" : undefined

const MAX_PERIOD = 80
/** A tail this long that repeats one unit is degenerate (at least this many repeats, too). */
const MIN_REPEATED_CHARS = 160
const MIN_REPEATS = 6

/**
 * The answer ends in a loop: its tail is one short unit (a word, a phrase, a line) repeated over
 * and over, or one line recurs many times in a row. Ordinary lists and tables do not trip it:
 * their lines differ.
 */
export const checkRepetition = (text: string): string | undefined => {
  const tail = text.slice(-4096)
  const n = tail.length
  for (let p = 1; p <= MAX_PERIOD && p * MIN_REPEATS <= n; p++) {
    // Length of the longest suffix with period p.
    let run = p
    while (run < n && tail.charCodeAt(n - 1 - run) === tail.charCodeAt(n - 1 - run + p)) run++
    if (run >= Math.max(MIN_REPEATED_CHARS, p * MIN_REPEATS) && tail.slice(n - p).trim() !== "") {
      return `degenerate repetition: "${tail
        .slice(n - p)
        .trim()
        .slice(0, 40)}" repeated ${Math.floor(run / p)} times`
    }
  }
  const lines = text.split("\n")
  let same = 1
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] as string).trim()
    same = line.length >= 8 && line === (lines[i - 1] as string).trim() ? same + 1 : 1
    if (same >= MIN_REPEATS)
      return `degenerate repetition: the line "${line.slice(0, 40)}" repeated ${same} times`
  }
  return undefined
}

const FENCE = /```[\w+-]*\n[\s\S]*?\S[\s\S]*?```/
const CODE_LINE =
  /^\s*(?:def |class |function |fn |func |public |private |import |from \S+ import|#include|package |const |let |var |return\b|if\s*\(|for\s*\(|while\s*\(|SELECT |CREATE |<\w+[^>]*>|\w+\s*=\s*[^=].*;?\s*$|[}\]);]+\s*$)/m

/** A code task's answer holds code: a fenced block, or lines that read as code. */
export const checkCodePresent = (text: string): string | undefined => {
  if (FENCE.test(text)) return undefined
  const codeLines = text.split("\n").filter((l) => CODE_LINE.test(l)).length
  return codeLines >= 2 ? undefined : "no code in the answer to a code task"
}

const REFUSAL =
  /^\s*(?:I(?:'m| am) (?:sorry|afraid)[,.]? (?:but )?I (?:can(?:no|')t|won't|am unable to)|I can(?:no|')t (?:help|assist|provide|comply|do that)|I(?:'m| am) (?:not able|unable) to (?:help|assist|provide|comply)|As an AI(?: language model)?,? I (?:can(?:no|')t|am unable|won't)|Sorry, (?:but )?I can(?:no|')t)/i

/** The answer opens by declining the request. */
export const checkNotRefusal = (text: string): string | undefined =>
  REFUSAL.test(text.slice(0, 300)) ? "the model refused" : undefined
