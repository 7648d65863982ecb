/**
 * What the timeline compiler takes: scenes (text and where their narration sits), one chosen shot per
 * scene, and the output settings. Schemas, so a plan read back from disk is decoded, not trusted;
 * what the values mean (sizes, durations, in-points) is validated by `planRender`.
 */
import { Schema } from "effect"
import { EncoderSettings } from "../encoders.ts"

/** Where a scene's narration lies in the narration file, in seconds. */
export const NarrationSpan = Schema.Struct({ start: Schema.Number, end: Schema.Number })

export const TimelineScene = Schema.Struct({
  text: Schema.String,
  narration: NarrationSpan,
  /**
   * Screen time in seconds. Default: until the next scene's narration starts (the last scene runs to
   * the end of the narration file), so the video covers the narration exactly.
   */
  duration: Schema.optional(Schema.Number)
})
export type TimelineScene = typeof TimelineScene.Type

/** The media facts the compiler needs; `probe`'s `MediaInfo` satisfies it. */
export const ShotMedia = Schema.Struct({
  duration: Schema.Number,
  width: Schema.Number,
  height: Schema.Number,
  fps: Schema.Number
})
export type ShotMedia = typeof ShotMedia.Type

export const Fit = Schema.Literal("cover", "contain")
export type Fit = typeof Fit.Type

/** Ken Burns motion for stills. */
export const StillMotion = Schema.Literal("zoom-in", "zoom-out", "pan-left", "pan-right", "none")
export type StillMotion = typeof StillMotion.Type

/**
 * What to do when a video is shorter than its scene: slow it down (at most 2x slower, else loop),
 * loop it, or hold its last frame.
 */
export const ShortClipPolicy = Schema.Literal("stretch", "loop", "hold")
export type ShortClipPolicy = typeof ShortClipPolicy.Type

export const TimelineShot = Schema.Struct({
  path: Schema.String,
  kind: Schema.Literal("video", "image"),
  /** Seconds into the clip where the shot starts (videos). Default 0. */
  inPoint: Schema.optional(Schema.Number),
  media: ShotMedia,
  /** Default: the output's `fit`. */
  fit: Schema.optional(Fit),
  /** Stills only. Default "zoom-in". */
  motion: Schema.optional(StillMotion),
  /** Videos only. Default "stretch". */
  whenShort: Schema.optional(ShortClipPolicy)
})
export type TimelineShot = typeof TimelineShot.Type

export const Transition = Schema.Struct({
  /** An xfade transition name: fade, wipeleft, slideup, circleopen, dissolve … */
  kind: Schema.String,
  /** Seconds; rounded to whole frames. */
  duration: Schema.Number
})
export type Transition = typeof Transition.Type

export const MusicTrack = Schema.Struct({
  path: Schema.String,
  /** Linear gain before ducking. Default 0.25. */
  volume: Schema.optional(Schema.Number)
})
export type MusicTrack = typeof MusicTrack.Type

/** The narration audio file and its duration in seconds (probe it). */
export const NarrationTrack = Schema.Struct({ path: Schema.String, duration: Schema.Number })
export type NarrationTrack = typeof NarrationTrack.Type

export const TimelineOutput = Schema.Struct({
  /** Final MP4 path. */
  path: Schema.String,
  width: Schema.Int,
  height: Schema.Int,
  fps: Schema.Number,
  /** An encoder from the catalogue (see encoders.ts), e.g. "libx264" or "h264_nvenc". */
  encoder: Schema.String,
  encoderSettings: Schema.optional(EncoderSettings),
  narration: NarrationTrack,
  music: Schema.optional(MusicTrack),
  /** An .ass file burned into the picture. */
  captions: Schema.optional(Schema.String),
  /** Between consecutive scenes. None: hard cuts. */
  transition: Schema.optional(Transition),
  /** Default "cover". */
  fit: Schema.optional(Fit),
  /** Integrated loudness target in LUFS. Default -16. */
  loudness: Schema.optional(Schema.Number),
  /** Where segments, the mixed audio and the concat list go. Default: the output's directory. */
  workDir: Schema.optional(Schema.String)
})
export type TimelineOutput = typeof TimelineOutput.Type

export const TimelineInput = Schema.Struct({
  scenes: Schema.Array(TimelineScene),
  /** One shot per scene, same order. */
  shots: Schema.Array(TimelineShot),
  output: TimelineOutput
})
export type TimelineInput = typeof TimelineInput.Type

/** Which part of the input is inconsistent: the output's fps or size, the scene or shot lists, the narration, one scene or shot. */
export const TimelineErrorReason = Schema.Literal("fps", "size", "scenes", "shots", "narration", "scene", "shot")
export type TimelineErrorReason = typeof TimelineErrorReason.Type

export class TimelineError extends Schema.TaggedError<TimelineError>()("TimelineError", {
  reason: TimelineErrorReason,
  scene: Schema.optional(Schema.Number),
  message: Schema.String
}) {}
