/**
 * The renderer's wire data: output settings, the summary of a planned render, work items for
 * encoders, and results, as Schemas so they cross agent and process boundaries validated. The
 * narration and the timeline's shapes are media's (Narration, TimelineOutput): reused, not copied.
 */
import { PlatformError } from "@effect/platform/Error"
import { Schema } from "effect"
import {
  CaptionError,
  FfmpegError,
  JsonFileError,
  ProbeError,
  RecordingError,
  TimelineError,
  TimelineOutput,
  TtsError,
  UnknownEncoderError
} from "../../media/index.ts"

/** `--captions`: the caption style burned in, or none. */
export const CaptionsChoice = Schema.Literal("lines", "word-by-word", "karaoke", "none")
export type CaptionsChoice = typeof CaptionsChoice.Type

const { encoder, fit, fps, height, loudness, music, path, transition, width } = TimelineOutput.fields

/**
 * How the captions look: where they sit (inside the safe area), their size in output pixels, their
 * text colour (karaoke: the words not yet spoken; the spoken highlight stays), and their outline's
 * colour and width in pixels. Colours are #RRGGBB; media's defaults for whatever is left out.
 */
export const CaptionLook = Schema.Struct({
  position: Schema.Literal("top", "center", "bottom"),
  size: Schema.optional(Schema.Int),
  color: Schema.optional(Schema.String),
  stroke: Schema.optional(Schema.String),
  strokeWidth: Schema.optional(Schema.Number)
})
export type CaptionLook = typeof CaptionLook.Type

/** What a job asks of its video: media's timeline output settings, with a caption style instead of a captions file. */
export const OutputSettings = Schema.Struct({
  path,
  width,
  height,
  fps,
  encoder,
  captions: CaptionsChoice,
  /** How the captions look; media's bottom-placed white-on-black when absent. */
  captionStyle: Schema.optional(CaptionLook),
  music,
  transition,
  fit,
  /** The soundtrack's integrated loudness target, LUFS; media's DEFAULT_LOUDNESS_LUFS when absent. */
  loudness,
  /** Content-aware encoding (media's `contentAware` encoder setting): scenes classed by SI/TI, settings per class. Default off. */
  encodeAware: Schema.optional(Schema.Boolean)
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

/** An encode that showed no progress for the encoder's stall timeout: its ffmpeg was stopped. */
export class EncodeStalledError extends Schema.TaggedError<EncodeStalledError>()("EncodeStalledError", {
  encoder: Schema.String,
  /** The stall timeout that ran out, in seconds. */
  seconds: Schema.Number,
  message: Schema.String
}) {}

/**
 * The renderer took a work item back from the encoder slot that held its lease: the lease ran out
 * without a renewal (a hung device, a wedged ffmpeg), or the slot restarted or stopped mid-item.
 */
export class LeaseLostError extends Schema.TaggedError<LeaseLostError>()("LeaseLostError", {
  agent: Schema.String,
  kind: Schema.Literal("segment", "single-pass"),
  index: Schema.Int,
  why: Schema.Literal("expired", "encoder-restarted", "encoder-stopped"),
  message: Schema.String
}) {}

/** What encoding a work item can fail with: media's own errors, a look at the disk, or a stall. */
export const EncodeCause = Schema.Union(FfmpegError, UnknownEncoderError, JsonFileError, PlatformError, EncodeStalledError)
export type EncodeCause = typeof EncodeCause.Type

/** The tool's own account of a failure (ffmpeg's stderr tail, a TTS engine's or libass's detail), when it has one. */
const toolAccount = (cause: RenderCause | undefined): string | undefined => {
  switch (cause?._tag) {
    case "FfmpegError":
      return cause.stderrTail === "" ? undefined : cause.stderrTail
    case "TtsError":
    case "RecordingError":
    case "CaptionError":
      return cause.detail === "" ? undefined : cause.detail
    default:
      return undefined
  }
}

const encodeReason = (cause: EncodeCause) => {
  switch (cause._tag) {
    case "FfmpegError":
      return "ffmpeg"
    case "UnknownEncoderError":
      return "unknown-encoder"
    case "JsonFileError":
      return "unreadable-plan"
    case "EncodeStalledError":
      return "stalled"
    case "SystemError":
    case "BadArgument":
      return "io"
  }
}

/** Why an encoder could not encode a work item, as the typed error it failed with; the renderer retries the item, then fails the render with it. */
export class EncodeFailedError extends Schema.TaggedError<EncodeFailedError>()("EncodeFailedError", {
  cause: EncodeCause
}) {
  get reason() {
    return encodeReason(this.cause)
  }

  override get message(): string {
    return this.cause.message
  }

  /** ffmpeg's stderr tail, when there is one. */
  get detail(): string | undefined {
    return toolAccount(this.cause)
  }
}

/** What a render step can fail with: the media step's own typed error. */
export const RenderCause = Schema.Union(
  TtsError,
  RecordingError,
  ProbeError,
  CaptionError,
  TimelineError,
  FfmpegError,
  UnknownEncoderError,
  JsonFileError,
  PlatformError,
  EncodeStalledError,
  LeaseLostError
)
export type RenderCause = typeof RenderCause.Type

/**
 * A render step failed: which one, what went wrong in words, and the media error it failed with
 * (none when the renderer's own check failed, e.g. a music file without audio). `cancelled`: the
 * render was stopped by a CancelRender (its job was cancelled), not failed.
 */
export class RenderError extends Schema.TaggedError<RenderError>()("RenderError", {
  stage: Schema.Literal("narration", "probe", "captions", "plan", "encode", "audio", "stitch", "cancelled"),
  message: Schema.String,
  cause: Schema.optional(RenderCause)
}) {
  /** The tool's own account (ffmpeg's stderr tail, …), when the cause has one. */
  get detail(): string | undefined {
    return toolAccount(this.cause)
  }
}
