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

/**
 * The trie in flat arrays. Nodes are numbered depth-first (a literal's nodes are mostly adjacent:
 * walking it stays in a few cache lines), each a record of NODE words in `nodes`; node 0 is the
 * root, never a child.
 */
export interface CompiledTrie {
  /** Per node: dense table base (or -1), first edge, edge count, first id, id count. */
  readonly nodes: Int32Array
  /** Pairs (character, child node), a node's edges contiguous. */
  readonly edges: Int32Array
  /** Dense tables, 256 slots each: the child node for a Latin-1 code, 0 for none. */
  readonly dense: Int32Array
  /** The pattern ids of the literals ending at each node (see `nodes`). */
  readonly ids: Int32Array
}

/** Words per node record (5 used, padded to a power of two). */
export const NODE = 8

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
  // Number the nodes depth-first (pre-order), children in insertion order.
  const order: BuildNode[] = []
  const stack: BuildNode[] = [root]
  while (stack.length > 0) {
    const node = stack.pop() as BuildNode
    order.push(node)
    const children = [...node.children.values()]
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as BuildNode)
  }
  const index = new Map(order.map((n, i) => [n, i]))
  const isDense = (x: BuildNode) => x === root || x.children.size >= DENSE_CHILDREN
  const nodes = new Int32Array(NODE * order.length)
  const edges = new Int32Array(2 * order.reduce((s, x) => s + x.children.size, 0))
  const dense = new Int32Array(256 * order.filter(isDense).length)
  const ids = new Int32Array(order.reduce((s, x) => s + x.ids.length, 0))
  let e = 0
  let t = 0
  let d = 0
  for (let i = 0; i < order.length; i++) {
    const node = order[i] as BuildNode
    const base = isDense(node) ? 256 * d++ : -1
    nodes[NODE * i] = base
    nodes[NODE * i + 1] = e
    nodes[NODE * i + 2] = node.children.size
    nodes[NODE * i + 3] = t
    nodes[NODE * i + 4] = node.ids.length
    for (const [c, child] of node.children) {
      const j = index.get(child) as number
      edges[2 * e] = c
      edges[2 * e + 1] = j
      e++
      if (base >= 0 && c < 256) dense[base + c] = j
    }
    for (const id of node.ids) ids[t++] = id
  }
  return { nodes, edges, dense, ids }
}

/** The child of `node` for character `code`, or 0 when there is none. */
export const childOf = (t: CompiledTrie, node: number, code: number): number => {
  const r = NODE * node
  const base = t.nodes[r] as number
  if (base >= 0 && code < 256) return t.dense[base + code] as number
  const from = 2 * (t.nodes[r + 1] as number)
  const to = from + 2 * (t.nodes[r + 2] as number)
  for (let e = from; e < to; e += 2) if (t.edges[e] === code) return t.edges[e + 1] as number
  return 0
}
