/**
 * The passes over consecutive ranges of one file, joined into one frame list: per-frame series
 * concatenated in time order (each frame was reported by exactly one range, so frame numbers are
 * positions in the joined list), black and frozen intervals united across range boundaries.
 */
import { TimeSpan } from "./report.ts"
import { type FrameSample, type RawSpan, type VideoRange } from "./video-range.ts"

export interface ColourSource {
  readonly file: string
  /** Frames of the file before the range's first reported frame. */
  readonly skipFrames: number
  /** The range's first frame in the joined list, and its number of frames. */
  readonly firstFrame: number
  readonly frames: number
}

export interface MergedVideo {
  readonly fps: number
  readonly times: ReadonlyArray<number>
  /** The end of the last frame. */
  readonly end: number
  readonly brightness: ReadonlyArray<number>
  readonly saturation: ReadonlyArray<number>
  readonly cutScores: ReadonlyArray<number>
  readonly si: ReadonlyArray<number>
  readonly ti: ReadonlyArray<number>
  readonly badness: ReadonlyArray<number>
  readonly frameBadness: ReadonlyArray<number>
  readonly black: ReadonlyArray<RawSpan>
  readonly frozen: ReadonlyArray<RawSpan>
  readonly samples: ReadonlyArray<FrameSample>
  readonly colours: ReadonlyArray<ColourSource>
}

/** Overlapping or touching spans (within `slack` seconds) become one; the result is sorted. */
export const uniteSpans = (spans: ReadonlyArray<RawSpan>, slack: number): Array<{ start: number; end: number }> => {
  const sorted = [...spans].sort((a, b) => a.start - b.start)
  const united: Array<{ start: number; end: number }> = []
  for (const span of sorted) {
    const last = united.at(-1)
    if (last !== undefined && span.start <= last.end + slack) last.end = Math.max(last.end, span.end)
    else united.push({ start: span.start, end: span.end })
  }
  return united
}

/** Joins the ranges of one file (in any order). */
export const mergeVideoRanges = (ranges: ReadonlyArray<VideoRange>, fps: number): MergedVideo => {
  const sorted = [...ranges].sort((a, b) => a.start - b.start)
  const join = (pick: (r: VideoRange) => ReadonlyArray<number>) => sorted.flatMap((r) => [...pick(r)])
  const colours: Array<ColourSource> = []
  let firstFrame = 0
  for (const range of sorted) {
    if (range.colours !== undefined) colours.push({ ...range.colours, firstFrame, frames: range.times.length })
    firstFrame += range.times.length
  }
  return {
    fps,
    times: join((r) => r.times),
    end: sorted.at(-1)?.end ?? 0,
    brightness: join((r) => r.brightness),
    saturation: join((r) => r.saturation),
    cutScores: join((r) => r.cutScores),
    si: join((r) => r.si),
    ti: join((r) => r.ti),
    badness: join((r) => r.badness),
    frameBadness: join((r) => r.frameBadness),
    black: sorted.flatMap((r) => r.black),
    frozen: sorted.flatMap((r) => r.frozen),
    samples: sorted.flatMap((r) => r.samples),
    colours
  }
}

/** The first frame at or after `time` (half a frame of slack); the frame count when none is. */
export const frameAt = (times: ReadonlyArray<number>, time: number, fps: number): number => {
  const target = time - 0.5 / fps
  let lo = 0
  let hi = times.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (times[mid]! < target) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** A time span on the joined frames: its times snapped to the frames it covers. */
export const timeSpan = (video: MergedVideo, start: number, end: number): TimeSpan => {
  const startFrame = frameAt(video.times, start, video.fps)
  const endFrame = Math.max(startFrame, frameAt(video.times, end, video.fps))
  return new TimeSpan({
    start: video.times[startFrame] ?? video.end,
    end: video.times[endFrame] ?? video.end,
    startFrame,
    endFrame
  })
}

/** Black or frozen intervals of at least `minSeconds` (less half a frame), united across ranges. */
export const intervalsOf = (video: MergedVideo, spans: ReadonlyArray<RawSpan>, minSeconds: number): Array<TimeSpan> =>
  uniteSpans(spans, 0.5 / video.fps)
    .map((span) => timeSpan(video, span.start, span.end))
    .filter((span) => span.end - span.start >= minSeconds - 0.5 / video.fps)
