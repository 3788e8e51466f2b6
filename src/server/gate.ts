/**
 * The one gate in front of every route and the WebSocket upgrade: the `Host` header must name
 * this server (DNS rebinding: a page whose domain was re-pointed at 127.0.0.1 sends its own
 * domain), a browser `Origin` must be allowed or this server's own (no cross-site request runs a
 * query), and the token must match when one is set. Each
 * check is a pure function of the request's headers; the server renders a refusal in the shape
 * of the API it came to (Conductor's, OpenAI's, Ollama's).
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { isIP } from "node:net"

export interface GatePolicy {
  /** Required when set (CONDUCTOR_TOKEN): `Authorization: Bearer <token>` or `?token=`. */
  readonly token: string | undefined
  /** Browser origins allowed (`server.allowedOrigins`); an entry without a port allows any port. */
  readonly allowedOrigins: ReadonlyArray<string>
  /**
   * Host names allowed besides IP literals and `localhost` (`server.allowedHosts`; `*` allows
   * any). IP literals are safe: rebinding needs a DNS name.
   */
  readonly allowedHosts: ReadonlyArray<string>
}

export type RefusalCode = "unauthorized" | "forbidden_origin" | "forbidden_host"

export interface Refusal {
  readonly status: 401 | 403
  readonly code: RefusalCode
  readonly message: string
}

/** What the gate reads of a request. */
export interface GateRequest {
  header(name: string): string | undefined
  /** A query parameter (only `token` is read, and only when a token is set). */
  query(name: string): string | undefined
}

const sha = (s: string) => createHash("sha256").update(s).digest()

/** Constant-time comparison (both sides hashed to one length first). */
export const tokenMatches = (given: string | undefined, expected: string): boolean =>
  given !== undefined && timingSafeEqual(sha(given), sha(expected))

const BEARER = /^Bearer\s+/i

/** The token a request carries: `Authorization: Bearer …`, else `?token=`. */
export const tokenOf = (req: GateRequest): string | undefined => {
  const auth = req.header("authorization")
  if (auth !== undefined && BEARER.test(auth)) return auth.replace(BEARER, "").trim()
  return req.query("token")
}

/** Browsers send Origin; other clients do not and are allowed. An entry without a port allows any port. */
export const originAllowed = (origin: string | undefined, allowed: ReadonlyArray<string>): boolean => {
  if (origin === undefined || allowed.includes("*")) return true
  let o: URL
  try {
    o = new URL(origin)
  } catch {
    return false
  }
  return allowed.some((entry) => {
    try {
      const a = new URL(entry)
      return a.port === "" ? a.protocol === o.protocol && a.hostname === o.hostname : a.origin === o.origin
    } catch {
      return false
    }
  })
}

/** The host name of a Host header (`example.com:8080` → `example.com`, `[::1]:80` → `::1`). */
const hostnameOf = (host: string): string => {
  const h = host.trim().toLowerCase()
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") < 0 ? undefined : h.indexOf("]"))
  const colon = h.lastIndexOf(":")
  return colon < 0 ? h : h.slice(0, colon)
}

/**
 * A Host header that names this server: an IP literal, `localhost` (or a `*.localhost` name), or
 * a name in `allowed` (`*` allows any; `.example.com` allows its subdomains). HTTP/1.0 clients
 * may send none: allowed.
 */
export const hostAllowed = (host: string | undefined, allowed: ReadonlyArray<string>): boolean => {
  if (host === undefined || host === "" || allowed.includes("*")) return true
  const name = hostnameOf(host)
  if (isIP(name) !== 0 || name === "localhost" || name.endsWith(".localhost")) return true
  return allowed.some((entry) => {
    const e = entry.toLowerCase()
    return e.startsWith(".") ? name === e.slice(1) || name.endsWith(e) : name === e
  })
}

/** A page served by this server (its origin's host is the one the request is sent to). */
const sameOrigin = (origin: string | undefined, host: string | undefined): boolean => {
  if (origin === undefined || host === undefined) return false
  try {
    return new URL(origin).host === host.toLowerCase()
  } catch {
    return false
  }
}

const UNAUTHORIZED = "a valid token is required (Authorization: Bearer <token> or ?token=)"

/**
 * The gate's verdict: undefined to let the request through, else why not. `auth: false` skips
 * the token (liveness probes).
 */
export const checkGate = (
  req: GateRequest,
  policy: GatePolicy,
  options: { readonly auth: boolean } = { auth: true },
): Refusal | undefined => {
  const host = req.header("host")
  if (!hostAllowed(host, policy.allowedHosts)) {
    return {
      status: 403,
      code: "forbidden_host",
      message: `host '${host}' is not this server's (add it to server.allowedHosts)`,
    }
  }
  const origin = req.header("origin")
  if (!originAllowed(origin, policy.allowedOrigins) && !sameOrigin(origin, host)) {
    return {
      status: 403,
      code: "forbidden_origin",
      message: `origin ${origin} is not allowed (server.allowedOrigins)`,
    }
  }
  if (options.auth && policy.token !== undefined && !tokenMatches(tokenOf(req), policy.token)) {
    return { status: 401, code: "unauthorized", message: UNAUTHORIZED }
  }
  return undefined
}
