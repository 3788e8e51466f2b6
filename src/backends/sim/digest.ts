/**
 * The sha256-looking digest the simulator gives each model (what `/api/tags` and `/api/ps`
 * report), deterministic per name. Ollama keeps a model's file at `blobs/sha256-<digest>`, and its
 * scheduler breaks eviction ties by that path, so the replica breaks them by this digest.
 */
import { hashString } from "./text/random.js"

export const modelDigest = (name: string): string => {
  let out = ""
  for (let i = 0; out.length < 64; i++)
    out += (hashString(`${name}#${i}`) >>> 0).toString(16).padStart(8, "0")
  return out.slice(0, 64)
}
