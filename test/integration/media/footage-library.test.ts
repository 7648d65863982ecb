import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync
} from "node:fs"
import { basename, join } from "node:path"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { footageCacheFile, FootageIndexCache, generateSampleLibrary, indexFolder } from "../../../media/footage/index.ts"
import { probe } from "../../../media/probe.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const tempDir = scopedTempDir("footage")

/** Words the demo script uses: each must find at least one sample clip. */
const demoWords = [
  "mandelbrot",
  "fractal",
  "game of life",
  "automaton",
  "cells",
  "rule 110",
  "sierpinski triangle",
  "triangle",
  "chaos",
  "pattern",
  "emergence"
]

describe("procedural sample library and folder index", () => {
  it.scoped("generates 16+ tagged clips once, then indexes them incrementally, skipping broken files with warnings", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const options = { width: 96, height: 160, durationSec: 1, fps: 10, concurrency: 2 }
      const clips = yield* generateSampleLibrary(dir, options)
      expect(clips.length).toBeGreaterThanOrEqual(16)
      expect(clips.every((c) => c.generated)).toBe(true)
      for (const word of demoWords) expect(clips.filter((c) => c.tags.includes(word)).map((c) => c.name), word).not.toHaveLength(0)
      const sidecar = JSON.parse(readFileSync(`${clips[0]!.file}.json`, "utf8")) as { tags: Array<string>; description: string }
      expect(sidecar.tags).toEqual(clips[0]!.tags)

      const info = yield* probe(clips.find((c) => c.name === "rule-110")!.file, { countFrames: true })
      expect([info.width, info.height, info.fps, info.frames]).toEqual([96, 160, 10, 10])

      const mtime = statSync(clips[0]!.file).mtimeMs
      const again = yield* generateSampleLibrary(dir, options)
      expect(again.every((c) => !c.generated)).toBe(true)
      expect(statSync(clips[0]!.file).mtimeMs).toBe(mtime)

      // Alongside: a still image with a sidecar, a corrupt video, a bad sidecar, a dangling link.
      mkdirSync(join(dir, "stills"))
      const still = join(dir, "stills", "DeepSpace_nebula.png")
      yield* runFfmpeg({ args: ["-f", "lavfi", "-i", "testsrc2=s=64x64", "-frames:v", "1"], output: still })
      writeFileSync(`${still}.json`, JSON.stringify({ tags: ["Stars", "space"], description: "a nebula" }))
      writeFileSync(join(dir, "broken.mp4"), "this is not a video")
      writeFileSync(`${clips[1]!.file}.json`, "{ not json")
      symlinkSync(join(dir, "missing.mp4"), join(dir, "gone.mp4"))

      const cacheDir = join(yield* tempDir, "footage-index")
      const first = yield* indexFolder(dir, { cacheDir })
      expect(first.clips).toHaveLength(clips.length + 1)
      expect(first.probed).toBe(clips.length + 2)
      expect(first.cached).toBe(0)
      expect(first.warnings.map((w) => [w.file.slice(dir.length + 1), w.reason]).sort()).toEqual(
        [["broken.mp4", "corrupt"], ["gone.mp4", "unreadable"], [`${clips[1]!.file.slice(dir.length + 1)}.json`, "bad-sidecar"]].sort()
      )
      const image = first.clips.find((c) => c.path === still)!
      expect(image).toMatchObject({ kind: "image", width: 64, height: 64, orientation: "square", durationSec: 0, description: "a nebula" })
      expect(image.tags).toEqual(["deep", "space", "nebula", "stars"])
      const life = first.clips.find((c) => c.path === clips.find((s) => s.name === "life-conway")!.file)!
      expect(life).toMatchObject({ kind: "video", width: 96, height: 160, fps: 10, orientation: "portrait" })
      expect(life.durationSec).toBeCloseTo(1, 1)
      expect(life.tags).toEqual(expect.arrayContaining(["life", "conway", "game of life", "cellular automaton"]))
      // The clip with the broken sidecar keeps its file-name tags.
      expect(first.clips.find((c) => c.path === clips[1]!.file)!.tags.length).toBeGreaterThan(0)

      const second = yield* indexFolder(dir, { cacheDir })
      expect([second.cached, second.probed]).toEqual([clips.length + 2, 0])
      expect(second.clips).toEqual(first.clips)

      utimesSync(still, new Date(), new Date(Date.now() + 5000))
      const third = yield* indexFolder(dir, { cacheDir })
      expect([third.cached, third.probed]).toEqual([clips.length + 1, 1])
    }))

  it.scoped("a read-only footage folder is indexed with nothing written into it; its cache, keyed by real path, lives in the cache folder and serves the next run", () =>
    Effect.gen(function*() {
      const footage = yield* tempDir
      mkdirSync(join(footage, "nested"))
      for (const [name, source] of [["mandelbrot.mp4", "mandelbrot"], ["nested/life.mkv", "life"]] as const) {
        yield* runFfmpeg({
          args: ["-f", "lavfi", "-i", `${source}=size=64x48:rate=10`, "-t", "0.5", "-c:v", "libx264", "-preset", "ultrafast"],
          output: join(footage, name)
        })
      }
      // A link back to the folder itself: not walked, so no loop.
      symlinkSync(footage, join(footage, "nested", "again"))
      chmodSync(join(footage, "nested"), 0o555)
      chmodSync(footage, 0o555)
      yield* Effect.addFinalizer(() => Effect.sync(() => [footage, join(footage, "nested")].forEach((d) => chmodSync(d, 0o755))))
      // Every entry with its size and mtime, folders included: a file created and removed again changes a folder's mtime.
      const snapshot = (dir: string): Array<string> => [
        `${dir} ${lstatSync(dir).mtimeMs}`,
        ...readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
          const path = join(dir, entry.name)
          return entry.isDirectory() ? snapshot(path) : [`${path} ${lstatSync(path).size} ${lstatSync(path).mtimeMs}`]
        })
      ]
      const before = snapshot(footage)

      // Tests may run as root, whom chmod does not stop: the snapshot is what proves nothing was written.
      const cacheDir = join(yield* tempDir, "footage-index")
      const first = yield* indexFolder(footage).pipe(Effect.provide(FootageIndexCache.layer(cacheDir)))
      expect(first.clips.map((c) => c.path.slice(footage.length + 1)).sort()).toEqual(["mandelbrot.mp4", "nested/life.mkv"])
      expect([first.probed, first.cached, first.warnings]).toEqual([2, 0, []])
      expect(snapshot(footage)).toEqual(before)
      const cacheFile = footageCacheFile(cacheDir, realpathSync(footage))
      expect(readdirSync(cacheDir)).toEqual([basename(cacheFile)])
      expect(JSON.parse(readFileSync(cacheFile, "utf8"))).toMatchObject({ folder: realpathSync(footage) })

      // The same folder through a link finds the same cache; an explicit cacheDir is used as given.
      const viaLink = join(yield* tempDir, "footage-link")
      symlinkSync(footage, viaLink)
      const second = yield* indexFolder(viaLink, { cacheDir })
      expect([second.probed, second.cached]).toEqual([0, 2])
      expect(readdirSync(cacheDir)).toEqual([basename(cacheFile)])

      // Without a cache folder nothing is kept anywhere: every file is probed.
      const uncached = yield* indexFolder(footage)
      expect([uncached.probed, uncached.cached]).toEqual([2, 0])
      expect(snapshot(footage)).toEqual(before)
    }))

  it.effect("rejects odd sizes and unknown clip names with typed errors", () =>
    Effect.gen(function*() {
      const odd = yield* Effect.flip(generateSampleLibrary("/nonexistent", { width: 97, height: 160 }))
      expect(odd).toMatchObject({ _tag: "FootageError", reason: "invalid-options" })
      const unknown = yield* Effect.flip(generateSampleLibrary("/nonexistent", { only: ["nope"] }))
      expect(unknown.message).toContain("nope")
      const missing = yield* Effect.flip(indexFolder("/nonexistent/footage"))
      expect(missing).toMatchObject({ _tag: "FootageError", reason: "io" })
    }))
})
