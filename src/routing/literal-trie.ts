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
 * The trie in flat 16-bit arrays (about 60 KB for the routing patterns' 7,400 word-literal nodes:
 * the walks stay in cache). Nodes are numbered depth-first, so a literal's nodes are mostly
 * adjacent; each is a record of NODE words in `nodes`; node 0 is the root, never a child.
 */
export interface CompiledTrie {
  /**
   * Per node: its dense table (0 for none, else 1 + its index), first edge, edge count | id
   * count << 8, first id.
   */
  readonly nodes: Uint16Array
  /** Pairs (character, child node), a node's edges contiguous. */
  readonly edges: Uint16Array
  /** Dense tables, 256 slots each: the child node for a Latin-1 code, 0 for none. */
  readonly dense: Uint16Array
  /** The pattern ids of the literals ending at each node (see `nodes`). */
  readonly ids: Uint16Array
}

/** Words per node record. */
export const NODE = 4
const LIMIT = 0xffff

export class LiteralTrie {
  private readonly root: BuildNode = { children: new Map(), ids: [] }
  private compiled: CompiledTrie | undefined

  /** `text` (non-empty) opens pattern `id`. */
  add(text: string, id: number): void {
    if (id > LIMIT) throw new Error(`literal trie: pattern id ${id} over ${LIMIT}`)
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
  const edgeCount = order.reduce((s, x) => s + x.children.size, 0)
  const idCount = order.reduce((s, x) => s + x.ids.length, 0)
  const denseCount = order.filter(isDense).length
  const tooBig = order.find((x) => x.children.size > 0xff || x.ids.length > 0xff)
  if (order.length > LIMIT || edgeCount > LIMIT || idCount > LIMIT || denseCount >= LIMIT || tooBig)
    throw new Error(
      `literal trie: ${order.length} nodes, ${edgeCount} edges, ${idCount} ids (16-bit arrays: at most ${LIMIT} each, 255 children or ids a node)`,
    )
  const nodes = new Uint16Array(NODE * order.length)
  const edges = new Uint16Array(2 * edgeCount)
  const dense = new Uint16Array(256 * denseCount)
  const ids = new Uint16Array(idCount)
  let e = 0
  let t = 0
  let d = 0
  for (let i = 0; i < order.length; i++) {
    const node = order[i] as BuildNode
    const table = isDense(node) ? d++ : -1
    nodes[NODE * i] = table + 1
    nodes[NODE * i + 1] = e
    nodes[NODE * i + 2] = node.children.size | (node.ids.length << 8)
    nodes[NODE * i + 3] = t
    for (const [c, child] of node.children) {
      const j = index.get(child) as number
      edges[2 * e] = c
      edges[2 * e + 1] = j
      e++
      if (table >= 0 && c < 256) dense[256 * table + c] = j
    }
    for (const id of node.ids) ids[t++] = id
  }
  return { nodes, edges, dense, ids }
}

/** The child of `node` for character `code`, or 0 when there is none. */
export const childOf = (t: CompiledTrie, node: number, code: number): number => {
  const r = NODE * node
  const table = t.nodes[r] as number
  if (table > 0 && code < 256) return t.dense[256 * (table - 1) + code] as number
  const from = 2 * (t.nodes[r + 1] as number)
  const to = from + 2 * ((t.nodes[r + 2] as number) & 0xff)
  for (let e = from; e < to; e += 2) if (t.edges[e] === code) return t.edges[e + 1] as number
  return 0
}
