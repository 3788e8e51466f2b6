/**
 * The load side of the gateway benchmark: the paths a chat completion can take (straight to the
 * simulated host's `/v1`, through Portkey, through Conductor with `model: "auto"` or a named
 * model), two ways to call them — the official `openai` SDK, or raw `fetch` with keep-alive
 * (Node's global dispatcher keeps connections open) — and a closed-loop block runner: `c`
 * clients, each sending its next request as soon as its last one is answered, for a fixed time.
 * Streamed calls also time the first content token.
 */
import OpenAI from "openai"

export type PathName = "direct" | "relay" | "portkey" | "conductor-auto" | "conductor-model"

export interface Path {
  readonly name: PathName
  /** The OpenAI base URL (`…/v1`). */
  readonly baseURL: string
  readonly headers: Readonly<Record<string, string>>
  readonly model: string
}

export type ClientKind = "fetch" | "sdk"

/** One call: resolves with whether it succeeded and, when streamed, when its first token came. */
export type Call = (prompt: string) => Promise<{ readonly ok: boolean; readonly firstTokenAt?: number }>

/** Short questions, answered in a few tokens (the simulator answers each from its cache once seen). */
export const PROMPTS = [
  "What is DNS?",
  "What is a B-tree?",
  "What is a mutex?",
  "What is TCP?",
  "Summarise what DNS is in one sentence.",
  "Summarise what a B-tree is in one sentence.",
  "Summarise what a mutex is in one sentence.",
  "Summarise what TCP is in one sentence.",
]

/** Tokens per answer: short, so the gateway's work per request is what is measured. */
export const MAX_TOKENS = 8

const contentOf = (data: string): string | undefined => {
  const j = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string | null } }> }
  return j.choices?.[0]?.delta?.content ?? undefined
}

/** Reads an SSE body to its end; the time of the first non-empty content delta, and whether [DONE] came. */
const readSse = async (body: ReadableStream<Uint8Array>): Promise<{ done: boolean; first?: number }> => {
  const decoder = new TextDecoder()
  let buf = ""
  let first: number | undefined
  let done = false
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(bytes, { stream: true })
    let nl = buf.indexOf("\n")
    while (nl >= 0) {
      const line = buf.slice(0, nl).trim()
      buf = buf.slice(nl + 1)
      nl = buf.indexOf("\n")
      if (!line.startsWith("data:")) continue
      const data = line.slice(5).trim()
      if (data === "[DONE]") done = true
      else if (first === undefined && (contentOf(data) ?? "") !== "") first = performance.now()
    }
  }
  return first !== undefined ? { done, first } : { done }
}

const fetchCall = (path: Path, stream: boolean): Call => {
  const url = `${path.baseURL}/chat/completions`
  const headers = { "content-type": "application/json", authorization: "Bearer bench", ...path.headers }
  return async (prompt) => {
    const res = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify({
        model: path.model,
        messages: [{ role: "user", content: prompt }],
        max_tokens: MAX_TOKENS,
        ...(stream ? { stream: true } : {}),
      }),
    })
    if (!stream || res.body === null) {
      const j = (await res.json()) as { choices?: Array<{ message?: { content?: string | null } }> }
      return { ok: res.status === 200 && (j.choices?.[0]?.message?.content ?? "") !== "" }
    }
    const r = await readSse(res.body)
    return {
      ok: res.status === 200 && r.done && r.first !== undefined,
      ...(r.first !== undefined ? { firstTokenAt: r.first } : {}),
    }
  }
}

