/**
 * From labelled queries to featurised rows: each query is read and judged by the rules exactly as
 * the router does (readQuery, classify, scoreComplexity, no request context), featurised by
 * src/routing/features.ts, and its sparse occurrences merged per table row.
 */
import { TASK_TYPES } from "../../src/domain/task.js"
import { tierIndex } from "../../src/domain/tier.js"
import { classify } from "../../src/routing/classify.js"
import { scoreComplexity } from "../../src/routing/complexity.js"
import { featureBuffer, featurise } from "../../src/routing/features.js"
import { readQuery } from "../../src/routing/text.js"
import type { LabelledQuery } from "./corpus.js"

export interface Featurised {
  readonly row: LabelledQuery
  /** Distinct table rows and their values (occurrences / √total). */
  readonly sparse: ReadonlyArray<readonly [number, number]>
  readonly dense: Float64Array
  readonly task: number
  /** Tier index, or -1 when unlabelled. */
  readonly tier: number
}

export const featuriseRows = (rows: ReadonlyArray<LabelledQuery>, bits: number): Featurised[] => {
  const buf = featureBuffer()
  return rows.map((row) => {
    const q = readQuery(row.text)
    const cls = classify(q, undefined)
    const cx = scoreComplexity(q, undefined, cls.type)
    featurise(q, cls, cx, bits, buf)
    const counts = new Map<number, number>()
    for (let i = 0; i < buf.count; i++) {
      const b = buf.index[i] as number
      counts.set(b, (counts.get(b) ?? 0) + 1)
    }
    const scale = buf.count > 0 ? 1 / Math.sqrt(buf.count) : 0
    return {
      row,
      sparse: [...counts].sort((a, b) => a[0] - b[0]).map(([b, c]) => [b, c * scale] as const),
      dense: Float64Array.from(buf.dense),
      task: TASK_TYPES.indexOf(row.task),
      tier: row.tier === null ? -1 : tierIndex(row.tier),
    }
  })
}
