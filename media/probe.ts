/**
 * ffprobe: what a media file is (duration, size, frame rate, rotation, audio), with a typed
 * `ProbeError` naming the file when it cannot be read. ffprobe runs through the `ProcessRunner`, so
 * an interrupted probe stops the process (fluent-ffmpeg's `ffprobe` offers no way to stop it);
 * its JSON output has the shape of fluent-ffmpeg's `FfprobeData`, whose types are used here.
 */
import { Effect, Schema } from "effect"
import type { FfprobeData, FfprobeStream } from "fluent-ffmpeg"
import { runProcess } from "./process-runner.ts"

export interface MediaInfo {
  readonly file: string
  /** Seconds; for still images 0. */
  readonly duration: number
  /** Display size: width and height are swapped when the stream is rotated by ±90°. */
  readonly width: number
  readonly height: number
  /** Average frame rate (0 when unknown, e.g. still images). */
  readonly fps: number
  /** Number of video frames: counted when `countFrames` was asked, else the container's figure if any. */
  readonly frames?: number | undefined
  readonly hasVideo: boolean
  readonly hasAudio: boolean
  /** Video codec name (e.g. "h264", "png"), or the audio codec for audio-only files. */
  readonly codec: string
  readonly audioCodec?: string | undefined
  readonly sampleRate?: number | undefined
  /** Rotation in degrees (0, 90, 180, 270) from the display matrix or the rotate tag. */
  readonly rotation: number
  /** True for single-frame images (png, jpeg, webp …). */
  readonly isImage: boolean
  readonly formatName: string
  readonly pixelFormat?: string | undefined
  readonly bitRate?: number | undefined
  /** The video and audio streams' start times (seconds in the container's timeline), when given. */
  readonly videoStartTime?: number | undefined
  readonly audioStartTime?: number | undefined
}

export interface ProbeOptions {
  /** Decode the whole video stream to count frames exactly (slow on long files). */
  readonly countFrames?: boolean | undefined
}

export class ProbeError extends Schema.TaggedError<ProbeError>()("ProbeError", {
  file: Schema.String,
  reason: Schema.Literal("unreadable", "no-streams"),
  message: Schema.String
}) {}

const IMAGE_CODECS = new Set(["png", "mjpeg", "jpegls", "webp", "bmp", "tiff", "gif", "jpeg2000", "ljpeg"])
const IMAGE_FORMATS = /image2|_pipe$|png|jpeg|webp|bmp|tiff/

/** "30000/1001" → 29.97; "0/0" → 0. */
export const parseRate = (rate: string | undefined): number => {
  if (rate === undefined) return 0
  const [num, den] = rate.split("/").map(Number)
  if (num === undefined || !Number.isFinite(num)) return 0
  if (den === undefined) return num
  return den > 0 && Number.isFinite(den) ? num / den : 0
}

const finite = (value: unknown): number | undefined => {
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN
  return Number.isFinite(n) ? n : undefined
}

const positive = (value: unknown): number | undefined => {
  const n = finite(value)
  return n !== undefined && n > 0 ? n : undefined
}

const rotationOf = (stream: FfprobeStream): number => {
  const sideData = (stream as { side_data_list?: ReadonlyArray<{ rotation?: number | string }> }).side_data_list
  // fluent-ffmpeg flattens ffprobe's [SIDE_DATA] section into the stream; JSON output nests it.
  const fromMatrix = (stream as { rotation?: number | string }).rotation ?? sideData?.map((s) => s.rotation).find((r) => r !== undefined)
  const raw = fromMatrix ?? (stream.tags as Record<string, string | number> | undefined)?.["rotate"] ?? 0
  const degrees = Number(raw)
  return Number.isFinite(degrees) ? ((Math.round(degrees) % 360) + 360) % 360 : 0
}

/** Turns ffprobe's JSON into `MediaInfo` (pure; exported for the footage index). */
export const toMediaInfo = (file: string, data: FfprobeData): MediaInfo | undefined => {
  const video = data.streams.find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1)
  const audio = data.streams.find((s) => s.codec_type === "audio")
  if (video === undefined && audio === undefined) return undefined
  const formatName = data.format.format_name ?? ""
  const rotation = video === undefined ? 0 : rotationOf(video)
  const codedWidth = video?.width ?? 0
  const codedHeight = video?.height ?? 0
  const sideways = rotation === 90 || rotation === 270
  const codec = video?.codec_name ?? audio?.codec_name ?? ""
  const isImage = video !== undefined && audio === undefined && IMAGE_CODECS.has(codec) && IMAGE_FORMATS.test(formatName)
  const counted = positive((video as { nb_read_frames?: string } | undefined)?.nb_read_frames)
  const frames = counted ?? positive(video?.nb_frames)
  const duration = isImage ? 0 : positive(data.format.duration) ?? positive(video?.duration) ?? positive(audio?.duration) ?? 0
  const fps = isImage ? 0 : parseRate(video?.avg_frame_rate) || parseRate(video?.r_frame_rate)
  return {
    file,
    duration,
    width: sideways ? codedHeight : codedWidth,
    height: sideways ? codedWidth : codedHeight,
    fps,
    frames: isImage ? 1 : frames,
    hasVideo: video !== undefined,
    hasAudio: audio !== undefined,
    codec,
    audioCodec: audio?.codec_name,
    sampleRate: positive(audio?.sample_rate),
    rotation,
    isImage,
    formatName,
    pixelFormat: video?.pix_fmt,
    bitRate: positive(data.format.bit_rate),
    videoStartTime: finite(video?.start_time),
    audioStartTime: finite(audio?.start_time)
  }
}

/** The ffprobe binary: $FFPROBE_PATH (as fluent-ffmpeg honoured it) or `ffprobe` on PATH. */
const ffprobeBinary = () => process.env["FFPROBE_PATH"] ?? "ffprobe"

const isProbeData = (value: unknown): value is FfprobeData =>
  typeof value === "object" && value !== null && Array.isArray((value as { streams?: unknown }).streams) &&
  typeof (value as { format?: unknown }).format === "object"

/** Probes `file`. Fails with `ProbeError` when ffprobe cannot read it or it has no audio/video stream. */
export const probe = Effect.fn("media.probe")(function*(file: string, options: ProbeOptions = {}) {
  yield* Effect.annotateCurrentSpan("file", file)
  const extra = options.countFrames === true ? ["-count_frames"] : []
  const unreadable = (detail: string) => new ProbeError({ file, reason: "unreadable", message: `cannot probe ${file}: ${detail}` })
  const { stdout } = yield* runProcess({
    command: ffprobeBinary(),
    args: ["-hide_banner", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", ...extra, file],
    captureStdout: true
  }).pipe(
    Effect.mapError((error) => unreadable(error.stderr.split(/\r?\n/).filter((l) => l.trim() !== "").slice(-1).join("") || error.message))
  )
  const data = yield* Effect.try({ try: (): unknown => JSON.parse(stdout), catch: () => unreadable("ffprobe printed no JSON") })
  if (!isProbeData(data)) return yield* unreadable("ffprobe printed no streams and format")
  const info = toMediaInfo(file, data)
  if (info === undefined) {
    return yield* new ProbeError({ file, reason: "no-streams", message: `${file} has no audio or video stream` })
  }
  return info
})
