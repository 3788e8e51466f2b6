/**
 * The simulator's maths answers: the working and the answer for a sum (exact for integers) or a
 * linear equation found in the message, else generic working or a proof's outline.
 */
import type { TextContext } from "./prompt.js"
import { between, pick } from "./random.js"
import { ARITH, LINEAR } from "./task.js"
import { fill } from "./templates.js"

const MATHS_INTRO = [
  "Let's work it out step by step. We need to",
  "Here is the working. We need to",
  "To solve this, we",
  "Step by step, we",
]
const MATHS_LINES = [
  "First, write down what is given about {a} and {b}.",
  "Express the relationship between {a} and {b} as an equation.",
  "Simplify each side step by step, keeping track of every term.",
  "Substitute the known values and evaluate the expression.",
  "Finally, check the result against the original question about {a}.",
]
const PROOF_LINES = [
  "Assume the opposite: suppose the claim about {a} is false.",
  "Write this assumption down precisely in terms of {a} and {b}.",
  "Follow the consequences step by step, simplifying at each stage.",
  "This leads to a contradiction with what we know about {b}.",
  "Therefore the assumption was false, and the original claim holds.",
]

/** Numbers as the working shows them: integers exactly, other values to at most 4 decimals. */
const fmt = (n: number): string => String(Number(n.toFixed(4)))
const isInt = (s: string): boolean => /^-?\d+$/.test(s)

const OPS: Readonly<Record<string, string>> = {
  "×": "*",
  x: "*",
  times: "*",
  "multiplied by": "*",
  "÷": "/",
  "divided by": "/",
  plus: "+",
  minus: "-",
}

/** Working lines and the answer for `a op b`, exact for integers (BigInt) and rounded otherwise. */
const arithmetic = (a: string, op: string, b: string): { lines: string[]; answer: string } => {
  if (op === "/" && Number(b) === 0)
    return { lines: ["Division by zero is not defined."], answer: "undefined" }
  if (!isInt(a) || !isInt(b)) {
    const x = Number(a)
    const y = Number(b)
    const r = op === "+" ? x + y : op === "-" ? x - y : op === "*" ? x * y : x / y
    return { lines: [`${a} ${op} ${b} = ${fmt(r)}`, `So the result is ${fmt(r)}.`], answer: fmt(r) }
  }
  const x = BigInt(a)
  const y = BigInt(b)
  if (op === "+")
    return { lines: [`${x} + ${y} = ${x + y}`, `Check: ${x + y} - ${y} = ${x}`], answer: `${x + y}` }
  if (op === "-")
    return { lines: [`${x} - ${y} = ${x - y}`, `Check: ${x - y} + ${y} = ${x}`], answer: `${x - y}` }
  if (op === "*") {
    const r = x * y
    const units = y % 10n
    const tens = y - units
    const lines =
      y > 10n && units !== 0n
        ? [`${x} * ${y} = ${x} * ${tens} + ${x} * ${units}`, `= ${x * tens} + ${x * units}`, `= ${r}`]
        : [`${x} * ${y} = ${r}`]
    return { lines: y === 0n ? lines : [...lines, `Check: ${r} / ${y} = ${x}`], answer: `${r}` }
  }
  if (x % y === 0n)
    return { lines: [`${x} / ${y} = ${x / y}`, `Check: ${y} * ${x / y} = ${x}`], answer: `${x / y}` }
  const r = fmt(Number(x) / Number(y))
  return { lines: [`${x} / ${y} = ${x / y} remainder ${x % y}`, `${x} / ${y} ≈ ${r}`], answer: r }
}

const VERB: Readonly<Record<string, (a: string, b: string) => string>> = {
  "+": (a, b) => `add ${b} to ${a}.`,
  "-": (a, b) => `subtract ${b} from ${a}.`,
  "*": (a, b) => `multiply ${a} by ${b}.`,
  "/": (a, b) => `divide ${a} by ${b}.`,
}

/** `k·v ± b = c` solved for v. */
const linear = (m: RegExpExecArray): { lines: string[]; answer: string } => {
  const [, k = "", v = "x", sign = "+", b = "0", c = "0"] = m
  const coef = k === "" ? 1 : k === "-" ? -1 : Number(k)
  const rhs = sign === "+" ? Number(c) - Number(b) : Number(c) + Number(b)
  const kv = coef === 1 ? v : `${fmt(coef)}${v}`
  const step =
    sign === "+"
      ? `Subtract ${b} from both sides: ${kv} = ${fmt(rhs)}`
      : `Add ${b} to both sides: ${kv} = ${fmt(rhs)}`
  const lines = [`We need to solve ${m[0].trim()} for ${v}.`, step]
  if (coef === 0) return { lines, answer: rhs === 0 ? `any ${v}` : "no solution" }
  const r = fmt(rhs / coef)
  if (coef !== 1) lines.push(`Divide both sides by ${fmt(coef)}: ${v} = ${r}`)
  lines.push(`Check: ${coef === 1 ? "" : `${fmt(coef)} * `}${r} ${sign} ${b} = ${c}`)
  return { lines, answer: `${v} = ${r}` }
}

export const maths = (c: TextContext): string => {
  const eq = LINEAR.exec(c.text)
  const ex = ARITH.exec(c.text)
  let worked: { lines: string[]; answer: string }
  if (eq !== null) worked = linear(eq)
  else if (ex !== null) {
    const [, a = "0", rawOp = "+", b = "0"] = ex
    const op = OPS[rawOp.trim()] ?? rawOp.trim()
    const w = arithmetic(a, op, b)
    const say = VERB[op]?.(a, b) ?? `evaluate ${a} ${op} ${b}.`
    worked = { lines: [`${pick(c.rng, MATHS_INTRO)} ${say}`, ...w.lines], answer: w.answer }
  } else {
    // The first and last lines of the pool frame the working; a random subset of the middle, in order.
    const proof = /\bprove\b/.test(c.text)
    const pool = proof ? PROOF_LINES : MATHS_LINES
    const middle = pool.slice(1, -1).filter(() => c.rng() < 0.6)
    worked = {
      lines: [pool[0] ?? "", ...middle, pool[pool.length - 1] ?? ""].map((l) => fill(l, c.slots)),
      answer: proof
        ? fill("the statement about {a} holds, as shown above.", c.slots)
        : `${between(c.rng, 2, 240)}`,
    }
  }
  return `${worked.lines.join("\n")}\nAnswer: ${worked.answer}`
}
