/**
 * The shot-matcher's data: clips in, picks out. Schemas, so they cross agent and process
 * boundaries validated, and picks with their reasons can be stored in the event log and the report.
 */
import { Schema } from "effect"
import type { FootageClip } from "../../media/index.ts"
import { ShotSpan } from "../director/scene.ts"

/**
 * What the shot-matcher needs of media's FootageClip; `fps` optional, as a clip handed in by a program
 * need not have been probed. Bound to FootageClip's own field types, so the two cannot drift apart.
 */
type ClipFields = Pick<FootageClip, "path" | "kind" | "durationSec" | "width" | "height" | "tags"> & {
  readonly fps?: FootageClip["fps"] | undefined
}

/** A footage item as the shot-matcher takes it: a FootageClip from the index fits as it is. */
export const Clip = Schema.Struct({
  path: Schema.String,
  kind: Schema.Literal("video", "image"),
  durationSec: Schema.Number,
  width: Schema.Number,
  height: Schema.Number,
  tags: Schema.Array(Schema.String),
  /** Frame rate of a video as the footage index probed it; the renderer then need not probe it again. */
  fps: Schema.optional(Schema.Number)
}) satisfies Schema.Schema<ClipFields>
export type Clip = typeof Clip.Type

/** An indexed footage clip as the shot-matcher takes it: its fields, and a video's probed rate (the renderer need not probe it again). */
export const clipOfFootage = (c: FootageClip): Clip => ({
  path: c.path,
  kind: c.kind,
  durationSec: c.durationSec,
  width: c.width,
  height: c.height,
  tags: c.tags,
  ...(c.kind === "video" ? { fps: c.fps } : {})
})

/** What the matcher needs of a scene (a director Scene fits). */
export const SceneQuery = Schema.Struct({
  index: Schema.Int,
  keywords: Schema.Array(Schema.String),
  /** Narration length the scene's shots must cover. */
  estimatedSec: Schema.Number,
  /** The director's cuts: one clip per shot. Absent or empty: one shot for the whole scene. */
  shots: Schema.optional(Schema.Array(ShotSpan))
})
export type SceneQuery = typeof SceneQuery.Type

export const Frame = Schema.Struct({ width: Schema.Number, height: Schema.Number })
export type Frame = typeof Frame.Type

export const ScoreBreakdown = Schema.Struct({
  text: Schema.Number,
  /** 0–1: the share of the clip's frame that survives a cover crop to the output frame. */
  orientationFit: Schema.Number,
  /** 0–1: 1 when the clip covers the scene; less for a short clip; 0.9 for a still image. */
  durationFit: Schema.Number,
  total: Schema.Number
})
export type ScoreBreakdown = typeof ScoreBreakdown.Type

export const MatchedTerm = Schema.Struct({
  /** The stem found in the clip. */
  term: Schema.String,
  in: Schema.Array(Schema.Literal("tag", "file name")),
  /** Set when the term is a synonym of this scene term. */
  synonymOf: Schema.optional(Schema.String),
  value: Schema.Number
})
export type MatchedTerm = typeof MatchedTerm.Type

export const ShotPick = Schema.Struct({
  scene: Schema.Int,
  /** The pick's place among its scene's picks, from 0. */
  shot: Schema.Int,
  /** Where the pick starts within its scene, and its screen time, in seconds. */
  startSec: Schema.Number,
  durationSec: Schema.Number,
  clip: Clip,
  /** Seconds into the clip where the pick starts: a clip used again in its scene goes on where it stopped. */
  inPointSec: Schema.Number,
  /**
   * The clip plays in a loop to cover the pick: its scene has more shots than matching clips, so the
   * clip fills several shots (or is used again) and runs out before the pick ends; or the clip is
   * shorter than half the pick, too short to be slowed down to fill it.
   */
  looped: Schema.Boolean,
  score: ScoreBreakdown,
  matched: Schema.Array(MatchedTerm),
  /** 1 for a first use of the clip in the video; n for its n-th use. */
  round: Schema.Int,
  /** Why this clip, in words: these go to the event log. */
  reasons: Schema.Array(Schema.String)
})
export type ShotPick = typeof ShotPick.Type
