/**
 * The host's page cache as far as model files go: how many bytes of each file it holds, least
 * recently read first. A load reads its file and makes it the most recent; room is the cache's
 * capacity less the host memory other things take now (`reservedBytes`: KV caches on a
 * unified-memory host, layers offloaded to the CPU), made by dropping the least recently read
 * files, a part of one if that is enough. Files in use from host memory (`pinned`) are never
 * dropped. Unloading a model leaves its file cached, as Linux and macOS do.
 */

export interface PageCacheSnapshot {
  readonly capacityBytes: number
  readonly usedBytes: number
  /** Most recently read first. */
  readonly files: ReadonlyArray<{ readonly name: string; readonly cachedBytes: number }>
}

export class PageCache {
  /** Cached bytes per file, least recently read first (a Map keeps insertion order). */
  private readonly files = new Map<string, number>()

  constructor(readonly capacityBytes: number) {}

  cachedBytes(name: string): number {
    return this.files.get(name) ?? 0
  }

  usedBytes(): number {
    let used = 0
    for (const b of this.files.values()) used += b
    return used
  }

  /**
   * `readBytes` of the file were read (from its start): the file becomes the most recently read
   * and keeps as much of itself as fits, other files giving way least recent first.
   */
  read(
    name: string,
    fileBytes: number,
    readBytes: number,
    pinned: ReadonlySet<string>,
    reservedBytes: number,
  ): void {
    const want = Math.min(fileBytes, Math.max(this.cachedBytes(name), readBytes))
    this.files.delete(name)
    const room = Math.max(0, this.capacityBytes - reservedBytes)
    const others = this.shrinkTo(room - want, pinned)
    const kept = Math.max(0, Math.min(want, room - others))
    if (kept > 0) this.files.set(name, kept)
  }

  /** Give way to host memory taken by other things: drop files until the rest fits. */
  fit(pinned: ReadonlySet<string>, reservedBytes: number): void {
    this.shrinkTo(Math.max(0, this.capacityBytes - reservedBytes), pinned)
  }

  /** Every file dropped (`echo 3 > /proc/sys/vm/drop_caches`, or a reboot). */
  drop(): void {
    this.files.clear()
  }

  snapshot(): PageCacheSnapshot {
    return {
      capacityBytes: this.capacityBytes,
      usedBytes: this.usedBytes(),
      files: [...this.files].reverse().map(([name, cachedBytes]) => ({ name, cachedBytes })),
    }
  }

  /** Drop least recently read, unpinned bytes until at most `target` are cached; returns what is. */
  private shrinkTo(target: number, pinned: ReadonlySet<string>): number {
    let used = this.usedBytes()
    for (const [name, bytes] of this.files) {
      if (used <= target) break
      if (pinned.has(name)) continue
      const cut = Math.min(bytes, used - target)
      if (cut === bytes) this.files.delete(name)
      else this.files.set(name, bytes - cut)
      used -= cut
    }
    return used
  }
}
