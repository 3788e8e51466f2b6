/**
 * Ollama's model names (types/model/name.go ParseName): `[host/][namespace/]model[:tag]` with the
 * defaults `registry.ollama.ai`, `library` and `latest`. The simulator needs the full form for
 * Ollama's capability errors (`registry.ollama.ai/library/x:7b does not support tools`) and the
 * namespace for the OpenAI layer's `owned_by`.
 */

export interface ModelName {
  readonly host: string
  readonly namespace: string
  readonly model: string
  readonly tag: string
}

export const parseModelName = (s: string): ModelName => {
  const at = s.indexOf("@")
  const name = at >= 0 ? s.slice(0, at) : s
  const slash = name.lastIndexOf("/")
  const colon = name.lastIndexOf(":")
  const tag = colon > slash ? name.slice(colon + 1) : ""
  const path = (colon > slash ? name.slice(0, colon) : name).split("/")
  const model = path.pop() ?? ""
  const namespace = path.pop() ?? ""
  const host = path.join("/")
  return {
    host: host === "" ? "registry.ollama.ai" : host,
    namespace: namespace === "" ? "library" : namespace,
    model,
    tag: tag === "" ? "latest" : tag,
  }
}

/** The fully qualified name, as Ollama's Model.Name holds it. */
export const fullModelName = (s: string): string => {
  const n = parseModelName(s)
  return `${n.host}/${n.namespace}/${n.model}:${n.tag}`
}
