/**
 * Near-copy detection for the corpus: texts are normalised (lowercase, runs of anything but
 * letters and digits → one space) and compared as sets of word 2-shingles (single words for
 * one-word texts). Two texts are near copies when they normalise identically or their shingle
 * Jaccard similarity is ≥ 0.8; near copies are grouped transitively (union–find), and a group
 * is the unit the split assigns, so near copies never straddle it.
 */

export const NEAR_COPY_JACCARD = 0.8

export const normalise = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim()

const hashString = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/** Sorted distinct hashes of the text's word 2-shingles. */
export const shingles = (norm: string): Uint32Array => {
  const w = norm === "" ? [] : norm.split(" ")
  const set = new Set<number>()
  if (w.length === 1) set.add(hashString(w[0] as string))
  for (let i = 0; i + 1 < w.length; i++) set.add(hashString(`${w[i]} ${w[i + 1]}`))
  return Uint32Array.from([...set]).sort()
}

export const jaccard = (a: Uint32Array, b: Uint32Array): number => {
  let i = 0
  let j = 0
  let both = 0
  while (i < a.length && j < b.length) {
    const x = a[i] as number
    const y = b[j] as number
    if (x === y) {
      both++
      i++
      j++
    } else if (x < y) i++
    else j++
  }
  const union = a.length + b.length - both
  return union === 0 ? 1 : both / union
}

export interface NearCopyPair {
  readonly a: number
  readonly b: number
  readonly similarity: number
}

/**
 * Every near-copy pair among `texts` (indices, a < b). Jaccard ≥ t needs the smaller set to be at
 * least t × the larger, so texts are compared only with others of similar shingle count.
 */
export const nearCopyPairs = (
  texts: ReadonlyArray<string>,
  threshold = NEAR_COPY_JACCARD,
): NearCopyPair[] => {
  const norms = texts.map(normalise)
  const sets = norms.map(shingles)
  const order = texts
    .map((_, i) => i)
    .sort((x, y) => (sets[x] as Uint32Array).length - (sets[y] as Uint32Array).length)
  const pairs: NearCopyPair[] = []
  for (let p = 0; p < order.length; p++) {
    const i = order[p] as number
    const si = sets[i] as Uint32Array
    for (let q = p + 1; q < order.length; q++) {
      const j = order[q] as number
      const sj = sets[j] as Uint32Array
      if (si.length < threshold * sj.length) break
      const same = norms[i] === norms[j]
      const sim = same ? 1 : jaccard(si, sj)
      if (sim >= threshold) pairs.push({ a: Math.min(i, j), b: Math.max(i, j), similarity: sim })
    }
  }
  return pairs.sort((x, y) => x.a - y.a || x.b - y.b)
}

/** Group index per text: texts joined by near-copy pairs share a group (the smallest member's index). */
export const groupsOf = (n: number, pairs: ReadonlyArray<NearCopyPair>): Int32Array => {
  const parent = Int32Array.from({ length: n }, (_, i) => i)
  const find = (x: number): number => {
    let r = x
    while (parent[r] !== r) r = parent[r] as number
    while (parent[x] !== r) {
      const next = parent[x] as number
      parent[x] = r
      x = next
    }
    return r
  }
  for (const { a, b } of pairs) {
    const ra = find(a)
    const rb = find(b)
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb)
  }
  return Int32Array.from({ length: n }, (_, i) => find(i))
}

/** Indices of `texts` that near-copy any of `others` (e.g. corpus rows that repeat a golden query). */
export const nearCopiesOf = (
  texts: ReadonlyArray<string>,
  others: ReadonlyArray<string>,
  threshold = NEAR_COPY_JACCARD,
): Map<number, string> => {
  const theirs = others.map((o) => ({ text: o, norm: normalise(o), set: shingles(normalise(o)) }))
  const found = new Map<number, string>()
  texts.forEach((t, i) => {
    const norm = normalise(t)
    const set = shingles(norm)
    for (const o of theirs) {
      if (o.norm === norm || jaccard(set, o.set) >= threshold) {
        found.set(i, o.text)
        break
      }
    }
  })
  return found
}
