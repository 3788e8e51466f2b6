/**
 * Reconciliation as a pure diff: residency's table against the backend's running models
 * (`/api/ps`). A model the table holds in memory but the backend no longer runs is lost — as a
 * `crash` when several went at once and nothing is left (the runners died), else `reconciled`
 * (someone unloaded it); one whose size differs from `size_vram` is resized; one the backend
 * runs that the table has unloaded is adopted (loaded by someone else, its memory counted).
 * Entries that changed while the list was fetched are not judged by it (they are newer).
 */
import type { RunningModel } from "../backends/port.js"
import { normaliseName } from "../registry/registry.js"
import type { ResidencyState } from "./policy.js"

/** What the diff reads of a table entry. */
export interface TableRow {
  readonly name: string
  readonly state: ResidencyState
  /** Bytes its permit holds, when it holds one. */
  readonly heldBytes: number | undefined
  /** Unchanged since the running list was requested. */
  readonly unchanged: boolean
}

export type ReconcileAction =
  | { readonly kind: "lose"; readonly name: string; readonly reason: "crash" | "reconciled" }
  | { readonly kind: "resize"; readonly name: string; readonly bytes: number }
  | { readonly kind: "adopt"; readonly name: string; readonly bytes: number }

/** Sizes within this fraction are the same (size_vram vs our number). */
const SIZE_TOLERANCE = 0.01

/** The server's size differs enough from ours to correct it. */
export const sizeDiffers = (reported: number, ours: number): boolean =>
  reported > 0 && Math.abs(reported - ours) > SIZE_TOLERANCE * Math.max(reported, ours)

export const reconcileDiff = (
  table: ReadonlyArray<TableRow>,
  running: ReadonlyArray<RunningModel>,
): ReconcileAction[] => {
  const byName = new Map(running.map((r) => [normaliseName(r.name), r]))
  const known = new Map(table.map((t) => [normaliseName(t.name), t]))
  const actions: ReconcileAction[] = []
  const inMemory = table.filter((t) => (t.state === "resident" || t.state === "draining") && t.unchanged)
  const lostAll = inMemory.length > 1 && inMemory.every((t) => !byName.has(normaliseName(t.name)))
  for (const t of inMemory) {
    const r = byName.get(normaliseName(t.name))
    if (r === undefined)
      actions.push({ kind: "lose", name: t.name, reason: lostAll ? "crash" : "reconciled" })
    else if (t.heldBytes !== undefined && sizeDiffers(r.vramBytes, t.heldBytes)) {
      actions.push({ kind: "resize", name: t.name, bytes: r.vramBytes })
    }
  }
  for (const r of running) {
    const t = known.get(normaliseName(r.name))
    if (t !== undefined && (t.state !== "unloaded" || !t.unchanged)) continue
    actions.push({ kind: "adopt", name: t?.name ?? r.name, bytes: r.vramBytes })
  }
  return actions
}
