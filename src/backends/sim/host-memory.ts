/**
 * The simulated host's system memory as the scheduler needs it: the page cache that makes loads
 * warm (capacity: the profile's `pageCacheGb`, else RAM less Ollama's host headroom), which files
 * runners use from host memory (pinned: every loaded model on unified memory, CPU-offloaded ones
 * elsewhere), the memory runners take beyond their files (KV caches, compute buffers), and what
 * is left for layers offloaded to the CPU.
 */
import { PageCache } from "./page-cache.js"
import { fileBytes, GB, type SimModelSpec, type SimProfile } from "./profile.js"
import type { Runner } from "./runner.js"

/** Ollama's host-memory headroom (sched.go mmapHostPressureHeadroom): max(8 GB, 10% of RAM). */
export const hostHeadroomBytes = (ramBytes: number): number => Math.max(8 * GB, ramBytes / 10)

export class HostMemory {
  readonly pageCache: PageCache
  private readonly ramBytes: number

  constructor(
    private readonly profile: SimProfile,
    /** Every runner holding memory (loading, loaded, unloading). */
    private readonly live: () => ReadonlyArray<Runner>,
  ) {
    this.ramBytes = profile.systemRamGb * GB
    this.pageCache = new PageCache(
      profile.pageCacheGb !== undefined
        ? profile.pageCacheGb * GB
        : this.ramBytes - hostHeadroomBytes(this.ramBytes),
    )
    if (profile.warmStart) {
      for (const m of profile.models) this.pageCache.read(m.name, fileBytes(m), fileBytes(m), new Set(), 0)
    }
  }

  /** A load of `model` begins (its runner is live): make room, and say how much of its file is cached. */
  startLoad(model: SimModelSpec): number {
    this.pageCache.fit(this.pinnedFiles(), this.reservedBytes())
    const file = fileBytes(model)
    return file > 0 ? this.pageCache.cachedBytes(model.name) / file : 1
  }

  /** `bytes` of the model's file were read. */
  read(model: SimModelSpec, bytes: number): void {
    this.pageCache.read(model.name, fileBytes(model), bytes, this.pinnedFiles(), this.reservedBytes())
  }

  /** System memory left for layers offloaded to the CPU. */
  freeBytes(): number {
    let used = hostHeadroomBytes(this.ramBytes)
    for (const r of this.live()) used += this.residentBytes(r)
    return Math.max(0, this.ramBytes - used)
  }

  /** Runners whose weights are used from host memory: their files cannot leave the page cache. */
  private pinnedFiles(): Set<string> {
    return new Set(this.live().flatMap((r) => (this.residentBytes(r) > 0 ? [r.name] : [])))
  }

  /** Bytes of a runner in system memory: all of it on unified memory, else its CPU layers. */
  private residentBytes(r: Runner): number {
    return this.profile.unifiedMemory ? r.bytes : r.placement.cpuBytes
  }

  /** Host memory runners take beyond their (cached) model files. */
  private reservedBytes(): number {
    let reserved = 0
    for (const r of this.live()) {
      const share = Math.max(0, 1 - fileBytes(r.model) / Math.max(1, r.bytes))
      reserved += this.residentBytes(r) * share
    }
    return reserved
  }
}
