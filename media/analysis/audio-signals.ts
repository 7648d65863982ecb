/**
 * The audio analyzers, sharing one decode of the first audio stream: `ebur128=peak=true` (EBU R128:
 * momentary and short-term loudness every 100 ms, integrated loudness, loudness range, true peak)
 * and `silencedetect`, both reporting through frame metadata that `ametadata=print` writes to a
 * file. The last 100 ms block's figures are the whole file's (ebur128 keeps them running). Times
 * are seconds from the first video frame, like every time of the report.
 */
import { Effect, Schema } from "effect"
import { join } from "node:path"
import { runFfmpeg } from "../ffmpeg.ts"
import { mediaFileSystem } from "../file-system.ts"
import { filterGraphPath } from "../timeline/filter-escape.ts"
import { analysisFailure } from "./analysis-error.ts"
import { type FrameMetadata, numberAt, parseFrameMetadata } from "./frame-metadata.ts"
import { AnalysisOptions } from "./options.ts"
import { Loudness, LoudnessPoint, Silence } from "./report.ts"
import { roundTo } from "./rounding.ts"

/** ebur128 reports −70 LUFS (its absolute gate) for "nothing measured yet", and far less for digital silence. */
const GATE_LUFS = -70

export class AudioRequest extends Schema.Class<AudioRequest>("AudioRequest")({
  file: Schema.String,
  options: AnalysisOptions,
  /** The video stream's start time (probe): audio times are reported on the video's clock. 0 for audio-only files. */
  videoStartTime: Schema.Number,
  workDir: Schema.String
}) {}

export class AudioAnalysis extends Schema.Class<AudioAnalysis>("AudioAnalysis")({
  loudness: Loudness,
  silences: Schema.Array(Silence),
  /** Where sound starts after a silence (the end of each silence that does not run to the end). */
  onsets: Schema.Array(Schema.Number),
  /** The end of the last audio frame. */
  end: Schema.Number
}) {}

/** The pass's audio filter chain (pure): ebur128, silencedetect, and the print of their metadata into `file`. */
export const audioChain = (options: AnalysisOptions, file: string): string =>
  `ebur128=peak=true:metadata=1,silencedetect=n=${options.silenceNoiseDb}dB:d=${options.silenceMinSeconds},` +
  `ametadata=mode=print:file=${filterGraphPath(file)}`

const metadataFile = (request: AudioRequest) => join(request.workDir, "audio.txt")

/** The ffmpeg arguments of the pass (pure). */
export const audioArgs = (request: AudioRequest, file: string = metadataFile(request)): Array<string> => [
  "-copyts",
  "-i",
  request.file,
  "-map",
  "0:a:0",
  "-af",
  audioChain(request.options, file),
  "-f",
  "null",
  "-"
]

const gated = (value: number | undefined): number | null => (value === undefined || value <= GATE_LUFS ? null : roundTo(value, 2))

const decibels = (linear: number | undefined): number | null =>
  linear === undefined || linear <= 0 ? null : roundTo(20 * Math.log10(linear), 2)

/** The loudest channel's true peak in the frame's running figures (linear amplitude). */
const truePeakOf = (frame: FrameMetadata): number | undefined => {
  const overall = numberAt(frame, "lavfi.r128.true_peak")
  if (overall !== undefined) return overall
  const channels = [...frame.values.keys()].filter((k) => k.startsWith("lavfi.r128.true_peaks_ch")).map((k) => numberAt(frame, k) ?? 0)
  return channels.length === 0 ? undefined : Math.max(...channels)
}

/** The analysis from the printed metadata (pure). */
export const audioAnalysisOf = (text: string, options: AnalysisOptions, videoStartTime: number): AudioAnalysis => {
  const frames = parseFrameMetadata(text)
  const loudnessFrames = frames.filter((f) => f.values.has("lavfi.r128.M"))
  const lastLoudness = loudnessFrames.at(-1)
  const step = loudnessFrames.length > 1 ? loudnessFrames[1]!.time - loudnessFrames[0]!.time : 0.1
  const end = frames.length === 0 ? 0 : frames.at(-1)!.time - videoStartTime + step
  const curve: Array<LoudnessPoint> = []
  let next = 0
  for (const frame of loudnessFrames) {
    // Each figure is measured at the end of its 100 ms block.
    const time = frame.time - videoStartTime + step
    if (time + 1e-6 < next) continue
    curve.push(
      new LoudnessPoint({
        time: roundTo(time, 3),
        momentary: gated(numberAt(frame, "lavfi.r128.M")),
        shortTerm: gated(numberAt(frame, "lavfi.r128.S"))
      })
    )
    next = time + options.curveInterval
  }
  const integrated = lastLoudness === undefined ? null : gated(numberAt(lastLoudness, "lavfi.r128.I"))
  const lra = lastLoudness === undefined ? undefined : numberAt(lastLoudness, "lavfi.r128.LRA")
  const silences: Array<Silence> = []
  let open: number | undefined
  for (const frame of frames) {
    const started = numberAt(frame, "lavfi.silence_start")
    const ended = numberAt(frame, "lavfi.silence_end")
    if (started !== undefined && open === undefined) open = Math.max(0, started - videoStartTime)
    if (ended !== undefined && open !== undefined) {
      silences.push(new Silence({ start: open, end: ended - videoStartTime }))
      open = undefined
    }
  }
  const onsets = silences.map((s) => s.end)
  if (open !== undefined && end > open) silences.push(new Silence({ start: open, end }))
  return new AudioAnalysis({
    loudness: new Loudness({
      integrated,
      lra: integrated === null || lra === undefined ? null : roundTo(lra, 2),
      truePeak: lastLoudness === undefined ? null : decibels(truePeakOf(lastLoudness)),
      curve
    }),
    silences,
    onsets,
    end
  })
}

/** The loudness, silences and onsets of the file's first audio stream, in one ffmpeg pass. */
export const analyzeAudio = Effect.fn("media.analysis.audio")(function*(request: AudioRequest) {
  yield* Effect.annotateCurrentSpan("file", request.file)
  const fs = yield* mediaFileSystem
  const file = metadataFile(request)
  const ioFailure = analysisFailure(request.file, "audio", "fs")
  yield* fs.makeDirectory(request.workDir, { recursive: true }).pipe(Effect.mapError(ioFailure))
  yield* runFfmpeg({ args: audioArgs(request, file) }).pipe(Effect.mapError(analysisFailure(request.file, "audio", "ffmpeg")))
  const text = yield* fs.readFileString(file).pipe(Effect.mapError(ioFailure))
  return audioAnalysisOf(text, request.options, request.videoStartTime)
})
