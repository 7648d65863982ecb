/** Tiny real media for the timeline tests, made with lavfi sources in a temp directory. */
import { Effect } from "effect"
import { writeFile } from "node:fs/promises"
import { join } from "node:path"
import { runFfmpeg } from "../../../media/ffmpeg.ts"
import { probe } from "../../../media/probe.ts"
import type { TimelineInput, TimelineOutput } from "../../../media/timeline.ts"

/** A caption file name that needs every kind of filter-graph escaping. */
export const CAPTIONS_NAME = "cap's: [x,y] 100% 字幕 \\ ملف.ass"

const ASS = `[Script Info]
ScriptType: v4.00+
PlayResX: 180
PlayResY: 320

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,DejaVu Sans,40,&H0000FFFF,&H000000FF,&H00000000,&H00000000,1,0,0,0,100,100,0,0,3,4,0,2,10,10,20,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.00,0:00:10.00,Default,,0,0,0,,HELLO
`

export interface Fixtures {
  readonly dir: string
  readonly narrationSeconds: number
  readonly input: (output: Partial<TimelineOutput> & { readonly path: string }) => TimelineInput
}

export const makeFixtures = (dir: string) =>
  Effect.gen(function*() {
    const file = (name: string) => join(dir, name)
    const make = (name: string, args: ReadonlyArray<string>) => runFfmpeg({ args, output: file(name) })
    yield* Effect.all([
      make("wide clip.mp4", [
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x180:rate=25:duration=2",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p"
      ]),
      make("short.mp4", [
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=180x320:rate=30:duration=0.6",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p"
      ]),
      make("still.png", ["-f", "lavfi", "-i", "mandelbrot=size=320x240", "-frames:v", "1"]),
      make("narration.wav", ["-f", "lavfi", "-i", "sine=frequency=440:duration=2.43", "-ac", "1"]),
      make("music.wav", ["-f", "lavfi", "-i", "sine=frequency=220:duration=0.9"]),
      Effect.promise(() => writeFile(file(CAPTIONS_NAME), ASS))
    ], { concurrency: 2 })
    const [wide, short, still, narration] = yield* Effect.all([
      probe(file("wide clip.mp4")),
      probe(file("short.mp4")),
      probe(file("still.png")),
      probe(file("narration.wav"))
    ])
    const input = (output: Partial<TimelineOutput> & { readonly path: string }): TimelineInput => ({
      scenes: [
        { text: "one", narration: { start: 0, end: 0.7 } },
        { text: "two", narration: { start: 0.8, end: 1.5 } },
        { text: "three", narration: { start: 1.6, end: 2.4 } }
      ],
      shots: [
        { path: wide.file, kind: "video", inPoint: 0.5, media: wide },
        { path: short.file, kind: "video", media: short },
        { path: still.file, kind: "image", media: still, motion: "zoom-in" }
      ],
      output: {
        width: 180,
        height: 320,
        fps: 25,
        encoder: "libx264",
        // Lossless, so decoded frames of different renders can be compared hash for hash.
        encoderSettings: { preset: "ultrafast", crf: 0 },
        narration: { path: narration.file, duration: narration.duration },
        workDir: join(dir, "work"),
        ...output
      }
    })
    return { dir, narrationSeconds: narration.duration, input } satisfies Fixtures
  })
