/**
 * The video analyzers that share one decode: a single ffmpeg pass over a time range of a file runs
 * each chosen analyzer's filter on the same frames, scaled down once to the analysis width:
 *
 *   on the luma plane scdet (cut scores), blackdetect, freezedetect, siti (SI/TI) and
 *   photosensitivity (flash badness, in bypass mode, last: it hands on the previous frame's
 *   picture); signalstats (brightness, saturation: means) on a SIGNAL_WIDTH copy, and a 16x9 RGB copy
 *   of every frame (dominant colours) from it; `metadata=print` writes every frame's results to a
 *   file, parsed here. In the same pass, every `sampleInterval` seconds, a thumbnail and a grey OCR
 *   frame taken from the full-size picture.
 *
 * A range after the file's start is decoded from `lead` seconds earlier, so the filters that look
 * back (scdet's previous frame, TI, freezedetect's reference, photosensitivity's window) see what
 * came before it; only frames inside the range are reported, and black and frozen intervals keep
 * their true start even inside the lead, so intervals of neighbouring ranges can be joined.
 */
import { Effect, Schema } from "effect"
import { dirname, join } from "node:path"
import { runFfmpeg } from "../ffmpeg.ts"
import { mediaFileSystem } from "../file-system.ts"
import { filterGraphPath } from "../timeline/filter-escape.ts"
import { analysisFailure } from "./analysis-error.ts"
import { type FrameMetadata, numberAt, parseFrameMetadata } from "./frame-metadata.ts"
import { AnalysisOptions } from "./options.ts"
import { roundTo } from "./rounding.ts"

export const VideoAnalyzer = Schema.Literal("shots", "signal", "siti", "black", "frozen", "flashes", "colours", "samples")
export type VideoAnalyzer = typeof VideoAnalyzer.Type

export const ALL_VIDEO_ANALYZERS: ReadonlyArray<VideoAnalyzer> = VideoAnalyzer.literals

/** Size of the per-frame colour picture (RGB24) that dominant colours are counted on. */
export const COLOUR_WIDTH = 16
export const COLOUR_HEIGHT = 9
/** Width of the copy signalstats measures (brightness and saturation are means, which a downscale keeps). */
export const SIGNAL_WIDTH = 160
/** Width of the sampled thumbnails (JPEG). */
export const THUMBNAIL_WIDTH = 192

export class VideoRangeRequest extends Schema.Class<VideoRangeRequest>("VideoRangeRequest")({
  file: Schema.String,
  analyzers: Schema.Array(VideoAnalyzer),
  options: AnalysisOptions,
  /** The range reported, seconds from the first frame; no end: to the end of the file. */
  start: Schema.Number,
  end: Schema.optional(Schema.Number),
  /** Seconds decoded before `start` and not reported (0 at the file's start). */
  lead: Schema.Number,
  /** The video stream's frame rate and start time (probe), which turn timestamps into report times. */
  fps: Schema.Number,
  videoStartTime: Schema.Number,
  /** A folder of this analysis's own: the pass writes its metadata, colour frames and samples under it. */
  workDir: Schema.String
}) {}

/** A sampled frame: its time, and its thumbnail and OCR picture when those were asked for. */
export class FrameSample extends Schema.Class<FrameSample>("FrameSample")({
  time: Schema.Number,
  thumbnail: Schema.String,
  ocrFrame: Schema.String
}) {}

export class RawSpan extends Schema.Class<RawSpan>("RawSpan")({ start: Schema.Number, end: Schema.Number }) {}

