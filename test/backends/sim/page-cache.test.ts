/** The page cache model: LRU by file, partial eviction, pinned files, memory taken by others. */
import { describe, expect, it } from "vitest"
import { PageCache } from "../../../src/backends/sim/page-cache.js"

const GB = 1e9
const none = new Set<string>()

describe("backends/sim/page-cache", () => {
  it("keeps what was read, drops the least recently read first, a part of one when that is enough", () => {
    const cache = new PageCache(10 * GB)
    cache.read("a", 4 * GB, 4 * GB, none, 0)
    cache.read("b", 4 * GB, 4 * GB, none, 0)
    expect(cache.usedBytes()).toBe(8 * GB)
    // Reading a again makes it the most recent: c then takes its room from b.
    cache.read("a", 4 * GB, 4 * GB, none, 0)
    cache.read("c", 3 * GB, 3 * GB, none, 0)
    expect(cache.cachedBytes("a")).toBe(4 * GB)
    expect(cache.cachedBytes("b")).toBe(3 * GB)
    expect(cache.cachedBytes("c")).toBe(3 * GB)
    expect(cache.snapshot().files.map((f) => f.name)).toEqual(["c", "a", "b"])
  })

  it("a file larger than the cache keeps what fits; a partial read adds to what was cached", () => {
    const cache = new PageCache(5 * GB)
    cache.read("big", 8 * GB, 8 * GB, none, 0)
    expect(cache.cachedBytes("big")).toBe(5 * GB)
    cache.drop()
    cache.read("big", 8 * GB, 2 * GB, none, 0)
    expect(cache.cachedBytes("big")).toBe(2 * GB)
    cache.read("big", 8 * GB, 1 * GB, none, 0)
    expect(cache.cachedBytes("big")).toBe(2 * GB)
  })

  it("never drops pinned files, and gives way to memory other things take", () => {
    const cache = new PageCache(10 * GB)
    cache.read("pinned", 6 * GB, 6 * GB, none, 0)
    cache.read("other", 3 * GB, 3 * GB, none, 0)
    // 4 GB of KV caches on a unified-memory host: 6 GB of room, the pinned file keeps its 6.
    cache.fit(new Set(["pinned"]), 4 * GB)
    expect(cache.cachedBytes("pinned")).toBe(6 * GB)
    expect(cache.cachedBytes("other")).toBe(0)
    cache.read("new", 5 * GB, 5 * GB, new Set(["pinned"]), 4 * GB)
    expect(cache.cachedBytes("new")).toBe(0)
    expect(cache.cachedBytes("pinned")).toBe(6 * GB)
  })
})
