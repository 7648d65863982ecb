import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { readdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { drawPickedSamples, sampleClips, sampleFile } from "../../../agents/production/samples.ts"
import { generateSampleLibrary, indexFolder } from "../../../media/footage/index.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const tempDir = scopedTempDir("samples")

const FRAME = { width: 36, height: 64, fps: 5 }
const ONLY = ["mandelbrot-zoom", "life-conway", "rule-110", "plasma"]

describe("the lazy sample library", () => {
  it.scopedLive("clip records made from the library's specs equal what indexing the drawn clips gives", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const lazy = join(dir, "lazy")
      const source = { dir: lazy, durationSec: 1, only: ONLY }
      const records = yield* sampleClips(source, FRAME)
      expect(yield* Effect.promise(() => readdir(lazy))).toEqual([])

      const eager = join(dir, "eager")
      yield* generateSampleLibrary(eager, { ...FRAME, durationSec: 1, only: ONLY })
      const index = yield* indexFolder(eager)
      const indexed = index.clips.map((c) => ({
        path: c.path,
        kind: c.kind,
        durationSec: c.durationSec,
        width: c.width,
        height: c.height,
        fps: c.fps,
        tags: c.tags
      }))
      expect(records.map((r) => ({ ...r, path: r.path.replace(lazy, eager) }))).toEqual(indexed)
    }))

  it.scopedLive("unknown clip names fail before anything is drawn", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const error = yield* Effect.flip(sampleClips({ dir, durationSec: 1, only: ["mandelbrot-zoom", "no-such-clip"] }, FRAME))
      expect(error.message).toContain("no-such-clip")
    }))

  it.scopedLive("draws only the picked clips; a truncated leftover is reported and drawn again", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const source = { dir, durationSec: 1 }
      const records = yield* sampleClips(source, FRAME)
      expect(records.length).toBeGreaterThan(20)
      const picked = [sampleFile(source, FRAME, "rule-110"), sampleFile(source, FRAME, "plasma"), sampleFile(source, FRAME, "rule-110")]
      // A leftover from a killed run: a file under the final name that ffprobe cannot read.
      yield* Effect.promise(() => writeFile(sampleFile(source, FRAME, "plasma"), "not a video"))
      yield* Effect.promise(() => writeFile(`${sampleFile(source, FRAME, "plasma")}.json`, "{}"))

      const first = yield* drawPickedSamples(source, FRAME, picked)
      expect([...first.drawn].sort()).toEqual(["plasma", "rule-110"])
      expect(first.warnings.map((w) => [w.file, w.reason])).toEqual([[sampleFile(source, FRAME, "plasma"), "corrupt"]])
      const files = (yield* Effect.promise(() => readdir(dir))).filter((f) => f.endsWith(".mp4")).sort()
      expect(files).toEqual(["plasma-36x64-1s-5fps.mp4", "rule-110-36x64-1s-5fps.mp4"])
      const index = yield* indexFolder(dir)
      expect(index.warnings).toEqual([])
      expect(index.clips.map((c) => c.durationSec)).toEqual([1, 1])

      const again = yield* drawPickedSamples(source, FRAME, picked)
      expect(again).toEqual({ drawn: [], warnings: [] })
    }))
})
