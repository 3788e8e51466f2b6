/**
 * From labelled queries to design matrices: each query is read and judged by the rules exactly as
 * the router does (readQuery, classify, scoreComplexity, no request context), featurised by
 * src/routing/features.ts, and its sparse occurrences merged per table row. Columns are the table
 * rows seen in the training rows (a compact numbering), then the dense features.
 */
import { TASK_TYPES } from "../../src/domain/task.js"
import { tierIndex } from "../../src/domain/tier.js"
import { classify } from "../../src/routing/classify.js"
import { scoreComplexity } from "../../src/routing/complexity.js"
import { DENSE, featureBuffer, featurise } from "../../src/routing/features.js"
import { readQuery } from "../../src/routing/text.js"
import type { LabelledQuery } from "./corpus.js"
import type { Csr } from "./linear.js"

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

/** Column numbering: table rows seen in `train`, then the dense features. */
export interface Columns {
  readonly bucketToCol: Map<number, number>
  readonly colToBucket: Int32Array
  readonly sparseCols: number
  readonly cols: number
}

export const columnsOf = (train: ReadonlyArray<Featurised>): Columns => {
  const seen = new Set<number>()
  for (const f of train) for (const [b] of f.sparse) seen.add(b)
  const buckets = [...seen].sort((a, b) => a - b)
  const bucketToCol = new Map(buckets.map((b, i) => [b, i]))
  return {
    bucketToCol,
    colToBucket: Int32Array.from(buckets),
    sparseCols: buckets.length,
    cols: buckets.length + DENSE,
  }
}

/** The design matrix of `rows` under `columns` (table rows unseen in training are dropped). */
export const csrOf = (rows: ReadonlyArray<Featurised>, columns: Columns): Csr => {
  const start = new Int32Array(rows.length + 1)
  const col: number[] = []
  const val: number[] = []
  rows.forEach((f, r) => {
    for (const [b, v] of f.sparse) {
      const c = columns.bucketToCol.get(b)
      if (c === undefined) continue
      col.push(c)
      val.push(v)
    }
    for (let j = 0; j < DENSE; j++) {
      const v = f.dense[j] as number
      if (v === 0) continue
      col.push(columns.sparseCols + j)
      val.push(v)
    }
    start[r + 1] = col.length
  })
  return {
    rows: rows.length,
    cols: columns.cols,
    start,
    col: Int32Array.from(col),
    val: Float64Array.from(val),
  }
}
