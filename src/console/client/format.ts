/**
 * How the console writes numbers: GB (10^9 bytes, as the CLI does), durations, rates and
 * percentages, and the words and icons for each state (so no state is told by colour alone).
 */
import type { RequestState } from "./store.js"
import type { BreakerState, ResidencyState } from "./wire.js"

export const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(1)} GB`

export const ms = (v: number | undefined): string => {
  if (v === undefined || !Number.isFinite(v)) return "—"
  if (v < 1000) return `${Math.round(v)} ms`
  if (v < 60_000) return `${(v / 1000).toFixed(1)} s`
  return `${Math.floor(v / 60_000)} min ${Math.round((v % 60_000) / 1000)} s`
}

export const pct = (v: number): string => `${Math.round(v * 100)}%`

export const RESIDENCY: Readonly<Record<ResidencyState, { icon: string; label: string }>> = {
  unloaded: { icon: "○", label: "unloaded" },
  loading: { icon: "◐", label: "loading" },
  resident: { icon: "●", label: "resident" },
  draining: { icon: "◑", label: "draining" },
  unloading: { icon: "◌", label: "unloading" },
}

export const BREAKER: Readonly<Record<BreakerState, { icon: string; label: string }>> = {
  closed: { icon: "✓", label: "closed" },
  half_open: { icon: "⚠", label: "half-open" },
  open: { icon: "✕", label: "open" },
}

export const REQUEST: Readonly<Record<RequestState, { icon: string; label: string }>> = {
  accepted: { icon: "·", label: "accepted" },
  routed: { icon: "→", label: "routed" },
  queued: { icon: "⧗", label: "queued" },
  loading: { icon: "◐", label: "loading model" },
  streaming: { icon: "▶", label: "streaming" },
  validating: { icon: "✔", label: "validating" },
  completed: { icon: "✓", label: "done" },
  failed: { icon: "✕", label: "failed" },
  cancelled: { icon: "⊘", label: "cancelled" },
  lost: { icon: "?", label: "unknown (reconnected)" },
}
