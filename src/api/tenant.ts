/**
 * The tenant an HTTP facade's request runs for (health accounting, docs/health.md): the API's
 * `user` when the client names one, else the API key it presented, else the API itself — as
 * `<api>:user:<user>`, `<api>:key:<hash>`, `<api>`. A key is never shown, only the start of its
 * SHA-256; a user that is not a short printable-ASCII identifier is hashed the same way.
 */
import { createHash } from "node:crypto"

const IDENTIFIER = /^[\x21-\x7e]{1,96}$/
const hash = (s: string): string => createHash("sha256").update(s).digest("hex").slice(0, 16)
const BEARER = /^Bearer\s+(.+)$/i

export const tenantOf = (
  api: string,
  user: string | undefined,
  authorization: string | undefined,
): string => {
  if (user !== undefined && user !== "") return `${api}:user:${IDENTIFIER.test(user) ? user : hash(user)}`
  const key = authorization !== undefined ? BEARER.exec(authorization.trim())?.[1]?.trim() : undefined
  if (key !== undefined && key !== "") return `${api}:key:${hash(key)}`
  return api
}
