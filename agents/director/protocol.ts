/** What the director answers: plans from a script or a topic, and replans on measured narration. */
import { Schema } from "effect"
import { Scene, ScriptPlan, ScriptSentence } from "./scene.ts"
import { ScriptPlanError } from "./script.ts"
import { TopicError } from "./topic.ts"

/** `--script FILE` / stdin: split and plan offline. */
export class PlanScript extends Schema.TaggedRequest<PlanScript>()("PlanScript", {
  failure: ScriptPlanError,
  success: ScriptPlan,
  payload: { title: Schema.String, script: Schema.String }
}) {}

/** `--topic TEXT`: Claude writes the script, then it is planned like any other. */
export class WriteScriptForTopic extends Schema.TaggedRequest<WriteScriptForTopic>()("WriteScriptForTopic", {
  failure: TopicError,
  success: ScriptPlan,
  payload: { topic: Schema.String }
}) {}

/**
 * After narration: regroup the sentences into scenes on their measured lengths, and cut each scene
 * into shots at its pace (none longer than `maxShotSeconds` when given), between the narration's
 * words when their timings are given.
 */
export class Replan extends Schema.TaggedRequest<Replan>()("Replan", {
  failure: ScriptPlanError,
  success: Schema.Array(Scene),
  payload: {
    sentences: Schema.Array(ScriptSentence),
    durationsSec: Schema.Array(Schema.Number),
    /** The narration's word timings, in seconds from its start. */
    words: Schema.optional(Schema.Array(Schema.Struct({ start: Schema.Number, end: Schema.Number }))),
    /** The longest a shot may last, in seconds (the job's `maxShotSeconds`); the pace's lengths alone when absent. */
    maxShotSeconds: Schema.optional(Schema.Number)
  }
}) {}

export const DirectorProtocol = Schema.Union(PlanScript, WriteScriptForTopic, Replan)
export type DirectorMessage = typeof DirectorProtocol.Type
