/**
 * How one file's analysis splits into tasks that can run at once: the video analyzers over
 * consecutive time ranges (one ffmpeg pass each, so `parts` workers decode different parts of the
 * file together), the audio analyzers in one pass, then OCR on the sampled frames that the shots
 * call for: each shot's middle sample, and more in a shot longer than `textInterval` seconds.
 */
import { join } from "node:path"
import type { MediaInfo } from "../probe.ts"
import { AudioRequest } from "./audio-signals.ts"
import { frameAt, type MergedVideo } from "./merged-video.ts"
import { TextFrame, TextRequest } from "./ocr.ts"
import type { AnalysisOptions } from "./options.ts"
import type { TimeSpan } from "./report.ts"
import { cutsOf, shotSpans } from "./shots.ts"
import { ALL_VIDEO_ANALYZERS, type FrameSample, type VideoAnalyzer, VideoRangeRequest } from "./video-range.ts"

/** Shortest range worth a pass of its own, seconds: shorter files are analyzed in one pass. */
export const MIN_RANGE_SECONDS = 8

/** Seconds decoded before a range so its filters see what came before (more than freezedetect's and photosensitivity's windows). */
export const leadFor = (options: AnalysisOptions) => Math.max(2, options.freezeMinSeconds + 1)

export interface AnalysisTarget {
  readonly info: MediaInfo
  readonly options: AnalysisOptions
  readonly workDir: string
}

/** The video passes: up to `parts` ranges of at least `minSeconds` (MIN_RANGE_SECONDS) each. */
export const planVideoRanges = (
  target: AnalysisTarget,
  parts: number,
  options: { readonly analyzers?: ReadonlyArray<VideoAnalyzer>; readonly minSeconds?: number | undefined } = {}
): Array<VideoRangeRequest> => {
  const { info } = target
  const analyzers = options.analyzers ?? ALL_VIDEO_ANALYZERS
  const count = Math.max(1, Math.min(parts, Math.floor(info.duration / (options.minSeconds ?? MIN_RANGE_SECONDS))))
  const fps = info.fps > 0 ? info.fps : 25
  // Boundaries fall on frame times, so each frame belongs to exactly one range.
  const boundary = (i: number) => Math.round(((info.duration * i) / count) * fps) / fps
  return Array.from({ length: count }, (_, i) =>
    new VideoRangeRequest({
      file: info.file,
      analyzers,
      options: target.options,
      start: boundary(i),
      ...(i === count - 1 ? {} : { end: boundary(i + 1) }),
      lead: i === 0 ? 0 : leadFor(target.options),
      fps,
      videoStartTime: info.videoStartTime ?? 0,
      workDir: target.workDir
    }))
}

export const audioRequest = (target: AnalysisTarget): AudioRequest =>
  new AudioRequest({
    file: target.info.file,
    options: target.options,
    videoStartTime: target.info.videoStartTime ?? 0,
    workDir: join(target.workDir, "audio")
  })

/** The sample nearest `time` among those inside the shot. */
const sampleNear = (samples: ReadonlyArray<FrameSample>, shot: TimeSpan, time: number): FrameSample | undefined =>
  samples
    .filter((s) => s.time >= shot.start && s.time < shot.end)
    .reduce<FrameSample | undefined>(
      (best, s) => (best === undefined || Math.abs(s.time - time) < Math.abs(best.time - time) ? s : best),
      undefined
    )

/** The sample nearest the middle of the shot, among those inside it. */
export const middleSample = (samples: ReadonlyArray<FrameSample>, shot: TimeSpan): FrameSample | undefined =>
  sampleNear(samples, shot, (shot.start + shot.end) / 2)

/**
 * The frames to read text on: a shot of length L gets ceil(L / textInterval) samples (at least its
 * middle one), nearest the middles of that many equal parts of it; in time order, each once.
 */
export const textFrames = (video: MergedVideo, options: AnalysisOptions): Array<TextFrame> => {
  const chosen = new Map<number, FrameSample>()
  for (const shot of shotSpans(video, cutsOf(video, options.cutThreshold))) {
    const parts = Math.max(1, Math.ceil((shot.end - shot.start) / options.textInterval - 1e-9))
    for (let i = 0; i < parts; i++) {
      const sample = sampleNear(video.samples, shot, shot.start + ((i + 0.5) * (shot.end - shot.start)) / parts)
      if (sample !== undefined) chosen.set(sample.time, sample)
    }
  }
  return [...chosen.values()]
    .sort((a, b) => a.time - b.time)
    .map((s) => new TextFrame({ time: s.time, frame: frameAt(video.times, s.time, video.fps), image: s.ocrFrame }))
}

/** OCR of `frames` of the target (boxes reported in the video's pixels). */
export const textRequest = (target: Pick<AnalysisTarget, "info" | "options">, frames: ReadonlyArray<TextFrame>): TextRequest =>
  new TextRequest({
    file: target.info.file,
    frames,
    scale: target.info.width / Math.min(target.options.ocrWidth, target.info.width),
    minConfidence: target.options.ocrMinConfidence
  })

/** Splits `items` into at most `parts` runs of near-equal length, in order. */
export const splitEvenly = <A>(items: ReadonlyArray<A>, parts: number): Array<Array<A>> => {
  const count = Math.max(1, Math.min(parts, items.length))
  return Array.from(
    { length: count },
    (_, i) => items.slice(Math.floor((items.length * i) / count), Math.floor((items.length * (i + 1)) / count))
  )
}
