/**
 * `--segments k` renders what the single pass renders, frame for frame, at the default (lossy)
 * encoder settings: busy footage (noise over test patterns, a fractal, cellular automata), hard cuts
 * and a fade, rendered with 1, 2 and 3 segments; every decoded video frame and every audio packet of
 * the three outputs is hashed and compared.
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { promisify } from "node:util"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { type MediaInfo, probe } from "../../../media/probe.ts"
import { cutCandidates, planRender, render, type TimelineInput } from "../../../media/timeline.ts"
import { suiteTempDir } from "../../fixtures/temp-dir.ts"

const WIDTH = 320
const HEIGHT = 568
const FPS = 25

const tempDir = suiteTempDir("segments-identity")
const file = (name: string) => join(tempDir(), name)
let clips: ReadonlyArray<MediaInfo>
let narration: MediaInfo

/** Sources x264 has to work hard on: every frame full of fresh detail. */
const SOURCES = [
  `testsrc2=size=${WIDTH}x${HEIGHT}:rate=${FPS}:duration=3,noise=alls=30:allf=t`,
  `mandelbrot=size=${WIDTH}x${HEIGHT}:rate=${FPS},trim=duration=3,noise=alls=20:allf=t`,
  `cellauto=size=${WIDTH}x${HEIGHT}:rate=${FPS}:rule=110:seed=3,trim=duration=3`,
  `life=size=${WIDTH}x${HEIGHT}:rate=${FPS}:seed=7:mold=10:ratio=0.3,trim=duration=3`
]

beforeAll(async () => {
  const make = (name: string, args: ReadonlyArray<string>) => Effect.zipRight(runFfmpeg({ args, output: file(name) }), probe(file(name)))
  const made = await Effect.runPromise(
    Effect.all([
      ...SOURCES.map((source, i) =>
        make(`clip-${i}.mp4`, ["-f", "lavfi", "-i", `${source},format=yuv420p`, "-c:v", "libx264", "-preset", "ultrafast", "-qp", "10"])
      ),
      make("narration.wav", ["-f", "lavfi", "-i", "sine=frequency=330:duration=6.1", "-ac", "1"]),
      make("music.wav", ["-f", "lavfi", "-i", "sine=frequency=220:duration=1.3"])
    ], { concurrency: 2 })
  )
  clips = made.slice(0, SOURCES.length)
  narration = made[SOURCES.length]!
})

/** Six scenes over four clips, default encoder settings (libx264 veryfast, quality 23). */
const timeline = (name: string, transition?: { readonly kind: string; readonly duration: number }): TimelineInput => {
  const starts = [0, 0.9, 1.8, 2.9, 3.8, 5.0]
  return {
    scenes: starts.map((start, i) => ({ text: `scene ${i}`, narration: { start, end: (starts[i + 1] ?? 6.1) - 0.05 } })),
    shots: starts.map((_, i) => ({
      path: clips[i % clips.length]!.file,
      kind: "video" as const,
      inPoint: 0.2 * i,
      media: clips[i % clips.length]!
    })),
    output: {
      path: file(`${name}.mp4`),
      width: WIDTH,
      height: HEIGHT,
      fps: FPS,
      encoder: "libx264",
      narration: { path: narration.file, duration: narration.duration },
      music: { path: file("music.wav"), volume: 0.2 },
      ...(transition === undefined ? {} : { transition }),
      workDir: file(`${name}-work`)
    }
  }
}

/** ffmpeg's per-frame hashes of one stream (`v`: decoded frames; `a`: audio packets as stored), with their timestamps. */
const hashes = (output: string, stream: "v" | "a") =>
  Effect.gen(function*() {
    const list = `${output}.${stream}.framemd5`
    const codec = stream === "a" ? ["-c:a", "copy"] : []
    yield* runFfmpeg({ args: ["-i", output, "-map", `0:${stream}:0`, ...codec, "-f", "framemd5"], output: list })
    const text = yield* Effect.promise(() => readFile(list, "utf8"))
    return text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) => {
      const f = l.split(",").map((c) => c.trim())
      return `${f[2]} ${f[4]} ${f[5]}`
    })
  })

/** Frame numbers (in presentation order) of the video's key frames. */
const keyFrames = (output: string) =>
  Effect.promise(async () => {
    const { stdout } = await promisify(execFile)("ffprobe", [
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-show_entries",
      "packet=pts,flags",
      "-of",
      "csv=p=0",
      output
    ])
    const packets = stdout.trim().split("\n").map((l) => l.split(",")).map(([pts, flags]) => ({
      pts: Number(pts),
      key: flags!.startsWith("K")
    }))
    const order = packets.map((p) => p.pts).sort((a, b) => a - b)
    return packets.filter((p) => p.key).map((p) => order.indexOf(p.pts))
  })

describe("segmented renders", () => {
  for (const transition of [undefined, { kind: "fade", duration: 0.2 }]) {
    it.effect(`--segments 1, 2 and 3 give the same decoded frames and the same audio packets (${transition === undefined ? "hard cuts" : "fades"})`, () =>
      Effect.gen(function*() {
        const name = transition === undefined ? "cuts" : "fades"
        // K high enough for three segments of this timeline (K's own rule is the plan's unit tests' business).
        const plans = yield* Effect.all(
          [1, 2, 3].map((k) => planRender(timeline(`${name}-${k}`, transition), { segments: k, decoderLimit: 12 }))
        )
        expect(plans.map((p) => p.segments.length)).toEqual([1, 2, 3])
        expect(plans[0]!.totalFrames).toBe(Math.round(6.1 * FPS))
        for (const plan of plans) yield* render(plan)
        const [video, audio] = yield* Effect.all([
          Effect.all(plans.map((p) => hashes(p.files.output, "v"))),
          Effect.all(plans.map((p) => hashes(p.files.output, "a")))
        ])
        expect(video[0]).toHaveLength(plans[0]!.totalFrames)
        expect(video[1]).toEqual(video[0])
        expect(video[2]).toEqual(video[0])
        expect(audio[0]!.length).toBeGreaterThan(0)
        expect(audio[1]).toEqual(audio[0])
        expect(audio[2]).toEqual(audio[0])
        // Every place a segment may start is a key frame of the single pass, as it is of every render.
        const keys = yield* keyFrames(plans[0]!.files.output)
        expect(keys).toEqual(expect.arrayContaining([0, ...cutCandidates(plans[0]!)]))
      }))
  }
})
