/**
 * A scene of the narration: the unit the shot-matcher picks footage for and the timeline cuts on.
 * Schemas, so the scene plan can cross agent and process boundaries and be validated there.
 */
import { Schema } from "effect"

/** The emotional colour of a scene, from a small lexicon (see mood.ts); music and transitions may follow it. */
export const Mood = Schema.Literal("wonder", "calm", "tense", "joyful", "somber", "neutral")
export type Mood = typeof Mood.Type

/** How quickly a scene should feel: cut rhythm and motion. */
export const Pace = Schema.Literal("slow", "medium", "fast")
export type Pace = typeof Pace.Type

/**
 * One shot of a scene: where it starts within the scene and how long it lasts, in seconds. A scene
 * longer than its pace allows is cut into several (see cuts.ts); each gets its own clip.
 */
export const ShotSpan = Schema.Struct({
  start: Schema.Number.pipe(Schema.nonNegative()),
  duration: Schema.Number.pipe(Schema.positive())
})
export type ShotSpan = typeof ShotSpan.Type

export const Scene = Schema.Struct({
  index: Schema.Int.pipe(Schema.nonNegative()),
  /** The narration of the scene: its sentences joined by single spaces. */
  text: Schema.String,
  sentences: Schema.Array(Schema.String),
  /** Content words, most distinctive first, one surface form per stem. */
  keywords: Schema.Array(Schema.String),
  mood: Mood,
  pace: Pace,
  /** Narration length: estimated from words per second when planning, measured once narration exists. */
  estimatedSec: Schema.Number.pipe(Schema.nonNegative()),
  /**
   * Where the scene cuts, set once its narration is measured: shots at the pace's length, cut between
   * words, covering the scene in order. Absent (or empty, for a scene of no length): one shot for
   * the whole scene.
   */
  shots: Schema.optional(Schema.Array(ShotSpan))
})
export type Scene = typeof Scene.Type

/** A sentence of the script and the paragraph (blank-line block, or Claude scene) it belongs to. */
export const ScriptSentence = Schema.Struct({
  text: Schema.String,
  paragraph: Schema.Int.pipe(Schema.nonNegative())
})
export type ScriptSentence = typeof ScriptSentence.Type

/** A planned script: what the director hands to the rest of the production. */
export const ScriptPlan = Schema.Struct({
  title: Schema.String,
  sentences: Schema.Array(ScriptSentence),
  scenes: Schema.Array(Scene)
})
export type ScriptPlan = typeof ScriptPlan.Type
