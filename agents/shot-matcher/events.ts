/** What the shot-matcher publishes: each pick, with its score and reasons. */
import { Schema } from "effect"
import { eventKind } from "../../runtime/index.ts"
import { ScoreBreakdown } from "./shot.ts"

export const ShotPickedEvent = eventKind("shot-picked", {
  scene: Schema.Int,
  /** The pick's place among its scene's picks, from 0 (absent in events recorded before scenes were cut). */
  shot: Schema.optional(Schema.Int),
  /** The picked clip's path. */
  clip: Schema.String,
  score: ScoreBreakdown,
  round: Schema.Int,
  reasons: Schema.Array(Schema.String),
  /** Set when the clip plays in a loop because no other clip matched its scene. */
  looped: Schema.optional(Schema.Boolean)
})
