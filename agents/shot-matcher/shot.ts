/**
 * The shot-matcher's data: clips in, picks out. Schemas, so they cross agent and process
 * boundaries validated, and picks with their reasons can be stored in the event log and the report.
 */
import { Schema } from "effect"

/** A footage item: the fields the shot-matcher needs from the footage index. */
export const Clip = Schema.Struct({
  path: Schema.String,
  kind: Schema.Literal("video", "image"),
  durationSec: Schema.Number,
  width: Schema.Number,
  height: Schema.Number,
  tags: Schema.Array(Schema.String),
  /** Frame rate of a video as the footage index probed it; the renderer then need not probe it again. */
  fps: Schema.optional(Schema.Number)
})
export type Clip = typeof Clip.Type

/** What the matcher needs of a scene (a director Scene fits). */
export const SceneQuery = Schema.Struct({
  index: Schema.Int,
  keywords: Schema.Array(Schema.String),
  /** Narration length the shot must cover. */
  estimatedSec: Schema.Number
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
  clip: Clip,
  score: ScoreBreakdown,
  matched: Schema.Array(MatchedTerm),
  /** 1 for a first use of the clip; n when every clip had already been used n − 1 times. */
  round: Schema.Int,
  /** Why this clip, in words: these go to the event log. */
  reasons: Schema.Array(Schema.String)
})
export type ShotPick = typeof ShotPick.Type
