/**
 * A trie of literal strings compiled into flat typed arrays, for the routing gate's scan
 * (gate.ts): walking it from one offset of a text finds every literal that starts there, one
 * character a step — a dense 256-slot table at nodes with many children (the root, the first
 * letters), a short scan of the few children elsewhere — with no hashing and no string
 * comparison. Each literal carries the ids of the patterns it opens; a node's ids are those of
 * the literals ending there.
 */

/** Nodes with at least this many children get a dense table (Latin-1 codes). */
const DENSE_CHILDREN = 6

interface BuildNode {
  readonly children: Map<number, BuildNode>
  readonly ids: number[]
}

export interface CompiledTrie {
  /** Per node: its children are edges [edgeStart, edgeEnd) (node 0 is the root, never a child). */
  readonly edgeStart: Int32Array
  readonly edgeEnd: Int32Array
  readonly edgeChar: Int32Array
  readonly edgeNode: Int32Array
  /** Per node: the base of its dense table in `dense`, or -1. */
  readonly denseAt: Int32Array
  /** Dense tables, 256 slots each: the child for a Latin-1 code, 0 for none. */
  readonly dense: Int32Array
  /** Per node: the pattern ids of the literals ending there, [termStart, termEnd) of `termIds`. */
  readonly termStart: Int32Array
  readonly termEnd: Int32Array
  readonly termIds: Int32Array
}

export class LiteralTrie {
  private readonly root: BuildNode = { children: new Map(), ids: [] }
  private compiled: CompiledTrie | undefined

  /** `text` (non-empty) opens pattern `id`. */
  add(text: string, id: number): void {
    let node = this.root
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      let child = node.children.get(c)
      if (child === undefined) {
        child = { children: new Map(), ids: [] }
        node.children.set(c, child)
      }
      node = child
    }
    if (!node.ids.includes(id)) node.ids.push(id)
    this.compiled = undefined
  }

  /** The flat form, rebuilt after additions. */
  get flat(): CompiledTrie {
    if (this.compiled === undefined) this.compiled = compile(this.root)
    return this.compiled
  }
}

const compile = (root: BuildNode): CompiledTrie => {
  // Number the nodes breadth-first, so a node's children are contiguous edges.
  const nodes: BuildNode[] = [root]
  for (let i = 0; i < nodes.length; i++)
    for (const child of (nodes[i] as BuildNode).children.values()) nodes.push(child)
  const index = new Map(nodes.map((n, i) => [n, i]))
  const n = nodes.length
  const edgeStart = new Int32Array(n)
  const edgeEnd = new Int32Array(n)
  const edgeCount = nodes.reduce((s, x) => s + x.children.size, 0)
  const edgeChar = new Int32Array(edgeCount)
  const edgeNode = new Int32Array(edgeCount)
  const denseAt = new Int32Array(n).fill(-1)
  const denseNodes = nodes.filter((x) => x.children.size >= DENSE_CHILDREN || x === root)
  const dense = new Int32Array(256 * denseNodes.length)
  const termStart = new Int32Array(n)
  const termEnd = new Int32Array(n)
  const termIds = new Int32Array(nodes.reduce((s, x) => s + x.ids.length, 0))
  let e = 0
  let t = 0
  let d = 0
  for (let i = 0; i < n; i++) {
    const node = nodes[i] as BuildNode
    edgeStart[i] = e
    const isDense = node.children.size >= DENSE_CHILDREN || node === root
    if (isDense) denseAt[i] = 256 * d++
    for (const [c, child] of node.children) {
      const j = index.get(child) as number
      edgeChar[e] = c
      edgeNode[e] = j
      e++
      if (isDense && c < 256) dense[(denseAt[i] as number) + c] = j
    }
    edgeEnd[i] = e
    termStart[i] = t
    for (const id of node.ids) termIds[t++] = id
    termEnd[i] = t
  }
  return { edgeStart, edgeEnd, edgeChar, edgeNode, denseAt, dense, termStart, termEnd, termIds }
}

/** The child of `node` for character `code`, or 0 when there is none. */
export const childOf = (t: CompiledTrie, node: number, code: number): number => {
  const base = t.denseAt[node] as number
  if (base >= 0 && code < 256) return t.dense[base + code] as number
  const end = t.edgeEnd[node] as number
  for (let e = t.edgeStart[node] as number; e < end; e++)
    if (t.edgeChar[e] === code) return t.edgeNode[e] as number
  return 0
}
