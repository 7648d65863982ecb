/**
 * A long timeline (about what a 3,000-word script makes) renders through the real ffmpeg: no command
 * line grows with it (filter graphs travel in files), and the render never holds more than the plan's
 * K clip decoders open (each input is a decoder ffmpeg keeps open for the whole command), counted
 * over the ffmpeg commands that run at the same time.
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { readdir } from "node:fs/promises"
import { join } from "node:path"
import { encoderSpec } from "../../../media/encoders.ts"
import { graphsToFiles, runFfmpeg } from "../../../media/ffmpeg.ts"
import { type MediaInfo, probe } from "../../../media/probe.ts"
import { planRender, render, singlePassCommand, type TimelineInput } from "../../../media/timeline.ts"
import { countClipDecoders } from "../../fixtures/decoder-count.ts"
import { suiteTempDir } from "../../fixtures/temp-dir.ts"

/** Linux's limit on one command-line argument (MAX_ARG_STRLEN): beyond it, spawn fails with E2BIG. */
const MAX_ARGUMENT_BYTES = 128 * 1024
const SCENES = 900
const SCENE_SECONDS = 0.2
const FPS = 10

const tempDir = suiteTempDir("long-timeline")
let clip: MediaInfo
let still: MediaInfo
let narration: MediaInfo
beforeAll(async () => {
  const file = (name: string) => join(tempDir(), name)
  const make = (name: string, args: ReadonlyArray<string>) => runFfmpeg({ args, output: file(name) })
  ;[clip, still, narration] = await Effect.runPromise(
    Effect.zipRight(
      Effect.all([
        make("clip.mp4", [
          "-f",
          "lavfi",
          "-i",
          "testsrc2=size=64x112:rate=25:duration=1",
          "-c:v",
          "libx264",
          "-preset",
          "ultrafast",
          "-pix_fmt",
          "yuv420p"
        ]),
        make("still.png", ["-f", "lavfi", "-i", "mandelbrot=size=64x112", "-frames:v", "1"]),
        make("narration.wav", ["-f", "lavfi", "-i", `sine=frequency=440:duration=${SCENES * SCENE_SECONDS}`, "-ac", "1"])
      ], { concurrency: 2 }),
      Effect.all([probe(file("clip.mp4")), probe(file("still.png")), probe(file("narration.wav"))])
    )
  )
})

/** `scenes` scenes of two frames each, the same two files reused: a video at five in-points, and a still. */
const longTimeline = (name: string, scenes = SCENES, size = { width: 64, height: 112 }): TimelineInput => ({
  scenes: Array.from({ length: scenes }, (_, i) => ({
    text: `scene ${i}`,
    narration: { start: i * SCENE_SECONDS, end: (i + 1) * SCENE_SECONDS }
  })),
  shots: Array.from({ length: scenes }, (_, i) =>
    i % 2 === 0
      ? { path: clip.file, kind: "video" as const, inPoint: (i % 10) * 0.05, media: clip }
      : { path: still.file, kind: "image" as const, media: still, motion: "zoom-in" as const }),
  output: {
    path: join(tempDir(), `${name}.mp4`),
    ...size,
    fps: FPS,
    encoder: "libx264",
    encoderSettings: { preset: "ultrafast" },
    narration: { path: narration.file, duration: scenes * SCENE_SECONDS },
    workDir: join(tempDir(), `${name}-work`)
  }
})

