/**
 * Shots from scdet's per-frame scores: a frame scoring at least the threshold is a cut, the first
 * frame of a new shot. Per shot: mean brightness and saturation (signalstats), SI and TI (siti),
 * where TI leaves out the shot's first frame (its difference is the cut's, not motion).
 */
import { type MergedVideo } from "./merged-video.ts"
import { Cut, MeanMax, TimeSpan } from "./report.ts"
import { roundTo } from "./rounding.ts"

/** Mean and maximum of `values[from, to)`; zeros when the slice is empty. */
export const meanMax = (values: ReadonlyArray<number>, from: number, to: number): MeanMax => {
  let sum = 0
  let max = 0
  let n = 0
  for (let i = Math.max(0, from); i < Math.min(to, values.length); i++) {
    sum += values[i]!
    max = n === 0 ? values[i]! : Math.max(max, values[i]!)
    n++
  }
  return new MeanMax({ mean: n === 0 ? 0 : roundTo(sum / n, 2), max: roundTo(max, 2) })
}

/** The cuts: frames after the first whose scdet score reaches `threshold`. */
export const cutsOf = (video: MergedVideo, threshold: number): Array<Cut> =>
  video.cutScores.flatMap((score, frame) =>
    frame > 0 && score >= threshold ? [new Cut({ time: video.times[frame]!, frame, score: roundTo(score, 2) })] : []
  )

/** The shots the cuts make, covering every frame. */
export const shotSpans = (video: MergedVideo, cuts: ReadonlyArray<Cut>): Array<TimeSpan> => {
  const starts = [0, ...cuts.map((c) => c.frame)]
  const frames = video.times.length
  if (frames === 0) return []
  return starts.map((startFrame, i) => {
    const endFrame = starts[i + 1] ?? frames
    return new TimeSpan({ start: video.times[startFrame]!, end: video.times[endFrame] ?? video.end, startFrame, endFrame })
  })
}

export interface ShotSignals {
  readonly brightness: number
  readonly saturation: number
  readonly si: MeanMax
  readonly ti: MeanMax
}

/** A shot's signal figures from the joined per-frame series. */
export const shotSignals = (video: MergedVideo, span: TimeSpan): ShotSignals => ({
  brightness: meanMax(video.brightness, span.startFrame, span.endFrame).mean,
  saturation: meanMax(video.saturation, span.startFrame, span.endFrame).mean,
  si: meanMax(video.si, span.startFrame, span.endFrame),
  ti: meanMax(video.ti, span.endFrame - span.startFrame > 1 ? span.startFrame + 1 : span.startFrame, span.endFrame)
})