/** What one pass found. The per-frame arrays are empty for analyzers that were not asked for. */
export class VideoRange extends Schema.Class<VideoRange>("VideoRange")({
  start: Schema.Number,
  /** The end of the last reported frame. */
  end: Schema.Number,
  /** Report times of the reported frames, in order. */
  times: Schema.Array(Schema.Number),
  brightness: Schema.Array(Schema.Number),
  saturation: Schema.Array(Schema.Number),
  cutScores: Schema.Array(Schema.Number),
  si: Schema.Array(Schema.Number),
  ti: Schema.Array(Schema.Number),
  /** photosensitivity's score over its window of frames, and each frame's own part of it. */
  badness: Schema.Array(Schema.Number),
  frameBadness: Schema.Array(Schema.Number),
  black: Schema.Array(RawSpan),
  frozen: Schema.Array(RawSpan),
  samples: Schema.Array(FrameSample),
  /** The RGB24 file of COLOUR_WIDTH x COLOUR_HEIGHT frames, and how many frames of the lead open it. */
  colours: Schema.optional(Schema.Struct({ file: Schema.String, skipFrames: Schema.Int }))
}) {}

const fixed = (n: number) => String(roundTo(n, 6))

interface PassFiles {
  readonly metadata: string
  readonly signal: string
  readonly samples: string
  readonly colours: string
  readonly thumbnails: string
  readonly ocrFrames: string
}

const passFiles = (request: VideoRangeRequest): PassFiles => {
  const dir = join(request.workDir, `video-${fixed(request.start).replace(".", "_")}`)
  return {
    metadata: join(dir, "frames.txt"),
    signal: join(dir, "signal.txt"),
    samples: join(dir, "samples.txt"),
    colours: join(dir, "colours.rgb"),
    thumbnails: join(dir, "thumb-%06d.jpg"),
    ocrFrames: join(dir, "ocr-%06d.jpg")
  }
}

/** The luma-plane filters of the chosen analyzers, in their chain order. */
const lumaFilters = (analyzers: ReadonlySet<VideoAnalyzer>, o: AnalysisOptions): Array<string> => [
  ...(analyzers.has("shots") ? [`scdet=threshold=${o.cutThreshold}`] : []),
  ...(analyzers.has("black")
    ? [`blackdetect=d=${o.blackMinSeconds}:pix_th=${o.blackPixelThreshold}:pic_th=${o.blackPictureRatio}`]
    : []),
  ...(analyzers.has("frozen") ? [`freezedetect=n=${o.freezeNoiseDb}dB:d=${o.freezeMinSeconds}`] : []),
  ...(analyzers.has("siti") ? ["siti"] : []),
  ...(analyzers.has("flashes") ? ["photosensitivity=bypass=1"] : [])
]

/** The pass's filter graph and its outputs (pure): `[frames]` always; `[signal]`, `[colours]`, `[thumbs]`, `[ocr]` when asked for. */
export const videoRangeGraph = (request: VideoRangeRequest, files: PassFiles = passFiles(request)) => {
  const analyzers = new Set(request.analyzers)
  const o = request.options
  const sampled = analyzers.has("samples")
  const coloured = analyzers.has("colours")
  const signal = analyzers.has("signal")
  // Every frame gets one entry of its own, so a print lists every frame even when no analyzer marked it.
  const everyFrame = "metadata=mode=add:key=reelswarm.frame:value=1"
  const lines: Array<string> = []
  lines.push(sampled ? "[0:v:0]split=2[main][sampled]" : "[0:v:0]null[main]")
  const small = signal || coloured
  lines.push(`[main]scale='min(${o.analysisWidth},iw)':-2:flags=area${small ? ",split=2[luma][small]" : "[luma]"}`)
  if (small) {
    // Means survive an area downscale, so signalstats reads a small copy; the colour frames come from it too.
    const stats = signal ? `,signalstats,${everyFrame},metadata=mode=print:file=${filterGraphPath(files.signal)}` : ""
    lines.push(
      `[small]scale='min(${SIGNAL_WIDTH},iw)':-2:flags=area${stats}${
        coloured ? (signal ? ",split=2[signal][colour]" : "[colour]") : "[signal]"
      }`
    )
    if (coloured) lines.push(`[colour]scale=${COLOUR_WIDTH}:${COLOUR_HEIGHT}:flags=area,format=rgb24[colours]`)
  }
  const chain = ["format=gray", ...lumaFilters(analyzers, o), everyFrame]
  lines.push(`[luma]${chain.join(",")},metadata=mode=print:file=${filterGraphPath(files.metadata)}[frames]`)
  if (sampled) {
    const frameDuration = 1 / request.fps
    // The first frame at or after each multiple of the interval, in report time.
    const select = `lt(mod(t-${fixed(request.videoStartTime)}+${fixed(frameDuration / 100)}\\,${o.sampleInterval})\\,${
      fixed(frameDuration)
    })`
    lines.push(
      `[sampled]select='${select}',metadata=mode=add:key=reelswarm.sample:value=1,` +
        `metadata=mode=print:file=${filterGraphPath(files.samples)},split=2[thumb][text]`
    )
    lines.push(`[thumb]scale=${THUMBNAIL_WIDTH}:-2,format=yuvj420p[thumbs]`)
    lines.push(`[text]scale='min(${o.ocrWidth},iw)':-2,format=gray[ocr]`)
  }
  return { graph: lines.join(";\n"), sampled, coloured, signal }
}

