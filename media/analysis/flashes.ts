/**
 * Flashes and A/V sync. photosensitivity (in bypass mode) scores every frame's "badness": how much
 * luminance flipped, cell by cell, over its window of recent frames; runs of frames above the
 * threshold are the flash intervals. Separately, a frame whose mean luma jumps up by at least
 * `FLASH_RISE` over the one before is a visual onset (a flash, or a cut to a much brighter
 * picture): paired with the nearest audio onset (a sound starting after silence) within
 * `PAIR_WINDOW` seconds, the pairs' median gap is the measured A/V offset.
 */
import { type MergedVideo } from "./merged-video.ts"
import { AvSync, Flash } from "./report.ts"
import { roundTo } from "./rounding.ts"

/** Rise in mean luma (8-bit scale) that makes a visual onset: about a quarter of black-to-white. */
export const FLASH_RISE = 56
/** Largest gap between a visual onset and an audio onset that still pairs them, seconds. */
export const PAIR_WINDOW = 0.25

/** A frame whose own luminance flip scores at least this (a full-frame black-to-white swing scores about 2.5) can start a flash. */
export const FLIP_BADNESS = 1
/** photosensitivity's window, frames. */
const WINDOW_FRAMES = 30

/**
 * Runs of frames whose badness exceeds `threshold`. The windowed score crosses the threshold only
 * once enough flips add up (for one white frame, on the flip back), so each run starts at the
 * earliest flip (a frame scoring FLIP_BADNESS of its own) within the window before it and after the
 * previous run: a flash starts on its first bright (or dark) frame.
 */
export const flashesOf = (video: MergedVideo, threshold: number): Array<Flash> => {
  const flashes: Array<Flash> = []
  let start: number | undefined
  let peak = 0
  const firstFlip = (frame: number) => {
    const earliest = Math.max(frame - WINDOW_FRAMES + 1, flashes.at(-1)?.endFrame ?? 0)
    for (let f = earliest; f < frame; f++) if ((video.frameBadness[f] ?? 0) >= FLIP_BADNESS) return f
    return frame
  }
  const close = (endFrame: number) => {
    if (start === undefined) return
    flashes.push(
      new Flash({
        start: video.times[start]!,
        end: video.times[endFrame] ?? video.end,
        startFrame: start,
        endFrame,
        peakBadness: roundTo(peak, 2)
      })
    )
    start = undefined
  }
  video.badness.forEach((badness, frame) => {
    if (badness > threshold) {
      if (start === undefined) {
        start = firstFlip(frame)
        peak = badness
      } else peak = Math.max(peak, badness)
    } else close(frame)
  })
  close(video.badness.length)
  return flashes
}

/** Times of frames whose mean luma rose by FLASH_RISE or more over the previous frame. */
export const visualOnsets = (video: MergedVideo): Array<number> =>
  video.brightness.flatMap((y, i) => (i > 0 && y - video.brightness[i - 1]! >= FLASH_RISE ? [video.times[i]!] : []))

/** The median gap (audio − picture) over onset pairs, or null when no pair is close enough. */
export const measureAvSync = (visual: ReadonlyArray<number>, audio: ReadonlyArray<number>): AvSync | null => {
  const gaps = visual.flatMap((v) => {
    const nearest = audio.reduce<number | undefined>(
      (best, a) => (best === undefined || Math.abs(a - v) < Math.abs(best - v) ? a : best),
      undefined
    )
    return nearest !== undefined && Math.abs(nearest - v) <= PAIR_WINDOW ? [nearest - v] : []
  }).sort((a, b) => a - b)
  if (gaps.length === 0) return null
  const mid = gaps.length >> 1
  const median = gaps.length % 2 === 1 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2
  return new AvSync({ offsetMs: Math.round(median * 1000), pairs: gaps.length })
}

/** The container's A/V start offset: audio stream start − video stream start, ms; null without both. */
export const containerAvOffsetMs = (info: { readonly videoStartTime?: number | undefined; readonly audioStartTime?: number | undefined }) =>
  info.videoStartTime === undefined || info.audioStartTime === undefined
    ? null
    : Math.round((info.audioStartTime - info.videoStartTime) * 1000)
