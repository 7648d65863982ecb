/**
 * Render benchmark: the timeline compiler against a hand-written one-command ffmpeg reference, same
 * run, same inputs: six 1920x1080 clips (lavfi, cached), about 25 s of espeak-ng narration, captions,
 * output 1080x1920 H.264 at 30 fps with libx264 preset veryfast (the compiler's default) on both sides.
 *
 *   render_ratio = single-pass render time / reference time    (goal <= 1.05, equal frame counts)
 *   stitch_ratio = (2 segments + audio + stitch) time / single-pass time
 *   ffmpeg_rss_ratio = peak RSS of our single-pass ffmpeg / the reference ffmpeg's   (goal <= 1.0)
 *   layouts = the same timeline at 720x1280 as 1 segment x 2 x264 threads and as 2 segments x 1
 *     thread each (run at once, plus the audio mix and the stitch): what `segments auto` weighs
 *
 * Peak RSS is ffmpeg's own (the largest ffmpeg process of a run, `/usr/bin/time -f %M` wrapped
 * around each one through FFMPEG_PATH), not node's.
 * Each side runs ROUNDS times (env BENCH_ROUNDS, default 2), interleaved; the fastest run counts.
 * Wall time gives the ratios asked for; ffmpeg's CPU time (render_cpu_ratio, stitch_cpu_ratio) is
 * reported beside them because it is far less disturbed by other work on a shared machine.
 * Prints one JSON object.
 */
import { Effect, Either } from "effect"
import { execFile } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises"
import { cpus, loadavg } from "node:os"
import { join, resolve } from "node:path"
import { promisify } from "node:util"
import { assTime } from "../media/captions.ts"
import { ffmpegVersion, runFfmpeg } from "../media/ffmpeg.ts"
import { probe } from "../media/probe.ts"
import { planRender, render, renderSinglePass, type TimelineInput } from "../media/timeline.ts"
import { lavfiClip, referenceArgs } from "./reference.ts"

const CACHE = resolve(".reelswarm/bench/render")
const WORK = join(CACHE, "work")
const FPS = 30
const WIDTH = 1080
const HEIGHT = 1920
const PRESET = "veryfast"
const CRF = 23
const ROUNDS = Math.max(1, Number(process.env["BENCH_ROUNDS"] ?? 2))

const SOURCES = [
  "testsrc2=size=1920x1080:rate=30",
  "mandelbrot=size=1920x1080:rate=30",
  "life=size=1920x1080:rate=30:mold=10:ratio=0.1:death_color=#2b0a3d:life_color=#f5c542",
  "smptehdbars=size=1920x1080:rate=30",
  "cellauto=size=1920x1080:rate=30:rule=110",
  "gradients=size=1920x1080:rate=30:speed=0.02"
]
const CLIP_SECONDS = 5
/** espeak-ng words per minute: about 25 s for the six sentences below. */
const SPEECH_RATE = 172

const SENTENCES = [
  "Deep in the ocean, light fades within the first few hundred metres.",
  "Below that lies the twilight zone, where animals make their own light.",
  "Lantern fish glow along their bellies to hide their shadows from hunters below.",
  "Anglerfish dangle a shining lure to draw curious prey towards their jaws.",
  "Some jellyfish flash blue rings when they are attacked, calling for larger predators.",
  "Scientists think most creatures in the deep sea can make light of some kind."
]

const sh = promisify(execFile)

const ensureMedia = Effect.gen(function*() {
  yield* Effect.promise(() => mkdir(CACHE, { recursive: true }))
  const clips = SOURCES.map((_, i) => join(CACHE, `clip-${i}.mp4`))
  yield* Effect.forEach(SOURCES, (source, i) =>
    existsSync(clips[i]!)
      ? Effect.void
      : lavfiClip(source, CLIP_SECONDS, clips[i]!))
  const narration = join(CACHE, `narration-${SPEECH_RATE}.wav`)
  if (!existsSync(narration)) {
    yield* Effect.promise(() => sh("espeak-ng", ["-s", String(SPEECH_RATE), "-w", narration, SENTENCES.join(" ")]))
  }
  return { clips, narration }
})