/**
 * The ffmpeg arguments of the pass (pure). With `audioChain`, the same graph also runs that chain on
 * the first audio stream: all the analyzers in one pass (what the bench compares the swarm with).
 */
export const videoRangeArgs = (request: VideoRangeRequest, audioChain?: string, files: PassFiles = passFiles(request)): Array<string> => {
  const video = videoRangeGraph(request, files)
  const { coloured, sampled, signal } = video
  const graph = audioChain === undefined ? video.graph : `${video.graph};\n[0:a:0]${audioChain}[audio]`
  const decodeStart = Math.max(0, request.start - request.lead)
  const seek = decodeStart > 0 ? ["-seek_timestamp", "1", "-ss", fixed(request.videoStartTime + decodeStart)] : []
  const limit = request.end === undefined ? [] : ["-t", fixed(request.end - decodeStart)]
  const each = ["-fps_mode", "passthrough"]
  return [
    "-copyts",
    ...seek,
    ...limit,
    "-i",
    request.file,
    "-filter_complex",
    graph,
    "-map",
    "[frames]",
    ...each,
    "-f",
    "null",
    "-",
    ...(signal ? ["-map", "[signal]", ...each, "-f", "null", "-"] : []),
    ...(coloured ? ["-map", "[colours]", ...each, "-f", "rawvideo", files.colours] : []),
    ...(sampled
      ? ["-map", "[thumbs]", ...each, "-q:v", "4", files.thumbnails, "-map", "[ocr]", ...each, "-q:v", "2", files.ocrFrames]
      : []),
    ...(audioChain === undefined ? [] : ["-map", "[audio]", "-f", "null", "-"])
  ]
}

/**
 * Intervals from a filter's start and end marks, in order; one still open at the last frame ends at `end`.
 * Marks before `from` (frames of the lead) count too, so an interval keeps its true start.
 */
const spansOf = (frames: ReadonlyArray<FrameMetadata>, startKey: string, endKey: string, offset: number, end: number) => {
  const spans: Array<RawSpan> = []
  let open: number | undefined
  for (const frame of frames) {
    const started = numberAt(frame, startKey)
    const ended = numberAt(frame, endKey)
    if (ended !== undefined && open !== undefined) {
      spans.push(new RawSpan({ start: open, end: ended - offset }))
      open = undefined
    }
    if (started !== undefined && open === undefined) open = started - offset
  }
  if (open !== undefined && end > open) spans.push(new RawSpan({ start: open, end }))
  return spans
}

