/**
 * Reading a JSON request body for the compatible APIs: at most `server.maxRequestBytes` (images
 * make chat bodies large), parsed once, with a message a client can act on when it is not JSON.
 */
import type { Context } from "hono"

export type Body =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly status: 400 | 413; readonly message: string }

export const readJsonBody = async (c: Context, maxBytes: number): Promise<Body> => {
  const declared = Number(c.req.header("content-length") ?? "NaN")
  if (declared > maxBytes) {
    return {
      ok: false,
      status: 413,
      message: `request: body of ${declared} bytes exceeds ${maxBytes} (server.maxRequestBytes)`,
    }
  }
  let text: string
  try {
    const buf = await c.req.arrayBuffer()
    if (buf.byteLength > maxBytes) {
      return {
        ok: false,
        status: 413,
        message: `request: body exceeds ${maxBytes} bytes (server.maxRequestBytes)`,
      }
    }
    text = new TextDecoder().decode(buf)
  } catch (e) {
    return { ok: false, status: 400, message: `request: could not read the body: ${(e as Error).message}` }
  }
  if (text.trim() === "") return { ok: false, status: 400, message: "request: empty body (expected JSON)" }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (e) {
    return { ok: false, status: 400, message: `request: not valid JSON: ${(e as Error).message}` }
  }
}
