/**
 * The bounded cache's decisions (apps/cli/cache-eviction.ts) and its sizes (cache-size.ts): the
 * least recently used artifact goes first, eviction stops as soon as the rest fits, and nothing a
 * pending job needs is ever picked, even when it is the oldest and even when the cap then cannot be met.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { type Artifact, type PendingJob, pinsFor, planEviction } from "../../../apps/cli/cache-eviction.ts"
import { DEFAULT_CACHE_MAX, formatBytes, parseByteSize } from "../../../apps/cli/cache-size.ts"
import { loadSettings } from "../../../apps/cli/config.ts"

const artifact = (id: string, bytes: number, lastUsed: number): Artifact => ({
  id,
  kind: id.startsWith("work/render-") ? "render" : "narration",
  bytes,
  lastUsed
})

const cache = [
  artifact("work/render-new", 400, 5_000),
  artifact("work/narration-old", 100, 1_000),
  artifact("work/render-mid", 300, 3_000),
  artifact("work/narration-older", 200, 500)
]
const noPins = new Map<string, ReadonlyArray<string>>()
const ids = (artifacts: ReadonlyArray<Artifact>) => artifacts.map((a) => a.id)

describe("planEviction", () => {
  it("evicts the least recently used first and stops as soon as the rest fits", () => {
    // 1000 bytes against 600: the two oldest (200 + 100) leave 700, the next (300) leaves 400.
    const plan = planEviction(cache, noPins, 600)
    expect(ids(plan.evict)).toEqual(["work/narration-older", "work/narration-old", "work/render-mid"])
    expect([plan.totalBytes, plan.remainingBytes, plan.underCap]).toEqual([1000, 400, true])
    // Exactly at the cap is under it: the oldest alone is enough to get to 800.
    expect(ids(planEviction(cache, noPins, 800).evict)).toEqual(["work/narration-older"])
  })

  it("deletes nothing while the cache fits, and everything unpinned for a cap of 0", () => {
    expect(planEviction(cache, noPins, 1000).evict).toEqual([])
    expect(planEviction(cache, noPins, 10_000).remainingBytes).toBe(1000)
    expect(ids(planEviction(cache, noPins, 0).evict)).toEqual([
      "work/narration-older",
      "work/narration-old",
      "work/render-mid",
      "work/render-new"
    ])
  })

  it("never evicts a pinned artifact, even the oldest, and says when the cap cannot be met", () => {
    const pins = new Map([["work/narration-older", ["job-a"]]])
    const plan = planEviction(cache, pins, 600)
    expect(ids(plan.evict)).toEqual(["work/narration-old", "work/render-mid"])
    expect(plan.underCap).toBe(true)
    const impossible = planEviction(cache, new Map([["work/narration-older", ["job-a"]], ["work/render-new", ["job-b"]]]), 500)
    expect(ids(impossible.evict)).toEqual(["work/narration-old", "work/render-mid"])
    expect(ids(impossible.pinned)).toEqual(["work/narration-older", "work/render-new"])
    expect([impossible.remainingBytes, impossible.pinnedBytes, impossible.underCap]).toEqual([600, 600, false])
  })

  it("breaks ties in last use by id, so the same cache gives the same plan", () => {
    const tied = [artifact("work/render-b", 10, 7), artifact("work/render-a", 10, 7), artifact("work/render-c", 10, 7)]
    expect(ids(planEviction(tied, noPins, 15).evict)).toEqual(["work/render-a", "work/render-b"])
  })
})

describe("pinsFor", () => {
  const job = (id: string, since: number, live: boolean, names: ReadonlyArray<string> = []): PendingJob => ({ id, since, live, names })

  it("pins what pending jobs recorded using, and nothing for jobs that are over", () => {
    const uses = [
      { artifact: "work/narration-old", job: "job-pending" },
      { artifact: "work/render-mid", job: "job-finished" },
      { artifact: "work/render-new" }
    ]
    const pins = pinsFor(cache, uses, [job("job-pending", 0, false)])
    expect([...pins]).toEqual([["work/narration-old", ["job-pending"]]])
  })

  it("pins, for a job running now, everything used since its run started; not for one a crash left", () => {
    expect([...pinsFor(cache, [], [job("job-running", 3_000, true)]).keys()].sort()).toEqual(["work/render-mid", "work/render-new"])
    expect(pinsFor(cache, [], [job("job-left", 3_000, false)]).size).toBe(0)
  })

  it("pins the artifacts a pending job's spec names (footage inside the cache), and ignores names it does not hold", () => {
    const pins = pinsFor(cache, [{ artifact: "work/gone", job: "job-a" }], [job("job-a", 0, false, ["work/render-mid", "work/gone"])])
    expect([...pins]).toEqual([["work/render-mid", ["job-a"]]])
  })
})

describe("cache sizes", () => {
  it("reads bytes and sizes with units: KB … TB powers of 1000, KiB … TiB powers of 1024", () => {
    expect(parseByteSize("2GB")).toBe(2_000_000_000)
    expect(parseByteSize("500MB")).toBe(500_000_000)
    expect(parseByteSize("500 mb")).toBe(500_000_000)
    expect(parseByteSize("1.5GiB")).toBe(1.5 * 1024 ** 3)
    expect(parseByteSize("64k")).toBe(64_000)
    expect(parseByteSize("1048576")).toBe(1_048_576)
    expect(parseByteSize(4096)).toBe(4096)
    expect(parseByteSize("0")).toBe(0)
    expect(DEFAULT_CACHE_MAX).toBe(parseByteSize("2GB"))
    for (const bad of ["", "2 gigs", "-1GB", "GB", "1e9", "2GB2", "1.5.2MB"]) {
      expect({ bad, bytes: parseByteSize(bad) }).toEqual({ bad, bytes: undefined })
    }
    expect(parseByteSize(-5)).toBeUndefined()
    expect(parseByteSize(1.5)).toBeUndefined()
  })

  it("prints bytes in the same units", () => {
    expect([formatBytes(512), formatBytes(1_234_567), formatBytes(2_000_000_000), formatBytes(45_600)]).toEqual([
      "512 B",
      "1.23 MB",
      "2 GB",
      "45.6 KB"
    ])
  })

  it("the config file's cacheMax takes bytes or a size, and names a bad one", () => {
    const dir = mkdtempSync(join(tmpdir(), "reelswarm-cache-config-"))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))
    const load = (content: unknown) => {
      const file = join(dir, `c-${Math.random().toString(36).slice(2)}.json`)
      writeFileSync(file, JSON.stringify(content))
      return { file, result: loadSettings(["node", "main", "cache", "stats", "--config", file], {}) }
    }
    expect(Either.getOrThrow(load({ cacheMax: "500MB" }).result).config.cacheMax).toBe(500_000_000)
    expect(Either.getOrThrow(load({ cacheMax: 1234 }).result).config.cacheMax).toBe(1234)
    const bad = load({ cacheMax: "2 gigs" })
    expect(Either.flip(bad.result).pipe(Either.getOrThrow)).toBe(
      `${bad.file}: cacheMax: expected a size: a number of bytes, or one with KB, MB, GB or TB (e.g. 500MB, 2GB), got "2 gigs"`
    )
  })
})
