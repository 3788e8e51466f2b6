/**
 * Who a request runs for, and how urgent it is. A tenant is the unit of fair share (a WebSocket
 * connection, an OpenAI `user` or API key, the library caller); its weight and limits come from
 * `tenants.<name>` in conductor.yaml. Interactive work is served before batch work, within the
 * aging bound: batch work waits, but never starves.
 */

export const PRIORITIES = ["interactive", "batch"] as const
export type Priority = (typeof PRIORITIES)[number]

/** The tenant of library calls that name none. */
export const DEFAULT_TENANT = "library"

/** The metric label of a tenant: its configured name, else `other` (label values stay bounded). */
export const tenantLabel = (tenant: string, configured: ReadonlySet<string>): string =>
  configured.has(tenant) ? tenant : "other"
