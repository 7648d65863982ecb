/**
 * The renderer's wire data: output settings, the summary of a planned render, work items for
 * encoders, and results, as Schemas so they cross agent and process boundaries validated. The
 * narration and the timeline's shapes are media's (Narration, TimelineOutput): reused, not copied.
 */
import { Schema } from "effect"
import { TimelineOutput } from "../../media/index.ts"

/** `--captions`: the caption style burned in, or none. */
export const CaptionsChoice = Schema.Literal("lines", "word-by-word", "karaoke", "none")
export type CaptionsChoice = typeof CaptionsChoice.Type

const { encoder, fit, fps, height, music, path, transition, width } = TimelineOutput.fields

/** What a job asks of its video: media's timeline output settings, with a caption style instead of a captions file. */
export const OutputSettings = Schema.Struct({ path, width, height, fps, encoder, captions: CaptionsChoice, music, transition, fit })
export type OutputSettings = typeof OutputSettings.Type

/** A planned render: where its plan lies and what it will take. */
export const RenderSummary = Schema.Struct({
  /** Content-addressed: the same inputs give the same plan file. */
  planFile: Schema.String,
  output: Schema.String,
  captionsFile: Schema.NullOr(Schema.String),
  totalFrames: Schema.Int,
  durationSeconds: Schema.Number,
  segments: Schema.Array(Schema.Struct({ index: Schema.Int, frames: Schema.Int }))
})
export type RenderSummary = typeof RenderSummary.Type

/** One unit of encoding an encoder pulls: a segment, or the whole timeline in one pass. */
export const WorkItem = Schema.Struct({
  planFile: Schema.String,
  kind: Schema.Literal("segment", "single-pass"),
  index: Schema.Int,
  /** Overrides the plan's encoder (a retry in software after a device failed). */
  encoder: Schema.optional(Schema.String)
})
export type WorkItem = typeof WorkItem.Type

export const EncodedPart = Schema.Struct({
  kind: Schema.Literal("segment", "single-pass"),
  index: Schema.Int,
  agent: Schema.String,
  encoder: Schema.String,
  file: Schema.String,
  seconds: Schema.Number,
  /** Found finished on disk (an earlier run): not encoded again. */
  reused: Schema.Boolean
})
export type EncodedPart = typeof EncodedPart.Type

export const RenderResult = Schema.Struct({
  output: Schema.String,
  parts: Schema.Array(EncodedPart),
  /** Seconds spent in each stage (wall clock). */
  stages: Schema.Struct({ encode: Schema.Number, audio: Schema.Number, stitch: Schema.Number }),
  /** The whole render was found finished (same plan, output present). */
  cached: Schema.Boolean
})
export type RenderResult = typeof RenderResult.Type

/** Why an encoder could not encode a work item; the renderer retries the item, then fails the render with it. */
export class EncodeFailedError extends Schema.TaggedError<EncodeFailedError>()("EncodeFailedError", {
  reason: Schema.Literal("unreadable-plan", "unknown-encoder", "ffmpeg"),
  message: Schema.String,
  /** ffmpeg's stderr tail */
  detail: Schema.optional(Schema.String)
}) {}

/** A render step failed: which one, what went wrong, and the tool's own account (stderr, …) when there is one. */
export class RenderError extends Schema.TaggedError<RenderError>()("RenderError", {
  stage: Schema.Literal("narration", "probe", "captions", "plan", "encode", "audio", "stitch"),
  message: Schema.String,
  detail: Schema.optional(Schema.String)
}) {}
