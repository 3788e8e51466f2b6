/**
 * The attempt protocol between the request machine (machines/request.machine.ts) and the attempt
 * actor that runs on Conductor's runtime (actors.ts): what an attempt is given (`AttemptInput`) and
 * the events it sends back (`AttemptEvent`). It sits below both so neither imports the other.
 */
import type { GenerateChunk, GenerateRequest } from "../backends/port.js"
import type { ConductorError } from "../domain/errors.js"
import type { ToolCall } from "../domain/events.js"
import type { Priority } from "../domain/tenant.js"

/** The last chunk of a generation: why it stopped, token counts, the server's timings. */
export type DoneChunk = Extract<GenerateChunk, { kind: "done" }>

/** Events the actors send; `attempt` tells a late event of an earlier attempt from a current one. */
export type AttemptEvent =
  | { readonly type: "LOADING"; readonly attempt: number }
  | { readonly type: "LEASED"; readonly attempt: number; readonly waitedMs: number; readonly loadMs: number }
  | { readonly type: "LEASE_FAILED"; readonly attempt: number; readonly error: ConductorError }
  | { readonly type: "TOKEN"; readonly attempt: number; readonly text: string }
  | { readonly type: "THINKING"; readonly attempt: number; readonly text: string }
  | { readonly type: "TOOL_CALLS"; readonly attempt: number; readonly calls: ReadonlyArray<ToolCall> }
  /** `text`: tokens that came with the done part, handled as a TOKEN just before it. */
  | { readonly type: "DONE"; readonly attempt: number; readonly chunk: DoneChunk; readonly text?: string }
  | { readonly type: "GENERATE_FAILED"; readonly attempt: number; readonly error: ConductorError }
  /** No token, reasoning, tool call or end came within `firstTokenMs` of LEASED. */
  | { readonly type: "FIRST_TOKEN_ELAPSED"; readonly attempt: number }

/** An attempt: a lease on `model` (waiting in its queue first), then the generation of `request`. */
export interface AttemptInput {
  readonly id: string
  readonly model: string
  readonly attempt: number
  readonly request: GenerateRequest
  /** Whom it runs for and how urgent it is: the order it waits in for a slot. */
  readonly tenant: string
  readonly priority: Priority
  /**
   * The first-token deadline, armed when LEASED is sent and disarmed when the attempt sends what
   * ends the wait (a token, reasoning, tool calls, the end, a failure) or is stopped.
   */
  readonly firstTokenMs: number
}
