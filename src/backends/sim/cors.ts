/**
 * The two middlewares Ollama runs before every route (server/routes.go GenerateRoutes): CORS as
 * gin-contrib/cors v1.7 applies Ollama's config (origins from OLLAMA_ORIGINS plus localhost,
 * 127.0.0.1 and 0.0.0.0 on any port, app://, file://, tauri://, vscode-webview://,
 * vscode-file://; preflights answered 204 with Ollama's allowed headers), and the DNS-rebinding
 * guard for a loopback listener (allowedHostsMiddleware: a Host that is not a local address or
 * name is refused with 403).
 */

import type { IncomingMessage, ServerResponse } from "node:http"
import { isIP } from "node:net"
import { hostname } from "node:os"

/** Ollama's allowed origins (envconfig.AllowedOrigins): `extra` (OLLAMA_ORIGINS) first. */
export const allowedOrigins = (extra: ReadonlyArray<string> = []): string[] => [
  ...extra,
  ...["localhost", "127.0.0.1", "0.0.0.0"].flatMap((h) => [
    `http://${h}`,
    `https://${h}`,
    `http://${h}:*`,
    `https://${h}:*`,
  ]),
  "app://*",
  "file://*",
  "tauri://*",
  "vscode-webview://*",
  "vscode-file://*",
]

const ALLOW_METHODS = "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS"
// Go's http.CanonicalHeaderKey of Ollama's list, in its order, joined with "," as the library does.
const ALLOW_HEADERS = [
  "Authorization",
  "Content-Type",
  "User-Agent",
  "Accept",
  "X-Requested-With",
  "Openai-Beta",
  "X-Stainless-Arch",
  "X-Stainless-Async",
  "X-Stainless-Custom-Poll-Interval",
  "X-Stainless-Helper-Method",
  "X-Stainless-Lang",
  "X-Stainless-Os",
  "X-Stainless-Package-Version",
  "X-Stainless-Poll-Helper",
  "X-Stainless-Retry-Count",
  "X-Stainless-Runtime",
  "X-Stainless-Runtime-Version",
  "X-Stainless-Timeout",
].join(",")
const MAX_AGE = String(12 * 3600)

export interface Cors {
  /**
   * Apply CORS to a request. Returns true when the request was answered (a preflight, or a
   * refused origin) and must go no further.
   */
  readonly apply: (req: IncomingMessage, res: ServerResponse) => boolean
}

export const makeCors = (origins: ReadonlyArray<string>): Cors => {
  const all = origins.includes("*")
  const exact = new Set(origins.filter((o) => !o.includes("*")).map((o) => o.trim().toLowerCase()))
  // gin-contrib/cors wildcard rules: one "*" splits an origin into a prefix and a suffix.
  const wild = origins
    .filter((o) => o.includes("*") && o !== "*")
    .map((o) => [o.slice(0, o.indexOf("*")), o.slice(o.indexOf("*") + 1)] as const)
  const valid = (origin: string): boolean =>
    all || exact.has(origin) || wild.some(([pre, post]) => origin.startsWith(pre) && origin.endsWith(post))
  return {
    apply: (req, res) => {
      const origin = req.headers.origin
      if (origin === undefined || origin === "") return false
      const host = req.headers.host ?? ""
      if (origin === `http://${host}` || origin === `https://${host}`) return false
      if (!valid(origin)) {
        res.writeHead(403)
        res.end()
        return true
      }
      if (req.method === "OPTIONS") {
        res.setHeader("Access-Control-Allow-Methods", ALLOW_METHODS)
        res.setHeader("Access-Control-Allow-Headers", ALLOW_HEADERS)
        res.setHeader("Access-Control-Max-Age", MAX_AGE)
        if (all) res.setHeader("Access-Control-Allow-Origin", "*")
        else {
          res.setHeader("Vary", ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"])
          res.setHeader("Access-Control-Allow-Origin", origin)
        }
        res.writeHead(204)
        res.end()
        return true
      }
      if (all) res.setHeader("Access-Control-Allow-Origin", "*")
      else {
        res.setHeader("Vary", "Origin")
        res.setHeader("Access-Control-Allow-Origin", origin)
      }
      return false
    },
  }
}

const LOCAL_TLDS = [".localhost", ".local", ".internal"]

const isLocalAddress = (ip: string): boolean => {
  const v = ip.toLowerCase()
  if (v === "::1" || v === "::" || v.startsWith("fe80:") || v.startsWith("fc") || v.startsWith("fd"))
    return true
  const [a = 0, b = 0] = v.split(".").map(Number)
  return a === 127 || a === 10 || a === 0 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168)
}

/**
 * Ollama's allowedHostsMiddleware for a server listening on loopback: a request whose Host is not
 * a loopback, private or unspecified address, `localhost`, this machine's name or a name under
 * .localhost/.local/.internal is refused (403, no body). Returns true when it answered.
 */
export const guardHost = (req: IncomingMessage, res: ServerResponse): boolean => {
  const raw = req.headers.host ?? ""
  const host = (raw.startsWith("[") ? raw.slice(1, raw.indexOf("]")) : raw.replace(/:\d+$/, "")).toLowerCase()
  if (isIP(host) !== 0 && isLocalAddress(host)) return false
  if (
    host === "" ||
    host === "localhost" ||
    host === hostname().toLowerCase() ||
    LOCAL_TLDS.some((t) => host.endsWith(t))
  ) {
    if (req.method === "OPTIONS") {
      res.writeHead(204)
      res.end()
      return true
    }
    return false
  }
  res.writeHead(403)
  res.end()
  return true
}
