/**
 * Generate's `context`, Conductor's way: Ollama returns the conversation's token ids, but
 * Conductor has no tokenizer and routes each turn to whichever model fits, so its context is an
 * opaque encoding of the turns themselves (their JSON as UTF-16 code units, after a marker no
 * vocabulary reaches). Sent back with the next prompt it continues the conversation; a context
 * from another server is recognised as foreign and refused, never silently dropped.
 */

/** A turn of a generate conversation, as `context` carries it. */
export interface Turn {
  readonly role: "user" | "assistant"
  readonly content: string
}

const kind = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v)

/** Marks a context this server made (larger than any vocabulary's token id). */
const CONTEXT_MAGIC = 0x636f6e64

/** A generate conversation as Ollama's opaque `context` integers: the turns' JSON, as UTF-16 code units. */
export const encodeContext = (turns: ReadonlyArray<Turn>): number[] => {
  const text = JSON.stringify(turns.map((t) => [t.role === "user" ? 0 : 1, t.content]))
  const out = [CONTEXT_MAGIC]
  for (let i = 0; i < text.length; i++) out.push(text.charCodeAt(i))
  return out
}

export const decodeContext = (v: unknown): { readonly turns: Turn[] } | { readonly error: string } => {
  const foreign = {
    error:
      "context: not a context this server returned (Conductor's context is its own encoding, not tokens)",
  }
  if (!Array.isArray(v)) return { error: `context: expected an array of integers, got ${kind(v)}` }
  if (v.length === 0) return { turns: [] }
  if (v[0] !== CONTEXT_MAGIC) return foreign
  let text = ""
  for (let i = 1; i < v.length; i++) {
    const c = v[i]
    if (!Number.isInteger(c) || c < 0 || c > 0xffff) return foreign
    text += String.fromCharCode(c)
  }
  try {
    const parsed: unknown = JSON.parse(text)
    if (!Array.isArray(parsed)) return foreign
    const turns: Turn[] = []
    for (const t of parsed) {
      if (!Array.isArray(t) || (t[0] !== 0 && t[0] !== 1) || typeof t[1] !== "string") return foreign
      turns.push({ role: t[0] === 0 ? "user" : "assistant", content: t[1] })
    }
    return { turns }
  } catch {
    return foreign
  }
}