const sdkCall = (path: Path, stream: boolean): Call => {
  const client = new OpenAI({
    baseURL: path.baseURL,
    apiKey: "bench",
    maxRetries: 0,
    defaultHeaders: { ...path.headers },
  })
  const params = (prompt: string) => ({
    model: path.model,
    messages: [{ role: "user" as const, content: prompt }],
    max_tokens: MAX_TOKENS,
  })
  if (!stream) {
    return async (prompt) => {
      const r = await client.chat.completions.create(params(prompt))
      return { ok: (r.choices[0]?.message.content ?? "") !== "" }
    }
  }
  return async (prompt) => {
    const s = await client.chat.completions.create({ ...params(prompt), stream: true })
    let first: number | undefined
    for await (const chunk of s) {
      if (first === undefined && (chunk.choices[0]?.delta.content ?? "") !== "") first = performance.now()
    }
    return first !== undefined ? { ok: true, firstTokenAt: first } : { ok: false }
  }
}

export const makeCall = (kind: ClientKind, path: Path, stream: boolean): Call =>
  kind === "sdk" ? sdkCall(path, stream) : fetchCall(path, stream)

export interface BlockResult {
  /** Latency of each successful request, ms (to the end of the answer). */
  readonly latencies: number[]
  /** Time to the first content token of each successful streamed request, ms. */
  readonly firstTokens: number[]
  readonly errors: number
  readonly firstError?: string
  /** From the first request to the last answer, ms. */
  readonly elapsedMs: number
}

/**
 * `clients` closed-loop clients for `seconds`: each sends its next request when its last is
 * answered; requests started before the end are waited for and counted.
 */
export const runBlock = async (call: Call, clients: number, seconds: number): Promise<BlockResult> => {
  const latencies: number[] = []
  const firstTokens: number[] = []
  let errors = 0
  let firstError: string | undefined
  let i = 0
  const start = performance.now()
  const end = start + seconds * 1000
  const client = async () => {
    while (performance.now() < end) {
      const prompt = PROMPTS[i++ % PROMPTS.length] as string
      const t = performance.now()
      try {
        const r = await call(prompt)
        if (r.ok) {
          latencies.push(performance.now() - t)
          if (r.firstTokenAt !== undefined) firstTokens.push(r.firstTokenAt - t)
        } else {
          errors++
          firstError ??= "unsuccessful answer (status not 200, or no content)"
        }
      } catch (e) {
        errors++
        firstError ??= (e as Error).message
      }
    }
  }
  await Promise.all(Array.from({ length: clients }, client))
  return {
    latencies,
    firstTokens,
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
    elapsedMs: performance.now() - start,
  }
}

/** A call that takes each of `calls` in turn (to warm several kinds of request at once). */
export const roundRobin = (calls: ReadonlyArray<Call>): Call => {
  let i = 0
  return (prompt) => (calls[i++ % calls.length] as Call)(prompt)
}

export interface WarmUp {
  readonly requests: number
  readonly seconds: number
  /** CPU per request of each warm-up block, ms (the process warmed), when it can be read. */
  readonly cpuPerRequest: ReadonlyArray<number>
}

/**
 * Warm one server until V8 has settled (optimised code, heap sizing): blocks of `blockSeconds` at
 * 10 clients until `minRequests` were answered or `maxSeconds` passed. Conductor runs a lot of
 * distinct code per request and needs ~10,000 requests before its CPU per request stops falling
 * (~4 ms → ~1.3 ms on the benchmark machine); a few seconds of warm-up would measure the warm-up.
 */
export const warmUp = async (
  call: Call,
  cpuMs: () => Promise<number | undefined>,
  options: { readonly minRequests: number; readonly maxSeconds: number; readonly blockSeconds?: number },
): Promise<WarmUp> => {
  const start = performance.now()
  let requests = 0
  const cpu: number[] = []
  while (requests < options.minRequests && performance.now() - start < options.maxSeconds * 1000) {
    const c0 = await cpuMs()
    const r = await runBlock(call, 10, options.blockSeconds ?? 3)
    const c1 = await cpuMs()
    requests += r.latencies.length
    if (c0 !== undefined && c1 !== undefined && r.latencies.length > 0)
      cpu.push((c1 - c0) / r.latencies.length)
  }
  return { requests, seconds: (performance.now() - start) / 1000, cpuPerRequest: cpu }
}
