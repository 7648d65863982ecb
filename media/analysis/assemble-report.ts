/**
 * One file's report from what its analyzers found: the joined video passes, the audio pass and the
 * text read. Shots get their signal figures, dominant colours (counted on the 16x9 RGB copies of
 * their frames), words and thumbnail sample; the per-frame series are binned into plotting curves.
 */
import { Effect } from "effect"
import { mediaFileSystem } from "../file-system.ts"
import type { MediaInfo } from "../probe.ts"
import { analysisFailure } from "./analysis-error.ts"
import { middleSample } from "./analysis-plan.ts"
import type { AudioAnalysis } from "./audio-signals.ts"
import { containerAvOffsetMs, flashesOf, measureAvSync, visualOnsets } from "./flashes.ts"
import { intervalsOf, type MergedVideo } from "./merged-video.ts"
import { type AnalysisOptions, ANALYZER_VERSION } from "./options.ts"
import { dominantColours } from "./palette.ts"
import {
  AnalysisReport,
  type AnalyzerTiming,
  type Colour,
  Loudness,
  Shot,
  SignalPoint,
  type TextSighting,
  type TimeSpan
} from "./report.ts"
import { roundTo } from "./rounding.ts"
import { cutsOf, meanMax, shotSignals, shotSpans } from "./shots.ts"
import { COLOUR_HEIGHT, COLOUR_WIDTH } from "./video-range.ts"

export interface ReportParts {
  readonly info: MediaInfo
  readonly options: AnalysisOptions
  readonly video: MergedVideo
  /** None when the file has no audio stream. */
  readonly audio: AudioAnalysis | undefined
  readonly text: ReadonlyArray<TextSighting>
  readonly timings: ReadonlyArray<AnalyzerTiming>
  readonly wallSeconds: number
}

const FRAME_BYTES = COLOUR_WIDTH * COLOUR_HEIGHT * 3

/** Each shot's dominant colours, from the colour files of the passes. */
const shotColours = (file: string, video: MergedVideo, shots: ReadonlyArray<TimeSpan>, count: number) =>
  Effect.gen(function*() {
    const fs = yield* mediaFileSystem
    const sources = yield* Effect.forEach(video.colours, (source) =>
      Effect.map(fs.readFile(source.file), (bytes) => ({ ...source, bytes })).pipe(Effect.mapError(analysisFailure(file, "colours", "fs"))))
    return shots.map((shot): Array<Colour> => {
      const parts = sources.flatMap((source) => {
        const from = Math.max(shot.startFrame, source.firstFrame) - source.firstFrame + source.skipFrames
        const to = Math.min(shot.endFrame, source.firstFrame + source.frames) - source.firstFrame + source.skipFrames
        return to > from ? [source.bytes.subarray(from * FRAME_BYTES, to * FRAME_BYTES)] : []
      })
      const pixels = new Uint8Array(parts.reduce((n, p) =>
        n + p.length, 0))
      let at = 0
      for (const part of parts) {
        pixels.set(part, at)
        at += part.length
      }
      return dominantColours(pixels, count)
    })
  })

/** The per-frame series as means over bins of `interval` seconds. */
const signalCurve = (video: MergedVideo, interval: number): Array<SignalPoint> => {
  const points: Array<SignalPoint> = []
  let from = 0
  while (from < video.times.length) {
    const binEnd = (Math.floor(video.times[from]! / interval) + 1) * interval
    let to = from + 1
    while (to < video.times.length && video.times[to]! < binEnd - 1e-9) to++
    points.push(
      new SignalPoint({
        time: roundTo(video.times[from]!, 3),
        brightness: meanMax(video.brightness, from, to).mean,
        saturation: meanMax(video.saturation, from, to).mean,
        si: meanMax(video.si, from, to).mean,
        ti: meanMax(video.ti, from, to).mean
      })
    )
    from = to
  }
  return points
}

const NO_LOUDNESS = new Loudness({ integrated: null, lra: null, truePeak: null, curve: [] })

/** Puts the report together (reads the colour files; everything else is computed from `parts`). */
export const assembleReport = Effect.fn("media.analysis.assembleReport")(function*(parts: ReportParts) {
  const { info, options, video } = parts
  const cuts = cutsOf(video, options.cutThreshold)
  const spans = shotSpans(video, cuts)
  const colours = video.colours.length === 0 ? spans.map(() => []) : yield* shotColours(info.file, video, spans, options.colours)
  const shots = spans.map((span, index) => {
    const words = parts.text.filter((s) => s.time >= span.start && s.time < span.end).flatMap((s) => s.words.map((w) => w.text))
    const thumbnail = middleSample(video.samples, span)
    return new Shot({
      index,
      ...span,
      ...shotSignals(video, span),
      colours: colours[index] ?? [],
      text: [...new Set(words)],
      ...(thumbnail === undefined ? {} : { thumbnailTime: thumbnail.time })
    })
  })
  return new AnalysisReport({
    file: info.file,
    duration: info.duration,
    fps: video.fps,
    frames: video.times.length,
    size: { width: info.width, height: info.height },
    analysisWidth: Math.min(options.analysisWidth, info.width),
    shots,
    cuts,
    black: intervalsOf(video, video.black, options.blackMinSeconds),
    frozen: intervalsOf(video, video.frozen, options.freezeMinSeconds),
    flashes: flashesOf(video, options.flashThreshold),
    loudness: parts.audio?.loudness ?? NO_LOUDNESS,
    silences: parts.audio?.silences ?? [],
    text: parts.text,
    avOffsetMs: containerAvOffsetMs(info),
    avSync: parts.audio === undefined ? null : measureAvSync(visualOnsets(video), parts.audio.onsets),
    signal: signalCurve(video, options.curveInterval),
    timings: parts.timings,
    wallSeconds: roundTo(parts.wallSeconds, 3),
    analyzer: { version: ANALYZER_VERSION, options },
    cached: false
  })
})
