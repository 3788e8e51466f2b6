/**
 * The console's HTTP calls, same-origin, with the token when there is one: the `/v1/status`
 * snapshot and the admin API (`POST /v1/models/{name}/load|unload|pin`), and the `/ws` address
 * (`?token=`, since a browser WebSocket cannot set headers). Errors come back as Conductor's
 * `{"type":"error","code","message"}` and are returned, not thrown.
 */
import { storedToken } from "./token.js"
import type { StatusSnapshot } from "./wire.js"

export type Answer<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly status: number; readonly code: string; readonly message: string }

const headers = (json: boolean): Record<string, string> => {
  const h: Record<string, string> = { accept: "application/json" }
  const token = storedToken()
  if (token !== undefined) h.authorization = `Bearer ${token}`
  if (json) h["content-type"] = "application/json"
  return h
}

const call = async <T>(method: "GET" | "POST", path: string, body?: unknown): Promise<Answer<T>> => {
  let res: Response
  try {
    res = await fetch(path, {
      method,
      headers: headers(body !== undefined),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      cache: "no-store",
    })
  } catch (e) {
    return {
      ok: false,
      status: 0,
      code: "network",
      message: `cannot reach the server: ${(e as Error).message}`,
    }
  }
  let parsed: unknown
  try {
    parsed = await res.json()
  } catch {
    parsed = undefined
  }
  if (res.ok) return { ok: true, value: parsed as T }
  const err = parsed as { code?: unknown; message?: unknown } | undefined
  return {
    ok: false,
    status: res.status,
    code: typeof err?.code === "string" ? err.code : `http_${res.status}`,
    message: typeof err?.message === "string" ? err.message : `${method} ${path}: HTTP ${res.status}`,
  }
}

export const fetchStatus = (): Promise<Answer<StatusSnapshot>> => call("GET", "/v1/status")

export type AdminAction = "load" | "unload" | "pin"

/** An admin call on `model`; `pin` takes `{pinned}`. */
export const admin = (
  model: string,
  action: AdminAction,
  pinned?: boolean,
): Promise<Answer<Record<string, unknown>>> =>
  call(
    "POST",
    `/v1/models/${model.split("/").map(encodeURIComponent).join("/")}/${action}`,
    action === "pin" ? { pinned } : undefined,
  )

export const webSocketUrl = (): string => {
  const token = storedToken()
  const scheme = location.protocol === "https:" ? "wss" : "ws"
  return `${scheme}://${location.host}/ws${token !== undefined ? `?token=${encodeURIComponent(token)}` : ""}`
}
