/**
 * The console's wire types against the server's: every event Conductor can publish, and the
 * `/v1/status` snapshot, must fit what the console reads (src/console/client/wire.ts). Checked
 * by the compiler (`npm run check`); the test only makes the file part of the suite.
 */
import { describe, expect, it } from "vitest"
import type { ConductorSnapshot } from "../../src/conductor.js"
import type {
  RequestEvent as ClientRequestEvent,
  ServerMessage,
  StatusSnapshot,
} from "../../src/console/client/wire.js"
import type { ConductorEvent, RequestEvent } from "../../src/domain/events.js"
import type { HelloMessage } from "../../src/server/protocol.js"

// Each line fails to compile if the server sends something the console's types do not allow.
const event = (e: ConductorEvent): ServerMessage => e
const request = (e: RequestEvent & { at?: number }): ClientRequestEvent => e
const hello = (m: HelloMessage): ServerMessage => m
const snapshot = (s: ConductorSnapshot & { personas: string[] }): StatusSnapshot => s

describe("console wire types", () => {
  it("accept what the server sends (a compile-time check)", () => {
    expect([event, request, hello, snapshot].every((f) => typeof f === "function")).toBe(true)
  })
})
