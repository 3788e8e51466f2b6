/**
 * Evaluation numbers shared by the training report and the accuracy benchmark: accuracy,
 * confusion matrices, per-class recall, and calibration (expected calibration error and a
 * reliability table of confidence bins), plus their plain-text rendering.
 */

export interface Confusion {
  readonly labels: ReadonlyArray<string>
  /** counts[truth][predicted] */
  readonly counts: number[][]
}

export const confusion = (
  labels: ReadonlyArray<string>,
  truth: ReadonlyArray<number>,
  predicted: ReadonlyArray<number>,
): Confusion => {
  const counts = labels.map(() => labels.map(() => 0))
  truth.forEach((t, i) => {
    const row = counts[t] as number[]
    row[predicted[i] as number] = (row[predicted[i] as number] as number) + 1
  })
  return { labels, counts }
}

export const accuracy = (c: Confusion): number => {
  let right = 0
  let all = 0
  for (const [i, row] of c.counts.entries()) {
    for (const [j, n] of row.entries()) {
      all += n
      if (i === j) right += n
    }
  }
  return all === 0 ? 0 : right / all
}

export const recall = (c: Confusion, label: number): number => {
  const row = c.counts[label] as number[]
  const all = row.reduce((a, b) => a + b, 0)
  return all === 0 ? 0 : (row[label] as number) / all
}

export interface ReliabilityBin {
  readonly from: number
  readonly to: number
  readonly n: number
  /** Mean confidence of the predictions in the bin. */
  readonly confidence: number
  /** Fraction of them that were right. */
  readonly accuracy: number
}

/** Reliability of top-class confidences over `bins` equal-width bins, and the ECE. */
export const reliability = (
  confidences: ReadonlyArray<number>,
  correct: ReadonlyArray<boolean>,
  bins = 10,
): { readonly bins: ReadonlyArray<ReliabilityBin>; readonly ece: number } => {
  const out: ReliabilityBin[] = []
  let ece = 0
  for (let b = 0; b < bins; b++) {
    const from = b / bins
    const to = (b + 1) / bins
    let n = 0
    let conf = 0
    let right = 0
    confidences.forEach((c, i) => {
      if (c >= from && (c < to || (b === bins - 1 && c <= to))) {
        n++
        conf += c
        if (correct[i]) right++
      }
    })
    if (n === 0) continue
    out.push({ from, to, n, confidence: conf / n, accuracy: right / n })
    ece += (n / confidences.length) * Math.abs(conf / n - right / n)
  }
  return { bins: out, ece }
}

export const pct = (x: number): string => `${(100 * x).toFixed(1)}%`

/** A confusion matrix as aligned text (rows: truth, columns: predicted). */
export const renderConfusion = (
  c: Confusion,
  short: (l: string) => string = (l) => l.slice(0, 8),
): string => {
  const w = Math.max(...c.labels.map((l) => short(l).length), 5) + 1
  const head = `${"truth \\ predicted".padEnd(18)}${c.labels.map((l) => short(l).padStart(w)).join("")}  recall`
  const lines = c.counts.map(
    (row, i) =>
      `${(c.labels[i] as string).padEnd(18)}${row.map((n) => String(n).padStart(w)).join("")}  ${pct(recall(c, i)).padStart(6)}`,
  )
  return [head, ...lines].join("\n")
}

/** A reliability table with an ASCII bar per bin (accuracy `#` against confidence `|`). */
export const renderReliability = (r: ReturnType<typeof reliability>): string => {
  const lines = ["confidence      n   mean conf  accuracy  0 ........ 1"]
  for (const b of r.bins) {
    const bar: string[] = Array.from({ length: 20 }, (_, i) => {
      const x = (i + 0.5) / 20
      return x <= b.accuracy ? "#" : " "
    })
    const mark = Math.min(19, Math.floor(b.confidence * 20))
    bar[mark] = "|"
    lines.push(
      `${b.from.toFixed(1)}–${b.to.toFixed(1)}  ${String(b.n).padStart(6)}  ${b.confidence.toFixed(3).padStart(9)}  ${b.accuracy.toFixed(3).padStart(8)}  ${bar.join("")}`,
    )
  }
  lines.push(`expected calibration error ${r.ece.toFixed(3)}`)
  return lines.join("\n")
}