const captionsFile = (starts: ReadonlyArray<number>, end: number) =>
  [
    "[Script Info]",
    "ScriptType: v4.00+",
    `PlayResX: ${WIDTH}`,
    `PlayResY: ${HEIGHT}`,
    "WrapStyle: 0",
    "",
    "[V4+ Styles]",
    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
    "Style: Default,DejaVu Sans,64,&H00FFFFFF,&H000000FF,&H00000000,&H80000000,1,0,0,0,100,100,0,0,1,4,0,2,90,90,380,1",
    "",
    "[Events]",
    "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ...SENTENCES.map((text, i) => `Dialogue: 0,${assTime(starts[i]!)},${assTime(starts[i + 1] ?? end)},Default,,0,0,0,,${text}`),
    ""
  ].join("\n")

/**
 * CPU seconds of this process's finished, reaped children (cutime + cstime in /proc/self/stat): the
 * ffmpeg processes. Less sensitive than wall time to other work on a shared machine. Linux only.
 */
const childCpuSeconds = (): number | undefined => {
  if (!existsSync("/proc/self/stat")) return undefined
  const stat = readFileSync("/proc/self/stat", "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS
}
const CLOCK_TICKS = 100

interface Run {
  readonly wall: number
  readonly cpu: number
  /** The largest peak RSS of the run's ffmpeg processes, MB; NaN without /usr/bin/time. */
  readonly rss: number
}

const TIME_BINARY = "/usr/bin/time"
const RSS_LOG = join(CACHE, "ffmpeg-rss.log")
const FFMPEG_WRAPPER = join(CACHE, "ffmpeg-rss.sh")

/** An ffmpeg that appends its peak RSS (KiB) to RSS_LOG, used through FFMPEG_PATH while a run is timed. */
const rssWrapper = Effect.promise(async () => {
  if (!existsSync(TIME_BINARY)) return undefined
  await writeFile(FFMPEG_WRAPPER, `#!/bin/sh\nexec ${TIME_BINARY} -a -o '${RSS_LOG}' -f %M ffmpeg "$@"\n`)
  await chmod(FFMPEG_WRAPPER, 0o755)
  return FFMPEG_WRAPPER
})

const timed = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<Run, E> =>
  Effect.gen(function*() {
    const wrapper = yield* rssWrapper
    yield* Effect.promise(() => writeFile(RSS_LOG, ""))
    const start = performance.now()
    const cpuStart = childCpuSeconds()
    yield* Effect.acquireUseRelease(
      Effect.sync(() => {
        if (wrapper !== undefined) process.env["FFMPEG_PATH"] = wrapper
      }),
      () => effect,
      () =>
        Effect.sync(() => {
          delete process.env["FFMPEG_PATH"]
        })
    )
    const cpuEnd = childCpuSeconds()
    const peaks = (yield* Effect.promise(() => readFile(RSS_LOG, "utf8"))).split("\n").map(Number).filter((n) => n > 0)
    return {
      wall: (performance.now() - start) / 1000,
      cpu: cpuStart === undefined || cpuEnd === undefined ? NaN : cpuEnd - cpuStart,
      rss: peaks.length === 0 ? NaN : Math.max(...peaks) / 1024
    }
  })

const main = Effect.gen(function*() {
  const { clips, narration } = yield* ensureMedia
  const narrationInfo = yield* probe(narration)
  const n = clips.length
  const starts = clips.map((_, i) => (i * narrationInfo.duration) / n)
  const captions = join(CACHE, "captions.ass")
  yield* Effect.promise(() => writeFile(captions, captionsFile(starts, narrationInfo.duration)))
  const clipInfos = yield* Effect.forEach(clips, (c) => probe(c))
  yield* Effect.promise(() => mkdir(WORK, { recursive: true }))
  const input = (path: string, size = { width: WIDTH, height: HEIGHT }): TimelineInput => ({
    scenes: SENTENCES.map((text, i) => ({ text, narration: { start: starts[i]!, end: starts[i + 1] ?? narrationInfo.duration } })),
    shots: clipInfos.map((media) => ({ path: media.file, kind: "video" as const, media })),
    output: {
      path,
      ...size,
      fps: FPS,
      encoder: "libx264",
      encoderSettings: { preset: PRESET, crf: CRF },
      narration: { path: narration, duration: narrationInfo.duration },
      captions,
      workDir: WORK
    }
  })
  const single = Either.getOrThrow(planRender(input(join(WORK, "single.mp4"))))
  const split = Either.getOrThrow(planRender(input(join(WORK, "stitched.mp4")), { segments: 2 }))
  const referenceOut = join(WORK, "reference.mp4")
  const small = { width: 720, height: 1280 }
  const oneByTwo = Either.getOrThrow(planRender(input(join(WORK, "layout-1x2.mp4"), small), { encoderThreads: 2 }))
  const twoByOne = Either.getOrThrow(planRender(input(join(WORK, "layout-2x1.mp4"), small), { segments: 2, encoderThreads: 1 }))
  const loadStart = loadavg()[0]!

  const runs = {
    reference: [] as Array<Run>,
    single: [] as Array<Run>,
    stitched: [] as Array<Run>,
    oneByTwo: [] as Array<Run>,
    twoByOne: [] as Array<Run>
  }
  for (let round = 0; round < ROUNDS; round++) {
    runs.reference.push(yield* timed(runFfmpeg({ args: referenceArgs(single, { preset: PRESET, crf: CRF }), output: referenceOut })))
    runs.single.push(yield* timed(renderSinglePass(single)))
    runs.stitched.push(yield* timed(render(split)))
    runs.oneByTwo.push(yield* timed(render(oneByTwo)))
    runs.twoByOne.push(yield* timed(render(twoByOne)))
  }
  const [singleInfo, referenceInfo, stitchedInfo] = yield* Effect.all([
    probe(single.files.output),
    probe(referenceOut),
    probe(split.files.output)
  ])
  const round3 = (x: number) => Math.round(x * 1000) / 1000
  const best = (xs: ReadonlyArray<Run>, key: keyof Run) => Math.min(...xs.map((r) => r[key]))
  const figures = (r: Run) => ({ wall_s: round3(r.wall), cpu_s: round3(r.cpu), ffmpeg_peak_rss_mb: Math.round(r.rss) })
  const layout = (xs: ReadonlyArray<Run>, segments: number, threads: number) => ({
    segments,
    threads,
    wall_s: round3(best(xs, "wall")),
    cpu_s: round3(best(xs, "cpu")),
    ffmpeg_peak_rss_mb: Math.round(best(xs, "rss"))
  })
  const result = {
    bench: "render",
    ffmpeg: yield* ffmpegVersion(),
    cpus: cpus().length,
    rounds: ROUNDS,
    clips: n,
    clip_size: "1920x1080",
    output_size: `${WIDTH}x${HEIGHT}`,
    fps: FPS,
    encoder: "libx264",
    preset: PRESET,
    crf: CRF,
    narration_seconds: round3(narrationInfo.duration),
    frames: singleInfo.frames,
    reference_frames: referenceInfo.frames,
    stitched_frames: stitchedInfo.frames,
    planned_frames: single.totalFrames,
    output_seconds: round3(singleInfo.duration),
    segments: split.segments.map((s) => s.frames),
    single_pass_s: round3(best(runs.single, "wall")),
    reference_s: round3(best(runs.reference, "wall")),
    stitched_s: round3(best(runs.stitched, "wall")),
    render_ratio: round3(best(runs.single, "wall") / best(runs.reference, "wall")),
    stitch_ratio: round3(best(runs.stitched, "wall") / best(runs.single, "wall")),
    render_cpu_ratio: round3(best(runs.single, "cpu") / best(runs.reference, "cpu")),
    stitch_cpu_ratio: round3(best(runs.stitched, "cpu") / best(runs.single, "cpu")),
    single_ffmpeg_peak_rss_mb: Math.round(best(runs.single, "rss")),
    reference_ffmpeg_peak_rss_mb: Math.round(best(runs.reference, "rss")),
    ffmpeg_rss_ratio: round3(best(runs.single, "rss") / best(runs.reference, "rss")),
    layouts: [layout(runs.oneByTwo, 1, 2), layout(runs.twoByOne, 2, 1)],
    load_average_1m_start: round3(loadStart),
    load_average_1m_end: round3(loadavg()[0]!),
    runs: {
      single: runs.single.map(figures),
      reference: runs.reference.map(figures),
      stitched: runs.stitched.map(figures)
    }
  }
  yield* Effect.promise(() => rm(WORK, { recursive: true, force: true }))
  return result
})

Effect.runPromise(main).then(
  (result) => console.log(JSON.stringify(result)),
  (error) => {
    console.error(error)
    process.exitCode = 1
  }
)