describe("a long timeline", () => {
  it.effect("is cut into segments of at most its share of K clips, covering every scene once", () =>
    Effect.gen(function*() {
      for (const transition of [undefined, { kind: "fade", duration: 0.1 }]) {
        const input = longTimeline("planned")
        const plan = yield* planRender({ ...input, output: { ...input.output, transition } }, { segments: 2 })
        const share = Math.floor(plan.decoderLimit / plan.concurrency)
        expect(plan.segments.length).toBeGreaterThanOrEqual(Math.ceil(SCENES / share))
        for (const segment of plan.segments) expect(segment.pieces.length).toBeLessThanOrEqual(share)
        expect(plan.segments.reduce((sum, s) => sum + s.frames, 0)).toBe(plan.totalFrames)
        expect(new Set(plan.segments.flatMap((s) => s.pieces.map((p) => p.scene))).size).toBe(SCENES)
      }
    }))

  it.effect("renders 72 scenes with no more than K clip decoders open at any time, and exactly the planned frames", () =>
    Effect.gen(function*() {
      for (const segments of [1, 2]) {
        const plan = yield* planRender(longTimeline(`counted-${segments}`, 72, { width: 160, height: 284 }), { segments })
        expect(plan.segments.length).toBeGreaterThan(segments)
        const count = yield* Effect.scoped(
          Effect.tap(countClipDecoders(tempDir(), ["clip.mp4", "still.png"]), () => render(plan))
        ).pipe(Effect.flatMap((c) => Effect.all([c.commands, c.mostOpenAtOnce])))
        // Every segment, the audio mix and the stitch went through the counting ffmpeg.
        expect(count[0]).toBe(plan.segments.length + 2)
        expect(count[1]).toBeLessThanOrEqual(plan.decoderLimit)
        const info = yield* probe(plan.files.output, { countFrames: true })
        expect(info).toMatchObject({ width: 160, height: 284, fps: FPS, frames: plan.totalFrames, hasAudio: true })
        expect(plan.totalFrames).toBe(72 * SCENE_SECONDS * FPS)
      }
    }))

  it.effect("renders through the real ffmpeg with exactly the planned frames, though its single-pass graph is too long for a command line", () =>
    Effect.gen(function*() {
      // 32 clips a segment, two at a time: the test is about graph sizes, not about the number of segments.
      const plan = yield* planRender(longTimeline("long"), { concurrency: 2, decoderLimit: 64 })
      expect(plan.totalFrames).toBe(SCENES * SCENE_SECONDS * FPS)
      const singlePass = singlePassCommand(plan, yield* encoderSpec("libx264"))
      const graph = singlePass.args[singlePass.args.indexOf("-filter_complex") + 1]!
      expect(Buffer.byteLength(graph)).toBeGreaterThan(MAX_ARGUMENT_BYTES)
      yield* render(plan)
      const info = yield* probe(plan.files.output, { countFrames: true })
      expect(info).toMatchObject({ width: 64, height: 112, fps: FPS, frames: plan.totalFrames, hasAudio: true })
      expect(Math.abs(info.duration - SCENES * SCENE_SECONDS)).toBeLessThanOrEqual(1 / FPS)
      // Segments, the mixed audio, the concat list and every filter-graph file are gone.
      expect(yield* Effect.promise(() => readdir(plan.files.workDir))).toEqual([])
    }))

  it("moves every filter graph off the command line into a file, and leaves lavfi inputs alone", () => {
    const moved = graphsToFiles(
      ["-f", "lavfi", "-i", "color=s=64x112", "-filter_complex", "[0:v]null[v]", "-map", "[v]", "-vf", "hflip", "-af", "anull"],
      "/o/.x.partial-1-00000000.mp4"
    )
    expect(moved.args).toEqual([
      "-f",
      "lavfi",
      "-i",
      "color=s=64x112",
      "-filter_complex_script",
      "/o/.x.partial-1-00000000.mp4.0.filtergraph",
      "-map",
      "[v]",
      "-filter_script:v",
      "/o/.x.partial-1-00000000.mp4.1.filtergraph",
      "-filter_script:a",
      "/o/.x.partial-1-00000000.mp4.2.filtergraph"
    ])
    expect(moved.files.map((f) => f.graph)).toEqual(["[0:v]null[v]", "hflip", "anull"])
  })

  it.effect("runs a filter graph longer than one command-line argument may be", () =>
    Effect.gen(function*() {
      const output = join(tempDir(), "long-graph.mp4")
      const note = "x".repeat(2 * MAX_ARGUMENT_BYTES)
      yield* runFfmpeg({
        args: [
          "-filter_complex",
          `color=c=red:s=64x112:r=10:d=0.5,metadata=mode=add:key=note:value=${note},format=yuv420p[v]`,
          "-map",
          "[v]",
          "-c:v",
          "libx264",
          "-preset",
          "ultrafast"
        ],
        output
      })
      expect(yield* probe(output, { countFrames: true })).toMatchObject({ frames: 5 })
      expect((yield* Effect.promise(() => readdir(tempDir()))).filter((f) => f.includes("filtergraph"))).toEqual([])
    }))
})
