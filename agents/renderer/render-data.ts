/**
 * The renderer's wire data: narration with its word timings, output settings, the summary of a
 * planned render, work items for encoders, and results. Schemas mirror media/'s plain interfaces
 * (Narration, TimelineOutput) so they can cross agent and process boundaries validated.
 */
import { Schema } from "effect"

export const WordTiming = Schema.Struct({ word: Schema.String, start: Schema.Number, end: Schema.Number })

export const SentenceTiming = Schema.Struct({
  text: Schema.String,
  start: Schema.Number,
  end: Schema.Number,
  words: Schema.Array(WordTiming)
})

/** media/tts's Narration. */
export const Narration = Schema.Struct({
  provider: Schema.String,
  audioFile: Schema.String,
  durationSec: Schema.Number,
  sampleRate: Schema.Number,
  words: Schema.Array(WordTiming),
  sentences: Schema.Array(SentenceTiming)
})
export type Narration = typeof Narration.Type

/** `--captions`: the caption style burned in, or none. */
export const CaptionsChoice = Schema.Literal("lines", "word-by-word", "karaoke", "none")
export type CaptionsChoice = typeof CaptionsChoice.Type

export const OutputSettings = Schema.Struct({
  path: Schema.String,
  width: Schema.Int,
  height: Schema.Int,
  fps: Schema.Number,
  /** An encoder of media's catalogue ("libx264", "h264_nvenc", …). */
  encoder: Schema.String,
  captions: CaptionsChoice,
  music: Schema.optional(Schema.Struct({ path: Schema.String, volume: Schema.optional(Schema.Number) })),
  transition: Schema.optional(Schema.Struct({ kind: Schema.String, duration: Schema.Number })),
  fit: Schema.optional(Schema.Literal("cover", "contain"))
})
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

export class RenderError extends Schema.TaggedError<RenderError>()("RenderError", {
  stage: Schema.Literal("narration", "probe", "captions", "plan", "encode", "audio", "stitch"),
  message: Schema.String
}) {}
