import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Schema } from "effect"
import { readdir } from "node:fs/promises"
import { join } from "node:path"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { sampleClipRef } from "../../../media/footage/sample-library.ts"
import { probe } from "../../../media/probe.ts"
import { type LavfiShot, planRender, render, RenderPlan, renderSinglePass, type TimelineInput } from "../../../media/timeline.ts"
import { scopedTempDir } from "../../fixtures/temp-dir.ts"

const tempDir = scopedTempDir("timeline-lavfi")

const SIZE = { width: 160, height: 284, fps: 10 }
const ref = (name: string) => Option.getOrThrow(sampleClipRef(name))
/** A sample clip as the demo's footage records describe it: the output's size and rate, `duration` seconds long. */
const sample = (name: string, duration: number, extra: Pick<LavfiShot, "inPoint" | "whenShort"> = {}): LavfiShot => ({
  path: ref(name),
  kind: "lavfi",
  media: { duration, ...SIZE },
  ...extra
})

const frameHashes = (file: string) =>
  Effect.map(
    runFfmpeg({ args: ["-i", file, "-map", "0:v", "-f", "framemd5", "-"] }, { captureStdout: true }),
    (r) => String(r.stdout).split("\n").filter((line) => line !== "" && !line.startsWith("#")).map((line) => line.split(",").pop()!.trim())
  )

const timeline = (dir: string, name: string, narration: string, transition: boolean): TimelineInput => ({
  scenes: [
    { text: "cells", narration: { start: 0, end: 1.1 } },
    { text: "zoom", narration: { start: 1.2, end: 2.3 } },
    { text: "rule", narration: { start: 2.4, end: 3.6 } }
  ],
  shots: [
    // From 0.5 s into the clip: the frames before are generated and dropped.
    sample("life-conway", 4, { inPoint: 0.5 }),
    sample("mandelbrot-zoom", 4),
    // Shorter than its scene and looped: a generated source plays on instead.
    sample("rule-110", 0.5, { whenShort: "loop" })
  ],
  output: {
    path: join(dir, name),
    ...SIZE,
    encoder: "libx264",
    // Lossless, so decoded frames of different renders can be compared hash for hash.
    encoderSettings: { preset: "ultrafast", crf: 0 },
    narration: { path: narration, duration: 3.6 },
    workDir: join(dir, "work"),
    ...(transition ? { transition: { kind: "fade", duration: 0.3 } } : {})
  }
})

describe("lavfi shots: sample clips generated inside the render", () => {
  it.scopedLive("a single pass has exactly the planned frames, the same frames every time, and k segments stitch to them", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const narration = join(dir, "narration.wav")
      yield* runFfmpeg({ args: ["-f", "lavfi", "-i", "sine=frequency=440:duration=3.6", "-ac", "1"], output: narration })
      for (const transition of [false, true]) {
        const tag = transition ? "fade" : "cut"
        const once = yield* planRender(timeline(dir, `${tag}-1.mp4`, narration, transition))
        const again = yield* planRender(timeline(dir, `${tag}-2.mp4`, narration, transition))
        const split = yield* planRender(timeline(dir, `${tag}-split.mp4`, narration, transition), { segments: 2 })
        expect(once.totalFrames).toBe(36) // 3.6 s at 10 fps
        expect(split.segments).toHaveLength(2)
        yield* renderSinglePass(once)
        yield* renderSinglePass(again)
        yield* render(split)
        const info = yield* probe(once.files.output, { countFrames: true })
        expect(info).toMatchObject({ width: 160, height: 284, fps: 10, frames: 36, hasAudio: true })
        const [a, b, c] = yield* Effect.all([
          frameHashes(once.files.output),
          frameHashes(again.files.output),
          frameHashes(split.files.output)
        ])
        expect(a).toHaveLength(36)
        expect(b).toEqual(a)
        expect(c).toEqual(a)
        // The generated clips are not all alike: each scene shows its own clip.
        expect(new Set([a[0], a[15], a[30]]).size).toBe(3)
      }
      // Nothing was drawn to a file: the folder holds the narration, the outputs and the work files only.
      const files = yield* Effect.promise(() => readdir(dir))
      expect(files.filter((f) => !f.endsWith(".mp4") && f !== "narration.wav" && f !== "work")).toEqual([])
    }))

  it.scopedLive("a plan written to disk and read back renders the same frames; a tampered graph is refused on reading", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const narration = join(dir, "narration.wav")
      yield* runFfmpeg({ args: ["-f", "lavfi", "-i", "sine=frequency=440:duration=3.6", "-ac", "1"], output: narration })
      const plan = yield* planRender(timeline(dir, "written.mp4", narration, false))
      const json = JSON.stringify(plan)
      const decode = Schema.decodeUnknownEither(Schema.parseJson(RenderPlan))
      const read = decode(json)
      expect(read._tag).toBe("Right")
      if (read._tag === "Right") {
        yield* renderSinglePass(read.right)
        expect((yield* probe(read.right.files.output, { countFrames: true })).frames).toBe(36)
      }
      const tampered = json.replace(`"sample://rule-110"`, `"sample://rule-110,drawtext=text=pwned"`)
      expect(tampered).not.toBe(json)
      expect(decode(tampered)._tag).toBe("Left")
    }))
})
