/**
 * `POST /api/generate` in Ollama's shapes: streamed chunks `{model, created_at, response,
 * thinking?, done: false}`, then `{…, response: "", done: true, done_reason, context, metrics,
 * conductor}`; or, with `stream: false`, one object with the whole response. `context` is
 * Conductor's encoding of the conversation including this answer (`translate.ts`): sent back
 * with the next prompt, it continues the conversation. An empty prompt is a load request, with
 * `keep_alive: 0` an unload.
 */
import type { ApiDeps } from "../deps.js"
import { answerRoute, type Endpoint } from "./answer.js"
import { encodeContext } from "./context.js"
import { type AnswerShape, createdAt, doneReasonOf, metricsOf } from "./responses.js"
import { type OllamaCall, translateGenerate } from "./translate.js"

const generateShape = (call: Extract<OllamaCall, { kind: "answer" }> | undefined): AnswerShape => ({
  chunk: (model, p) => ({
    model,
    created_at: createdAt(),
    response: p.content ?? "",
    ...(p.thinking !== undefined ? { thinking: p.thinking } : {}),
    done: false,
  }),
  final: (model, r, summary, whole) => ({
    model,
    created_at: createdAt(),
    response: whole ? r.text : "",
    ...(whole && r.thinking !== "" ? { thinking: r.thinking } : {}),
    done: true,
    done_reason: doneReasonOf(r),
    ...(call?.turns !== undefined
      ? {
          context: encodeContext([
            ...call.turns.history,
            { role: "user", content: call.turns.prompt },
            { role: "assistant", content: r.text },
          ]),
        }
      : {}),
    ...metricsOf(r),
    conductor: summary,
  }),
  residency: (model, reason, conductor) => ({
    model,
    created_at: createdAt(),
    response: "",
    done: true,
    done_reason: reason,
    conductor,
  }),
})

export const generateEndpoint: Endpoint = {
  name: "generate",
  translate: translateGenerate,
  shapeFor: (call) => generateShape(call),
  residencyShape: generateShape(undefined),
}

export const generate = (deps: ApiDeps) => answerRoute(deps, generateEndpoint)
