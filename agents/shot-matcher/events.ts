/** What the shot-matcher publishes: each pick, with its score and reasons. */
import { Schema } from "effect"
import { eventKind } from "../../runtime/index.ts"
import { ScoreBreakdown } from "./shot.ts"

export const ShotPickedEvent = eventKind("shot-picked", {
  scene: Schema.Int,
  /** The picked clip's path. */
  clip: Schema.String,
  score: ScoreBreakdown,
  round: Schema.Int,
  reasons: Schema.Array(Schema.String)
})
