import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { generateSampleLibrary, indexFolder } from "../../../media/footage/index.ts"
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

      const first = yield* indexFolder(dir)
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

      const second = yield* indexFolder(dir)
      expect([second.cached, second.probed]).toEqual([clips.length + 2, 0])
      expect(second.clips).toEqual(first.clips)

      utimesSync(still, new Date(), new Date(Date.now() + 5000))
      const third = yield* indexFolder(dir)
      expect([third.cached, third.probed]).toEqual([clips.length + 1, 1])
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