/** Turns the pass's files into its result (reads them; pure otherwise). */
const collect = (
  request: VideoRangeRequest,
  files: PassFiles,
  texts: { readonly frames: string; readonly signal: string; readonly samples: string }
) => {
  const analyzers = new Set(request.analyzers)
  const frameDuration = 1 / request.fps
  const all = parseFrameMetadata(texts.frames)
  // The signal copy's print lists the same frames in the same order.
  const signal = parseFrameMetadata(texts.signal)
  const offset = request.videoStartTime
  const inRange = (time: number) =>
    time >= request.start - frameDuration / 2 && (request.end === undefined || time < request.end - frameDuration / 2)
  const reportedAt = all.flatMap((f, i) => (inRange(f.time - offset) ? [i] : []))
  const reported = reportedAt.map((i) => all[i]!)
  const skipFrames = reportedAt[0] ?? 0
  const last = reported.at(-1)
  const end = request.end ?? (last === undefined ? request.start : last.time - offset + frameDuration)
  const series = (on: boolean, key: string, from: ReadonlyArray<FrameMetadata> = all) =>
    on ? reportedAt.map((i) => (from[i] === undefined ? 0 : numberAt(from[i], key) ?? 0)) : []
  const samplesText = texts.samples
  const samples = parseFrameMetadata(samplesText).flatMap((frame, i) => {
    const time = frame.time - offset
    if (!inRange(time)) return []
    const n = String(i + 1).padStart(6, "0")
    return [
      new FrameSample({
        time,
        thumbnail: files.thumbnails.replace("%06d", n),
        ocrFrame: files.ocrFrames.replace("%06d", n)
      })
    ]
  })
  return new VideoRange({
    start: request.start,
    end,
    times: reported.map((f) => f.time - offset),
    brightness: series(analyzers.has("signal"), "lavfi.signalstats.YAVG", signal),
    saturation: series(analyzers.has("signal"), "lavfi.signalstats.SATAVG", signal),
    cutScores: series(analyzers.has("shots"), "lavfi.scd.score"),
    si: series(analyzers.has("siti"), "lavfi.siti.si"),
    ti: series(analyzers.has("siti"), "lavfi.siti.ti"),
    badness: series(analyzers.has("flashes"), "lavfi.photosensitivity.badness"),
    frameBadness: series(analyzers.has("flashes"), "lavfi.photosensitivity.frame-badness"),
    black: analyzers.has("black") ? spansOf(all, "lavfi.black_start", "lavfi.black_end", offset, end) : [],
    frozen: analyzers.has("frozen")
      ? spansOf(all, "lavfi.freezedetect.freeze_start", "lavfi.freezedetect.freeze_end", offset, end)
      : [],
    samples,
    ...(analyzers.has("colours") ? { colours: { file: files.colours, skipFrames } } : {})
  })
}

/** Runs the pass's ffmpeg (with `audioChain`, the audio analyzers too), its folder made first; returns where it wrote. */
export const runVideoRangePass = (request: VideoRangeRequest, audioChain?: string) =>
  Effect.gen(function*() {
    const files = passFiles(request)
    const fs = yield* mediaFileSystem
    yield* fs.makeDirectory(dirname(files.metadata), { recursive: true }).pipe(
      Effect.mapError(analysisFailure(request.file, "video", "fs"))
    )
    yield* runFfmpeg({ args: videoRangeArgs(request, audioChain, files) }).pipe(
      Effect.mapError(analysisFailure(request.file, "video", "ffmpeg"))
    )
    return files
  })

/** Runs the chosen video analyzers over one range of a file in a single ffmpeg pass. */
export const analyzeVideoRange = Effect.fn("media.analysis.videoRange")(function*(request: VideoRangeRequest) {
  yield* Effect.annotateCurrentSpan({ file: request.file, start: request.start, end: request.end ?? -1 })
  const files = yield* runVideoRangePass(request)
  const fs = yield* mediaFileSystem
  const ioFailure = analysisFailure(request.file, "video", "fs")
  const read = (file: string, wanted: boolean) => (wanted ? fs.readFileString(file).pipe(Effect.mapError(ioFailure)) : Effect.succeed(""))
  return collect(request, files, {
    frames: yield* read(files.metadata, true),
    signal: yield* read(files.signal, request.analyzers.includes("signal")),
    samples: yield* read(files.samples, request.analyzers.includes("samples"))
  })
})
