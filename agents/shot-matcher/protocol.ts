/** What the shot-matcher answers: one pick per scene, with scores and reasons. */
import { Schema } from "effect"
import { NoFootageError } from "./match.ts"
import { Clip, Frame, SceneQuery, ShotPick } from "./shot.ts"

export class MatchShots extends Schema.TaggedRequest<MatchShots>()("MatchShots", {
  failure: NoFootageError,
  success: Schema.Array(ShotPick),
  payload: {
    scenes: Schema.Array(SceneQuery),
    clips: Schema.Array(Clip),
    frame: Frame,
    seed: Schema.Union(Schema.String, Schema.Number),
    /** The job the picks are for, recorded with each pick's event. */
    job: Schema.optional(Schema.String)
  }
}) {}

export const ShotMatcherProtocol = Schema.Union(MatchShots)
export type ShotMatcherMessage = typeof ShotMatcherProtocol.Type
