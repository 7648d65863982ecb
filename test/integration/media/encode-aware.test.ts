/**
 * Content-aware encoding end to end: three clips of three kinds of content (a cellular automaton,
 * a noisy moving test pattern, a drifting gradient) are measured over the frames their scenes read
 * (media/analysis's SI/TI), classed, and rendered with the per-class x264 zones, as a single pass and
 * as two segments with 0.2 s fades: every decoded frame of the two renders hashes the same, the x264
 * in the file reports the zones it was given, and the same plan without content-aware encoding is a
 * different encode (the zones are in effect).
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { X264_CLASS_SETTINGS } from "../../../media/content-class.ts"
import { ENCODER_CATALOGUE } from "../../../media/encoders.ts"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { type MediaInfo, probe } from "../../../media/probe.ts"
import {
  measureShotCharacter,
  planRender,
  render,
  segmentCommand,
  type TimelineInput,
  withShotCharacters
} from "../../../media/timeline.ts"
import { suiteTempDir } from "../../fixtures/temp-dir.ts"

const WIDTH = 320
const HEIGHT = 568
const FPS = 25

const tempDir = suiteTempDir("encode-aware")
const file = (name: string) => join(tempDir(), name)
let clips: ReadonlyArray<MediaInfo>
let narration: MediaInfo

const SOURCES = [
  `cellauto=size=${WIDTH}x${HEIGHT}:rate=${FPS}:rule=110:seed=3,trim=duration=3`,
  `testsrc2=size=${WIDTH}x${HEIGHT}:rate=${FPS}:duration=3,noise=alls=30:allf=t`,
  `gradients=size=${WIDTH}x${HEIGHT}:rate=${FPS}:speed=0.02:seed=4:c0=0x2b5876:c1=0x88d8b0,trim=duration=3`
]

beforeAll(async () => {
  const make = (name: string, args: ReadonlyArray<string>) => Effect.zipRight(runFfmpeg({ args, output: file(name) }), probe(file(name)))
  const made = await Effect.runPromise(
    Effect.all([
      ...SOURCES.map((source, i) =>
        make(`clip-${i}.mp4`, ["-f", "lavfi", "-i", `${source},format=yuv420p`, "-c:v", "libx264", "-preset", "ultrafast", "-qp", "10"])
      ),
      make("narration.wav", ["-f", "lavfi", "-i", "sine=frequency=330:duration=6.1", "-ac", "1"])
    ], { concurrency: 2 })
  )
  clips = made.slice(0, SOURCES.length)
  narration = made[SOURCES.length]!
})

/** Six scenes over the three clips, each clip twice, content-aware libx264 at the default quality. */
const timeline = (name: string, contentAware: boolean): TimelineInput => {
  const starts = [0, 0.9, 1.8, 2.9, 3.8, 5.0]
  return {
    scenes: starts.map((start, i) => ({ text: `scene ${i}`, narration: { start, end: (starts[i + 1] ?? 6.1) - 0.05 } })),
    shots: starts.map((_, i) => ({ path: clips[i % 3]!.file, kind: "video" as const, inPoint: 0.3 * (i % 2), media: clips[i % 3]! })),
    output: {
      path: file(`${name}.mp4`),
      width: WIDTH,
      height: HEIGHT,
      fps: FPS,
      encoder: "libx264",
      encoderSettings: { contentAware },
      narration: { path: narration.file, duration: narration.duration },
      transition: { kind: "fade", duration: 0.2 },
      workDir: file(`${name}-work`)
    }
  }
}

/** ffmpeg's MD5 of every decoded video frame, with its timestamp. */
const frameHashes = (output: string) =>
  Effect.gen(function*() {
    const list = `${output}.framemd5`
    yield* runFfmpeg({ args: ["-i", output, "-map", "0:v:0", "-f", "framemd5"], output: list })
    const text = yield* Effect.promise(() => readFile(list, "utf8"))
    return text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) => l.split(",").map((c) => c.trim()).slice(2).join(" "))
  })

/** The options string x264 writes into the stream (its SEI): what the encoder was actually given. */
const x264Options = (output: string) =>
  Effect.promise(async () => {
    const bytes = (await readFile(output)).toString("latin1")
    const start = bytes.indexOf("options: ")
    return start < 0 ? "" : bytes.slice(start, bytes.indexOf("\0", start))
  })

describe("content-aware encoding", () => {
  it.effect(
    "classes scenes by measured SI/TI, and --segments 2 decodes to the single pass's frames with the per-class zones",
    () =>
      Effect.gen(function*() {
        const measured = yield* withShotCharacters(timeline("aware-1", true), measureShotCharacter)
        const one = yield* planRender(measured, { segments: 1 })
        expect(one.scenes.map((s) => s.contentClass)).toEqual([
          "text-graphics",
          "high-motion",
          "calm",
          "text-graphics",
          "high-motion",
          "calm"
        ])
        const two = yield* planRender({
          ...measured,
          output: { ...measured.output, path: file("aware-2.mp4"), workDir: file("aware-2-work") }
        }, {
          segments: 2,
          decoderLimit: 12
        })
        expect(two.segments).toHaveLength(2)
        // The per-class settings are on the command line: the graphics scene's multi-hexagon search, the motion scene's deblocking.
        const params = segmentCommand(two, 0, ENCODER_CATALOGUE.find((e) => e.name === "libx264")!).args.join(" ")
        expect(params).toContain(`me=${X264_CLASS_SETTINGS["text-graphics"].options.me}`)
        expect(params).toContain(`deblock=${X264_CLASS_SETTINGS["high-motion"].options.deblock}`)

        const plain = yield* planRender(timeline("plain", false), { segments: 1 })
        yield* render(one)
        yield* render(two)
        yield* render(plain)
        const [single, stitched, fixed] = yield* Effect.all([one, two, plain].map((p) => frameHashes(p.files.output)))
        expect(single).toHaveLength(one.totalFrames)
        expect(stitched).toEqual(single)
        expect(fixed).toHaveLength(one.totalFrames)
        expect(fixed).not.toEqual(single)
        // x264 got the zones (it lists them in the options it writes into the stream).
        const options = yield* x264Options(one.files.output)
        expect(options).toMatch(/zones=0,\d+,q=28,me=umh,subme=7,ref=3/)
        expect(yield* x264Options(plain.files.output)).not.toContain("zones=")
      }),
    { timeout: 240_000 }
  )
})
