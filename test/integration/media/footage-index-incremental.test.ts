/**
 * The footage index is incremental: a reindex probes only files whose size or mtime changed, reads
 * only sidecars that are new or changed, writes its cache only when something in it changed, and
 * always gives what a fresh index (no cache at all) of the folder gives.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdirSync, readFileSync, realpathSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { footageCacheFile, indexFolder } from "../../../media/footage/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const tempDir = scopedTempDir("footage-incremental")

const clip = (file: string, source: string, seconds: number) =>
  runFfmpeg({
    args: ["-f", "lavfi", "-i", `${source}=size=64x48:rate=10`, "-t", String(seconds), "-c:v", "libx264", "-preset", "ultrafast"],
    output: file
  })

/** Writes a sidecar and gives it an mtime of its own, so no two versions share a size and mtime. */
let stampSeconds = 1_700_000_000
const writeSidecar = (file: string, content: string) => {
  writeFileSync(`${file}.json`, content)
  stampSeconds += 10
  utimesSync(`${file}.json`, stampSeconds, stampSeconds)
}

describe("incremental footage index", () => {
  it.scoped("a reindex probes only changed files, sees every sidecar added, changed or removed, and equals a fresh index", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      mkdirSync(join(dir, "nested"))
      const [ocean, city, forest] = [join(dir, "ocean-wave.mp4"), join(dir, "nested", "city-night.mp4"), join(dir, "forest.mp4")]
      yield* clip(ocean, "mandelbrot", 1)
      yield* clip(city, "life", 1)
      yield* clip(forest, "testsrc2", 1)
      writeSidecar(city, JSON.stringify({ tags: ["Neon"], description: "a street at night" }))
      const cacheDir = join(yield* tempDir, "footage-index")
      const cacheFile = footageCacheFile(cacheDir, realpathSync(dir))
      const index = indexFolder(dir, { cacheDir })
      /** The index as a fresh one (nothing cached) sees the folder now. */
      const fresh = Effect.map(indexFolder(dir), ({ clips, warnings }) => ({ clips, warnings }))
      const tagsOf = (clips: ReadonlyArray<{ readonly path: string; readonly tags: ReadonlyArray<string> }>, file: string) =>
        clips.find((c) => c.path === file)?.tags

      const first = yield* index
      expect([first.probed, first.cached, first.warnings]).toEqual([3, 0, []])
      expect(tagsOf(first.clips, city)).toEqual(["city", "night", "neon"])
      expect(first.clips.find((c) => c.path === city)?.description).toBe("a street at night")

      // Nothing changed: all from the cache, and the cache file is left as it was (same inode: no rename over it).
      const written = statSync(cacheFile)
      const unchanged = yield* index
      expect([unchanged.probed, unchanged.cached]).toEqual([0, 3])
      expect({ clips: unchanged.clips, warnings: unchanged.warnings }).toEqual(yield* fresh)
      expect(statSync(cacheFile).ino).toBe(written.ino)
      expect(statSync(cacheFile).mtimeMs).toBe(written.mtimeMs)

      // A sidecar added: seen, the clip not probed again, the cache rewritten.
      writeSidecar(ocean, JSON.stringify({ tags: ["Sea", "blue water"], description: "open sea" }))
      const added = yield* index
      expect([added.probed, added.cached]).toEqual([0, 3])
      expect(tagsOf(added.clips, ocean)).toEqual(["ocean", "wave", "sea", "blue water"])
      expect({ clips: added.clips, warnings: added.warnings }).toEqual(yield* fresh)
      expect(statSync(cacheFile).ino).not.toBe(written.ino)

      // Changed to the same length (only the mtime tells), then broken, then removed.
      writeSidecar(ocean, JSON.stringify({ tags: ["Sky", "blue water"], description: "open sea" }))
      const changed = yield* index
      expect(tagsOf(changed.clips, ocean)).toEqual(["ocean", "wave", "sky", "blue water"])
      expect({ clips: changed.clips, warnings: changed.warnings }).toEqual(yield* fresh)

      writeSidecar(ocean, "{ not json")
      const broken = yield* index
      expect(broken.warnings.map((w) => [w.file, w.reason])).toEqual([[`${ocean}.json`, "bad-sidecar"]])
      expect(tagsOf(broken.clips, ocean)).toEqual(["ocean", "wave"])
      // The broken sidecar's warning comes from the cache on the next run too, word for word.
      const stillBroken = yield* index
      expect(stillBroken.warnings).toEqual(broken.warnings)
      expect({ clips: stillBroken.clips, warnings: stillBroken.warnings }).toEqual(yield* fresh)

      rmSync(`${ocean}.json`)
      rmSync(`${city}.json`)
      const removed = yield* index
      expect([removed.probed, removed.warnings]).toEqual([0, []])
      expect(tagsOf(removed.clips, ocean)).toEqual(["ocean", "wave"])
      expect(removed.clips.find((c) => c.path === city)?.description).toBeUndefined()
      expect({ clips: removed.clips, warnings: removed.warnings }).toEqual(yield* fresh)
      const cached = JSON.parse(readFileSync(cacheFile, "utf8")) as { entries: Record<string, { sidecar?: unknown }> }
      expect(Object.values(cached.entries).filter((e) => e.sidecar !== undefined)).toEqual([])

      // A file re-encoded is probed again (and only it); one removed leaves the cache.
      yield* clip(forest, "testsrc2", 2)
      const reencoded = yield* index
      expect([reencoded.probed, reencoded.cached]).toEqual([1, 2])
      expect(reencoded.clips.find((c) => c.path === forest)?.durationSec).toBeCloseTo(2, 1)
      rmSync(city)
      const gone = yield* index
      expect([gone.probed, gone.cached, gone.clips.length]).toEqual([0, 2, 2])
      expect(Object.keys((JSON.parse(readFileSync(cacheFile, "utf8")) as { entries: object }).entries).sort()).toEqual([
        "forest.mp4",
        "ocean-wave.mp4"
      ])
      expect({ clips: gone.clips, warnings: gone.warnings }).toEqual(yield* fresh)
    }))
})
