/**
 * Effect Schema's issues as the problem lines Conductor reports everywhere a client's input is
 * decoded (requests, embedding requests, WebSocket envelopes): `path: message`, the path written
 * as `messages[2].role` (`request` for the whole input), an excess key as `unknown field`.
 */
import { SchemaIssue } from "effect"

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** `messages.2.role` → `messages[2].role`; `whole` for an empty path. */
export const pathText = (path: ReadonlyArray<unknown>, whole = "request"): string => {
  if (path.length === 0) return whole
  let out = ""
  for (const seg of path) {
    const key = typeof seg === "object" && seg !== null && "key" in seg ? (seg as { key: unknown }).key : seg
    out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`
  }
  return out
}

/** One line per problem of a failed decode. */
export const schemaProblems = (issue: SchemaIssue.Issue, whole = "request"): ReadonlyArray<string> =>
  formatter(issue).issues.map(
    (i) =>
      `${pathText(i.path ?? [], whole)}: ${i.message === "Expected no excess property" ? "unknown field" : i.message}`,
  )
