import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { childOf, LiteralTrie, NODE } from "../../src/routing/literal-trie.js"

/** The ids of every literal that starts at `i`, by walking the compiled trie. */
const idsAt = (trie: LiteralTrie, text: string, i: number): number[] => {
  const t = trie.flat
  const ids: number[] = []
  let node = 0
  for (let k = i; k < text.length; k++) {
    node = childOf(t, node, text.charCodeAt(k))
    if (node === 0) break
    const from = t.nodes[NODE * node + 3] as number
    const to = from + ((t.nodes[NODE * node + 2] as number) >>> 8)
    for (let j = from; j < to; j++) ids.push(t.ids[j] as number)
  }
  return ids.sort((a, b) => a - b)
}

describe("routing/literal-trie", () => {
  it("finds every literal starting at an offset, prefixes of each other included", () => {
    const trie = new LiteralTrie()
    trie.add("pay", 1)
    trie.add("payment", 2)
    trie.add("pay", 3)
    trie.add("€5", 4)
    expect(idsAt(trie, "repayments", 2)).toEqual([1, 2, 3])
    expect(idsAt(trie, "repayments", 0)).toEqual([])
    expect(idsAt(trie, "a pa", 2)).toEqual([])
    expect(idsAt(trie, "costs €50", 6)).toEqual([4])
  })

  it("agrees with startsWith for any literals and text (dense nodes, characters above Latin-1)", () => {
    const alphabet = fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h", " ", "’", "€")
    const word = fc.array(alphabet, { minLength: 1, maxLength: 5 }).map((a) => a.join(""))
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 40 }), word, (literals, text) => {
        const trie = new LiteralTrie()
        for (const [id, l] of literals.entries()) trie.add(l, id)
        for (let i = 0; i < text.length; i++) {
          const expected = literals.flatMap((l, id) => (text.startsWith(l, i) ? [id] : []))
          expect(idsAt(trie, text, i)).toEqual(expected)
        }
      }),
      { numRuns: 300, seed: 7 },
    )
  })
})
