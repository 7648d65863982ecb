/**
 * What the timeline compiler takes: scenes (text and where their narration sits), one chosen shot per
 * scene, and the output settings. Plain data, validated by `planRender`.
 */
import { Data } from "effect"
import type { EncoderSettings } from "../encoders.ts"

export interface TimelineScene {
  readonly text: string
  /** Where this scene's narration lies in the narration file, in seconds. */
  readonly narration: { readonly start: number; readonly end: number }
  /**
   * Screen time in seconds. Default: until the next scene's narration starts (the last scene runs to
   * the end of the narration file), so the video covers the narration exactly.
   */
  readonly duration?: number | undefined
}

/** The media facts the compiler needs; `probe`'s `MediaInfo` satisfies it. */
export interface ShotMedia {
  readonly duration: number
  readonly width: number
  readonly height: number
  readonly fps: number
}

export type Fit = "cover" | "contain"
/** Ken Burns motion for stills. */
export type StillMotion = "zoom-in" | "zoom-out" | "pan-left" | "pan-right" | "none"
/**
 * What to do when a video is shorter than its scene: slow it down (at most 2x slower, else loop),
 * loop it, or hold its last frame.
 */
export type ShortClipPolicy = "stretch" | "loop" | "hold"

export interface TimelineShot {
  readonly path: string
  readonly kind: "video" | "image"
  /** Seconds into the clip where the shot starts (videos). Default 0. */
  readonly inPoint?: number | undefined
  readonly media: ShotMedia
  /** Default: the output's `fit`. */
  readonly fit?: Fit | undefined
  /** Stills only. Default "zoom-in". */
  readonly motion?: StillMotion | undefined
  /** Videos only. Default "stretch". */
  readonly whenShort?: ShortClipPolicy | undefined
}

export interface Transition {
  /** An xfade transition name: fade, wipeleft, slideup, circleopen, dissolve … */
  readonly kind: string
  /** Seconds; rounded to whole frames. */
  readonly duration: number
}

export interface MusicTrack {
  readonly path: string
  /** Linear gain before ducking. Default 0.25. */
  readonly volume?: number | undefined
}

export interface TimelineOutput {
  /** Final MP4 path. */
  readonly path: string
  readonly width: number
  readonly height: number
  readonly fps: number
  /** An encoder from the catalogue (see encoders.ts), e.g. "libx264" or "h264_nvenc". */
  readonly encoder: string
  readonly encoderSettings?: EncoderSettings | undefined
  /** The narration audio file and its duration in seconds (probe it). */
  readonly narration: { readonly path: string; readonly duration: number }
  readonly music?: MusicTrack | undefined
  /** An .ass file burned into the picture. */
  readonly captions?: string | undefined
  /** Between consecutive scenes. None: hard cuts. */
  readonly transition?: Transition | undefined
  /** Default "cover". */
  readonly fit?: Fit | undefined
  /** Integrated loudness target in LUFS. Default -16. */
  readonly loudness?: number | undefined
  /** Where segments, the mixed audio and the concat list go. Default: the output's directory. */
  readonly workDir?: string | undefined
}

export interface TimelineInput {
  readonly scenes: ReadonlyArray<TimelineScene>
  /** One shot per scene, same order. */
  readonly shots: ReadonlyArray<TimelineShot>
  readonly output: TimelineOutput
}

export class TimelineError extends Data.TaggedError("TimelineError")<{
  readonly reason: string
  readonly scene?: number | undefined
  readonly message: string
}> {}
